-- tunelint language server for Neovim 0.11+ (the `vim.lsp.config` table shape).
--
-- Put this directory on 'runtimepath' (or copy this file to ~/.config/nvim/lsp/tunelint.lua),
-- then in init.lua:
--     vim.lsp.enable('tunelint')
-- Override any field with vim.lsp.config('tunelint', { settings = { tunelint = { ... } } }).
--
-- The 0.8-0.10 and 0.7 snippets (tunelint-0.8.lua, tunelint-0.7.lua) read this same table.
--
-- Settings (all optional; a project's tunelint.toml or pyproject.toml [tool.tunelint] is read
-- too, and `configurationPreference` says which wins):
--   model = 'gpt-4o-mini-2024-07-18'      base model: token limit, tokenizer, allowed formats
--   profile = 'openai'                    openai | azure-openai | together | fireworks | mistral
--   format = 'auto'                       auto | chat | preference | reinforcement | completion | none
--   select = { 'ALL' }, extendSelect = {}, ignore = { 'TL904' }   rule codes, names or prefixes
--   severity = { ['blank-line'] = 'error' }
--   configurationPreference = 'editorFirst'   editorFirst | filesystemFirst | editorOnly
--   debounce = 150                        ms the server waits after an edit before relinting
--   inlayHints = 'auto'                   true | false | 'auto' (off above inlayHintsMaxLines)
--   logLevel = 'info', logFile = '/tmp/tunelint.log'
local settings = {
  -- Neovim 0.10+ shows pushed and pulled diagnostics side by side (two namespaces), so with the
  -- server's pull diagnostics on every problem appears twice after an edit. Push is enough.
  pullDiagnostics = false,
  -- profile = 'openai',
  -- ignore = { 'duplicate-example' },
}

return {
  cmd = { 'tunelint', 'lsp' },
  filetypes = { 'jsonl' },
  root_markers = { 'tunelint.toml', 'pyproject.toml', '.git' },
  -- Sent in `initialize` (read before the first lint) ...
  init_options = { settings = settings },
  -- ... and on workspace/configuration and didChangeConfiguration.
  settings = { tunelint = settings },
}
