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

--- The id of the quickfix list titled `title` (the newest one), or nil.
---@param title string
---@return integer|nil
local function find_list(title)
  for nr = vim.fn.getqflist({ nr = "$" }).nr, 1, -1 do
    local list = vim.fn.getqflist({ nr = nr, id = 0, title = 0 })
    if list.title == title then
      return list.id
    end
  end
  return nil
end

--- Make the list `id` the current one (:colder/:cnewer, which keep the stack).
local function make_current(id)
  local delta = vim.fn.getqflist({ id = id, nr = 0 }).nr - vim.fn.getqflist({ nr = 0 }).nr
  if delta < 0 then
    vim.cmd(("silent %dcolder"):format(-delta))
  elseif delta > 0 then
    vim.cmd(("silent %dcnewer"):format(delta))
  end
end

--- Put `items` in the quickfix list titled `title`: that list is replaced in
--- place (found by its title, wherever it is in the stack), or added at the
--- end of the stack. Refreshing never pushes a list on top of the user's
--- (`:vimgrep`, `:make`) nor frees the lists after the current one.
---@param items table[]
---@param title string
---@param current boolean|nil make it the current list (an explicit command); else the current list stays
function M.set(items, title, current)
  local id = find_list(title)
  if id then
    vim.fn.setqflist({}, "r", { id = id, title = title, items = items })
  else
    local before = vim.fn.getqflist({ id = 0 }).id
    -- nr = "$": at the end of the stack, so no list after the current one is freed.
    vim.fn.setqflist({}, " ", { nr = "$", title = title, items = items })
    id = vim.fn.getqflist({ nr = "$", id = 0 }).id
    if not current and before ~= 0 then
      make_current(before)
    end
  end
  if current then
    make_current(id)
  end
end

--- Fill the quickfix list with MyCoder's diagnostics; open it when asked to.
---@param open boolean|nil default: the `quickfix.open` option
---@return integer number of items
function M.update(open)
  local items = M.items()
  -- A refresh (open == false) keeps whatever list the user is looking at.
  M.set(items, M.title, open ~= false)
  if open == nil then
    open = config.options.quickfix.open
  end
  if open and #items > 0 then
    vim.cmd("botright copen")
  end
  return #items
end

--- Refresh MyCoder's list in place if there is one (a server exited: its
--- diagnostics are gone); never creates a list.
function M.refresh()
  if find_list(M.title) then
    M.set(M.items(), M.title, false)
  end
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
