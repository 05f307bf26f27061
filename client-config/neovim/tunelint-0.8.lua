-- tunelint for Neovim 0.8-0.10: start the server on the `jsonl` FileType with vim.lsp.start.
--
-- Use: put client-config/neovim on 'runtimepath' and `require`/`dofile` this file from init.lua,
-- or paste it there (then replace `base` with the table from lsp/tunelint.lua).
-- On 0.11+ use lsp/tunelint.lua with vim.lsp.enable('tunelint') instead.

-- The 'jsonl' filetype for versions that lack it.
vim.cmd([[autocmd BufNewFile,BufRead *.jsonl,*.ndjson setfiletype jsonl]])

local function shipped_config()
  local file = vim.api.nvim_get_runtime_file('lsp/tunelint.lua', false)[1]
  if file then
    return dofile(file)
  end
  return {
    cmd = { 'tunelint', 'lsp' },
    filetypes = { 'jsonl' },
    root_markers = { 'tunelint.toml', 'pyproject.toml', '.git' },
    init_options = { settings = {} },
    settings = { tunelint = {} },
  }
end

local base = shipped_config()

vim.api.nvim_create_autocmd('FileType', {
  pattern = base.filetypes,
  group = vim.api.nvim_create_augroup('tunelint-lsp', { clear = true }),
  callback = function(args)
    if vim.fn.executable(base.cmd[1]) == 0 then
      vim.notify_once('tunelint: `' .. base.cmd[1] .. '` not found; pip install tunelint',
        vim.log.levels.WARN)
      return
    end
    local fname = vim.api.nvim_buf_get_name(args.buf)
    local marker = vim.fs.find(base.root_markers, { upward = true, path = vim.fs.dirname(fname) })[1]
    vim.lsp.start({
      name = 'tunelint',
      cmd = base.cmd,
      root_dir = marker and vim.fs.dirname(marker) or vim.fs.dirname(fname),
      init_options = base.init_options,
      settings = base.settings,
    })
  end,
})
