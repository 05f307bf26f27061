-- Headless Neovim scenario for test_neovim.py. Loads the *shipped* config from
-- client-config/neovim (TUNELINT_NVIM_DIR) the way the README says for this Neovim version,
-- opens TUNELINT_FILE, and records into TUNELINT_RESULT (JSON): the diagnostics on open, after an
-- edit that fixes the broken line, and after applying the blank-line quick fix.
local dir = assert(os.getenv('TUNELINT_NVIM_DIR'))
local file = assert(os.getenv('TUNELINT_FILE'))
local result_path = assert(os.getenv('TUNELINT_RESULT'))
local timeout = tonumber(os.getenv('TUNELINT_TIMEOUT') or '20000')

local result = { version = tostring(vim.version().major .. '.' .. vim.version().minor), steps = {} }

local function finish(err)
  result.error = err
  local f = assert(io.open(result_path, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qa!')
end

vim.opt.runtimepath:prepend(dir)
vim.opt.swapfile = false
local v = vim.version()
if v.major == 0 and v.minor < 8 then
  result.loaded = 'tunelint-0.7.lua'
  dofile(dir .. '/tunelint-0.7.lua')
elseif v.major == 0 and v.minor < 11 then
  result.loaded = 'tunelint-0.8.lua'
  dofile(dir .. '/tunelint-0.8.lua')
else
  result.loaded = 'lsp/tunelint.lua'
  vim.lsp.enable('tunelint')
end

local function diags(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(out, { lnum = d.lnum, col = d.col, code = d.code, severity = d.severity,
      source = d.source, message = d.message })
  end
  table.sort(out, function(a, b)
    if a.lnum ~= b.lnum then return a.lnum < b.lnum end
    return tostring(a.code) < tostring(b.code)
  end)
  return out
end

local function has(buf, code, lnum)
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == code and (lnum == nil or d.lnum == lnum) then return true end
  end
  return false
end

local function step(name, buf, ok)
  local passed = vim.wait(timeout, ok, 50)
  table.insert(result.steps, { name = name, ok = passed, diagnostics = diags(buf),
    lines = vim.api.nvim_buf_line_count(buf) })
  return passed
end

local function scenario()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  result.filetype = vim.bo[buf].filetype

  -- 1. diagnostics arrive on open
  if not step('open', buf, function()
    return has(buf, 'TL101', 2) and has(buf, 'TL006', 5) and has(buf, 'TL904', 8)
  end) then return finish('no diagnostics after open') end
  local clients = {}
  for _, c in pairs((vim.lsp.get_clients or vim.lsp.get_active_clients)()) do table.insert(clients, c.name) end
  result.clients = clients

  -- 2. an edit (fix the broken JSON on line 3) updates them
  local line = vim.api.nvim_buf_get_lines(buf, 2, 3, false)[1]
  vim.api.nvim_buf_set_lines(buf, 2, 3, false, { line .. ']}' })
  if not step('edit', buf, function()
    return not has(buf, 'TL101') and has(buf, 'TL006', 5)
  end) then return finish('diagnostics not updated after the edit') end

  -- 3. the quick fix for the blank line (line 6) applies through vim.lsp.buf.code_action
  local titles = {}
  vim.ui.select = function(items, opts, on_choice)
    for i, item in ipairs(items) do
      local action = item.action or item[2]
      table.insert(titles, action.title)
      if action.title:find('TL006', 1, true) then
        return on_choice(item, i)
      end
    end
    on_choice(nil, nil)
  end
  vim.api.nvim_win_set_cursor(0, { 6, 0 })
  vim.lsp.buf.code_action()
  local applied = vim.wait(timeout, function() return vim.api.nvim_buf_line_count(buf) == 13 end, 50)
  result.action_titles = titles
  if not applied then return finish('code action not applied') end
  if not step('code action', buf, function()
    return not has(buf, 'TL006') and has(buf, 'TL904', 7)
  end) then return finish('diagnostics not updated after the code action') end
  vim.cmd('write')
  finish(nil)
end

vim.api.nvim_create_autocmd('VimEnter', {
  callback = function()
    -- scheduled: out of the VimEnter autocommand, so :edit fires BufRead/FileType normally
    vim.schedule(function()
      local ok, err = pcall(scenario)
      if not ok then finish('driver error: ' .. tostring(err)) end
    end)
  end,
})
