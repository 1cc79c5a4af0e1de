--- Buffer positions (1-based rows, 0-based byte columns) as LSP positions
--- (0-based lines, columns in the client's offset encoding: UTF-16 unless the
--- server chose otherwise), and the command argument built from them.
---
--- Pure Lua over the buffer's text, the same on Neovim 0.7 and 0.11 (the
--- signature of vim.str_utfindex changed between them, so it is not used).

local M = {}

--- Units of `encoding` in the first `col` bytes of `line`.
---@param line string
---@param col integer byte count
---@param encoding string "utf-8" | "utf-16" | "utf-32"
---@return integer
function M.units(line, col, encoding)
  col = math.max(0, math.min(col, #line))
  if encoding == "utf-8" then
    return col
  end
  local units = 0
  for i = 1, col do
    local byte = line:byte(i)
    -- Continuation bytes (10xxxxxx) add nothing; a 4-byte sequence is one
    -- code point but a surrogate pair in UTF-16.
    if byte < 0x80 or byte >= 0xC0 then
      units = units + ((encoding == "utf-16" and byte >= 0xF0) and 2 or 1)
    end
  end
  return units
end

---@param bufnr integer
---@param row integer 0-based
---@return string
local function line_at(bufnr, row)
  return vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
end

--- LSP position of a 0-based row and byte column.
---@return table {line, character}
function M.lsp_position(bufnr, row, col, encoding)
  return { line = row, character = M.units(line_at(bufnr, row), col, encoding) }
end

--- Byte length of the character starting at byte `col` (0-based) of `line`.
local function char_len(line, col)
  local byte = line:byte(col + 1)
  if not byte then
    return 0
  end
  if byte >= 0xF0 then
    return 4
  elseif byte >= 0xE0 then
    return 3
  elseif byte >= 0xC0 then
    return 2
  end
  return 1
end

--- The LSP range of a command's range: the last visual selection when the
--- command was given `'<,'>`, else whole lines `line1`..`line2`.
---@param bufnr integer
---@param line1 integer 1-based
---@param line2 integer 1-based
---@param encoding string
---@return table {start, end}
function M.command_range(bufnr, line1, line2, encoding)
  local vstart = vim.api.nvim_buf_get_mark(bufnr, "<")
  local vend = vim.api.nvim_buf_get_mark(bufnr, ">")
  if vstart[1] == line1 and vend[1] == line2 and vstart[1] > 0 then
    local last = line_at(bufnr, vend[1] - 1)
    -- A linewise selection reports a huge end column (v:maxcol).
    local end_col = math.min(vend[2], math.max(#last - 1, 0))
    end_col = #last == 0 and 0 or end_col + char_len(last, end_col)
    return {
      start = M.lsp_position(bufnr, vstart[1] - 1, vstart[2], encoding),
      ["end"] = M.lsp_position(bufnr, vend[1] - 1, end_col, encoding),
    }
  end
  local last = line_at(bufnr, line2 - 1)
  return {
    start = { line = line1 - 1, character = 0 },
    ["end"] = { line = line2 - 1, character = M.units(last, #last, encoding) },
  }
end

--- The one JSON argument of the mycoder.* commands for the current window:
--- `{uri, position, range?, instruction?}`.
---@param opts {range: integer, line1: integer, line2: integer}|nil user command opts
---@param encoding string
---@param instruction string|nil
---@return table
function M.command_argument(opts, encoding, instruction)
  local bufnr = vim.api.nvim_get_current_buf()
  local cursor = vim.api.nvim_win_get_cursor(0)
  local arg = {
    uri = vim.uri_from_bufnr(bufnr),
    position = M.lsp_position(bufnr, cursor[1] - 1, cursor[2], encoding),
  }
  if opts and opts.range and opts.range > 0 then
    arg.range = M.command_range(bufnr, opts.line1, opts.line2, encoding)
  end
  if instruction and instruction ~= "" then
    arg.instruction = instruction
  end
  return arg
end

return M
