--- MyCoder's diagnostics (validation and review findings) in the quickfix list.
---
--- Reads what Neovim already stored in vim.diagnostic under the MyCoder
--- clients' namespaces; it never asks the server for anything.

local client = require("mycoder.client")
local config = require("mycoder.config")

local M = {}

M.title = "MyCoder diagnostics"

local type_of = { "E", "W", "I", "N" }

local function namespaces()
  local found = {}
  for _, c in ipairs(client.clients()) do
    found[vim.lsp.diagnostic.get_namespace(c.id)] = true
  end
  return found
end

--- Quickfix items for every MyCoder diagnostic, ordered by file and position.
---@return table[]
function M.items()
  local items = {}
  for ns in pairs(namespaces()) do
    for _, d in ipairs(vim.diagnostic.get(nil, { namespace = ns })) do
      local lsp = d.user_data and d.user_data.lsp or {}
      local code = d.code or lsp.code
      table.insert(items, {
        bufnr = d.bufnr,
        filename = vim.api.nvim_buf_get_name(d.bufnr),
        lnum = d.lnum + 1,
        col = d.col + 1,
        end_lnum = (d.end_lnum or d.lnum) + 1,
        end_col = (d.end_col or d.col) + 1,
        type = type_of[d.severity] or "E",
        text = ("%s%s [%s]"):format(code and (code .. ": ") or "", d.message, d.source or lsp.source or "mycoder"),
      })
    end
  end
  table.sort(items, function(a, b)
    if a.filename ~= b.filename then
      return a.filename < b.filename
    end
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return a.col < b.col
  end)
  return items
end

--- Replace MyCoder's quickfix list if it is the current one, else add a new one,
--- so refreshing never buries the user's other lists.
---@param items table[]
---@param title string
function M.set(items, title)
  local current = vim.fn.getqflist({ title = 0 }).title
  vim.fn.setqflist({}, current == title and "r" or " ", { title = title, items = items })
end

--- Fill the quickfix list with MyCoder's diagnostics; open it when asked to.
---@param open boolean|nil default: the `quickfix.open` option
---@return integer number of items
function M.update(open)
  local items = M.items()
  M.set(items, M.title)
  if open == nil then
    open = config.options.quickfix.open
  end
  if open and #items > 0 then
    vim.cmd("botright copen")
  end
  return #items
end

local scheduled = false

--- Refresh (without opening) once the current burst of publishes is over.
function M.schedule_update()
  if scheduled then
    return
  end
  scheduled = true
  vim.schedule(function()
    scheduled = false
    M.update(false)
  end)
end

return M
