-- Headless Neovim as the LSP client: open a fixture, wait for diagnostics, fix a line,
-- wait for the new ones, write what was seen as JSON to $TUNELINT_OUT, quit.
-- Works with Neovim 0.7 (start_client + buf_attach_client) and newer.
local out_path = os.getenv("TUNELINT_OUT")
local fixture = os.getenv("TUNELINT_FIXTURE")
local python = os.getenv("TUNELINT_PYTHON")
local timeout = tonumber(os.getenv("TUNELINT_TIMEOUT_MS") or "60000")

local seen = { published = {}, errors = {} }

local function finish()
  local f = io.open(out_path, "w")
  f:write(vim.fn.json_encode(seen))
  f:close()
  vim.cmd("qall!")
end

local ok, err = pcall(function()
  vim.cmd("edit " .. vim.fn.fnameescape(fixture))
  local bufnr = vim.api.nvim_get_current_buf()
  local publish = vim.lsp.handlers["textDocument/publishDiagnostics"]
  local client_id = vim.lsp.start_client({
    name = "tunelint",
    cmd = { python, "-m", "tunelint", "lsp" },
    root_dir = vim.fn.fnamemodify(fixture, ":h"),
    handlers = {
      ["textDocument/publishDiagnostics"] = function(e, result, ctx, config)
        local item = { version = result.version, diagnostics = {} }
        for _, d in ipairs(result.diagnostics) do
          table.insert(item.diagnostics, {
            code = d.code, line = d.range.start.line, character = d.range.start.character,
            end_character = d.range["end"].character,
          })
        end
        table.insert(seen.published, item)
        return publish(e, result, ctx, config)
      end,
    },
  })
  vim.lsp.buf_attach_client(bufnr, client_id)

  local function wait_version(v)
    return vim.wait(timeout, function()
      local last = seen.published[#seen.published]
      return last ~= nil and last.version ~= vim.NIL and last.version >= v
    end, 20)
  end

  if not wait_version(0) then
    table.insert(seen.errors, "no diagnostics after opening")
    return
  end
  -- What Neovim itself shows (vim.diagnostic columns are byte offsets).
  seen.shown_before = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(seen.shown_before, { code = d.code, lnum = d.lnum, col = d.col })
  end
  seen.first_version = seen.published[#seen.published].version

  -- Fix the role typo on the first line, as a user would.
  local line = vim.api.nvim_buf_get_lines(bufnr, 0, 1, false)[1]
  local fixed = line:gsub('"asistant"', '"assistant"')
  vim.api.nvim_buf_set_lines(bufnr, 0, 1, false, { fixed })
  seen.edited_version = vim.lsp.util.buf_versions[bufnr]
  if not wait_version(seen.edited_version) then
    table.insert(seen.errors, "no diagnostics after the edit")
    return
  end
  seen.shown_after = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(seen.shown_after, { code = d.code, lnum = d.lnum, col = d.col })
  end
  vim.lsp.stop_client(client_id)
end)
if not ok then
  table.insert(seen.errors, tostring(err))
end
finish()
