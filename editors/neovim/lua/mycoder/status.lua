--- :MyCoderStatus — what runs, for which root, with which settings, and the
--- last thing that went wrong. Reads the plugin's and Neovim's state only; it
--- never asks the server anything (it must answer when the server hangs).

local client = require("mycoder.client")
local config = require("mycoder.config")

local M = {}

local islist = vim.islist or vim.tbl_islist

--- `settings` as "a.b=value" pairs, secrets hidden.
---@param settings table
---@return string[]
function M.flatten(settings, prefix, out)
  out = out or {}
  local keys = vim.tbl_keys(settings or {})
  table.sort(keys, function(a, b)
    return tostring(a) < tostring(b)
  end)
  for _, key in ipairs(keys) do
    local value = settings[key]
    local name = (prefix and (prefix .. ".") or "") .. tostring(key)
    if type(value) == "table" and not islist(value) then
      M.flatten(value, name, out)
    elseif tostring(key):lower():find("api_?key") then
      table.insert(out, name .. "=(set)")
    else
      table.insert(out, name .. "=" .. (type(value) == "table" and vim.inspect(value) or tostring(value)))
    end
  end
  return out
end

--- The report, one line each.
---@return string[]
function M.lines()
  local lines = {}
  local clients = client.clients()
  if #clients == 0 then
    table.insert(lines, "MyCoder: no server running")
  end
  for _, c in ipairs(clients) do
    local info = c.server_info or (c.initialize_result or {}).serverInfo or {}
    table.insert(lines, ("MyCoder: server running for %s (client %d, pid %s, %s %s, positions in %s)"):format(
      c.config.root_dir or "?", c.id, tostring(client.pid(c) or "unknown"), info.name or "mycoder-lsp",
      info.version or "", c.offset_encoding or "?"))
  end
  table.insert(lines, "  command: " .. table.concat(config.options.cmd, " "))
  local settings = M.flatten(config.options.settings)
  table.insert(lines, "  settings: " .. (#settings > 0 and table.concat(settings, ", ") or "none given (the server's defaults and config files)"))
  local busy = vim.tbl_count(require("mycoder.progress").active())
  table.insert(lines, ("  work in progress: %d"):format(busy))
  local exit = client.last_exit
  if exit then
    table.insert(lines, ("  last exit: %s, %s at %s%s"):format(exit.root,
      exit.signal ~= 0 and ("signal " .. exit.signal) or ("code " .. exit.code), exit.at, exit.crashed and " (crashed)" or ""))
  end
  table.insert(lines, "  last error: " .. (client.last_error or "none"))
  if #clients == 0 then
    table.insert(lines, "  :MyCoderRestart starts it; :checkhealth mycoder checks the setup")
  end
  return lines
end

function M.show()
  vim.api.nvim_echo({ { table.concat(M.lines(), "\n") } }, true, {})
end

return M
