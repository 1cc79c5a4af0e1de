--- Code suggestions from mycoder-lsp's completion brain, in insert mode.
---
--- The server answers `textDocument/completion` with "MyCoder: …" items whose
--- text edit holds the whole suggestion. Neovim's own `vim.lsp.omnifunc`
--- (<C-x><C-o>) shows them too, but inserts only one line; this module asks
--- for them on a key (default <M-\>) or through 'completefunc' (<C-x><C-u>),
--- shows them in the popup menu, and when one is chosen puts in all of its
--- lines. Where Neovim has `vim.lsp.inline_completion` (0.12+), that is
--- switched on instead and shows the suggestion as ghost text.
---
--- Works on Neovim 0.7: only APIs that exist there (client.request, vim.fn.complete).

local config = require("mycoder.config")

local M = {}

local has_inline = vim.lsp.inline_completion ~= nil

--- The items of the last answer, by the index put in their user_data.
---@type table<integer, table>
local shown = {}

--- The identifier being typed before the cursor starts here (0-based byte
--- column); the server's edits start at the same place (server/features/completion.py).
---@param line string
---@param col integer cursor column, 0-based bytes
---@return integer
local function word_start(line, col)
  local before = line:sub(1, col)
  local word = before:match("[%w_$]*$") or ""
  return col - #word
end

local function client_of(bufnr)
  return require("mycoder.client").clients(bufnr)[1]
end

--- Complete items for the popup menu: the first line is what the menu inserts,
--- the rest goes in on CompleteDone (see on_complete_done).
---@param items table[] LSP CompletionItems
---@return table[]
local function menu_items(items)
  shown = {}
  local out = {}
  for i, item in ipairs(items) do
    local text = (item.textEdit and item.textEdit.newText) or item.insertText or item.label
    shown[i] = item
    table.insert(out, {
      word = vim.split(text, "\n", { plain = true })[1],
      abbr = item.label,
      menu = "[MyCoder]",
      info = text,
      icase = 1,
      dup = 1,
      empty = 1,
      user_data = { mycoder = i },
    })
  end
  return out
end

--- Ask the server for a suggestion at the cursor and show it in the popup
--- menu (insert mode). Returns at once: the answer comes asynchronously and is
--- dropped if the cursor moved or the text changed meanwhile.
---@param bufnr integer|nil
function M.request(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local c = client_of(bufnr)
  if not c then
    vim.notify("MyCoder: no mycoder-lsp client for this buffer", vim.log.levels.WARN)
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local start = word_start(line, col)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    position = require("mycoder.position").lsp_position(bufnr, row, col, c.offset_encoding or "utf-16"),
    context = { triggerKind = 1 },
  }
  M.last_request = { bufnr = bufnr, row = row, col = col }
  require("mycoder.client").call(c, "request", "textDocument/completion", params, function(err, result)
    if err then
      M.last_error = err
      return
    end
    local items = result and (result.items or result) or {}
    M.last_items = items
    local here = vim.api.nvim_win_get_cursor(0)
    local still = vim.api.nvim_get_current_buf() == bufnr and vim.api.nvim_buf_get_changedtick(bufnr) == tick
      and here[1] - 1 == row and here[2] == col and vim.fn.mode():sub(1, 1) == "i"
    if not still or #items == 0 then
      return
    end
    vim.fn.complete(start + 1, menu_items(items))
  end, bufnr)
end

--- 'completefunc': <C-x><C-u> asks the server, the menu opens when it answers.
---@param findstart integer
---@param base string
---@return integer|table
function M.completefunc(findstart, base)
  local _ = base
  if findstart == 1 then
    M.request()
    -- Stay in completion mode and show nothing now: request() calls complete().
    return -2
  end
  return {}
end

--- Put in the rest of a chosen multi-line suggestion (the menu inserted its first line).
function M.on_complete_done()
  local done = vim.v.completed_item
  local data = type(done) == "table" and done.user_data
  if type(data) == "string" and data ~= "" then
    local ok, decoded = pcall(vim.fn.json_decode, data)
    data = ok and decoded or nil
  end
  local index = type(data) == "table" and data.mycoder
  local item = index and shown[index]
  if not item then
    return
  end
  local text = (item.textEdit and item.textEdit.newText) or item.insertText or item.label
  local lines = vim.split(text, "\n", { plain = true })
  local bufnr = vim.api.nvim_get_current_buf()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  -- Text after the cursor that the suggestion replaces (its edit's end).
  local replace = 0
  local range = item.textEdit and item.textEdit.range
  if range and range["end"].line == range.start.line and range["end"].character > range.start.character then
    local typed_after = range["end"].character - (M.last_request and M.last_request.col or col)
    replace = math.max(0, math.min(typed_after, #line - col))
  end
  if #lines == 1 and replace == 0 then
    return
  end
  local rest = vim.list_slice(lines, 2)
  if #lines > 1 then
    vim.api.nvim_buf_set_text(bufnr, row, col, row, col + replace, vim.list_extend({ "" }, rest))
    vim.api.nvim_win_set_cursor(0, { row + #lines, #lines[#lines] })
  else
    vim.api.nvim_buf_set_text(bufnr, row, col, row, col + replace, { "" })
  end
end

--- Called when a MyCoder client attaches to a buffer: the key, 'completefunc',
--- inline completion where Neovim has it.
---@param client table
---@param bufnr integer
function M.on_attach(client, bufnr)
  local opts = config.options.completion
  if opts == false or (type(opts) == "table" and opts.enabled == false) then
    return
  end
  opts = type(opts) == "table" and opts or {}
  if has_inline and client.server_capabilities and client.server_capabilities.inlineCompletionProvider then
    pcall(vim.lsp.inline_completion.enable, true, { bufnr = bufnr })
  end
  if opts.completefunc ~= false and vim.bo[bufnr].completefunc == "" then
    vim.bo[bufnr].completefunc = "v:lua.mycoder_completefunc"
  end
  if opts.keymap and opts.keymap ~= "" and vim.fn.maparg(opts.keymap, "i") == "" then
    vim.keymap.set("i", opts.keymap, function()
      M.request(bufnr)
    end, { buffer = bufnr, desc = "MyCoder: suggest code at the cursor" })
  end
  local group = vim.api.nvim_create_augroup("mycoder_completion_" .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd("CompleteDone", {
    group = group,
    buffer = bufnr,
    callback = function()
      M.on_complete_done()
    end,
  })
end

-- 'completefunc' takes a global function name ("v:lua.mycoder_completefunc" works on 0.7).
_G.mycoder_completefunc = function(findstart, base)
  return M.completefunc(findstart, base)
end

return M
