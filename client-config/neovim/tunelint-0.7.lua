-- tunelint for Neovim 0.7 (Debian 12's neovim): vim.lsp.start_client + buf_attach_client on
-- the `jsonl` FileType, one client per project root.
--
-- Use: put client-config/neovim on 'runtimepath' (for lsp/tunelint.lua and ftdetect/jsonl.vim)
-- and `dofile` this file from init.lua, or paste it there.

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
local clients = {} -- root_dir -> client id

local function find_root(fname, markers)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  while true do
    for _, m in ipairs(markers) do
      if vim.loop.fs_stat(dir .. '/' .. m) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return nil
    end
    dir = parent
  end
end

vim.api.nvim_create_autocmd('FileType', {
  pattern = base.filetypes,
  group = vim.api.nvim_create_augroup('tunelint-lsp', { clear = true }),
  callback = function(args)
    if vim.fn.executable(base.cmd[1]) == 0 then
      vim.notify('tunelint: `' .. base.cmd[1] .. '` not found; pip install tunelint',
        vim.log.levels.WARN)
      return
    end
    local fname = vim.api.nvim_buf_get_name(args.buf)
    local root = find_root(fname, base.root_markers) or vim.fn.fnamemodify(fname, ':p:h')
    local id = clients[root]
    if not id or vim.lsp.client_is_stopped(id) then
      id = vim.lsp.start_client({
        name = 'tunelint',
        cmd = base.cmd,
        root_dir = root,
        workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
        init_options = base.init_options,
        settings = base.settings,
      })
      clients[root] = id
    end
    if id then
      vim.lsp.buf_attach_client(args.buf, id)
    end
  end,
})
