--- `$/progress` from the server (a model generating, the vault indexing) shown
--- in the message area, and the last reports kept for :MyCoderStatus and tests.

local config = require("mycoder.config")

local M = {}

--- Recent reports, newest last: {token, kind, title, message, percentage}.
---@type table[]
M.log = {}

--- key -> {token, client_id, title} of the work in progress (reports repeat only the message)
local active = {}

local function echo(text)
  -- Keep to one line so a report never triggers a hit-enter prompt.
  local width = math.max(vim.o.columns - 12, 20)
  if #text > width then
    text = text:sub(1, width - 1) .. "…"
  end
  vim.api.nvim_echo({ { text, "MoreMsg" } }, false, {})
end

---@param result table {token, value = {kind, title?, message?, percentage?}}
---@param ctx table {client_id}
function M.on_progress(result, ctx)
  local value = result and result.value
  if type(value) ~= "table" or not value.kind then
    return
  end
  local key = ("%s:%s"):format(ctx and ctx.client_id or "?", tostring(result.token))
  if value.kind == "begin" then
    active[key] = { token = result.token, client_id = ctx and ctx.client_id, title = value.title }
  end
  local entry = {
    token = tostring(result.token),
    kind = value.kind,
    title = value.title or (active[key] and active[key].title) or "",
    message = value.message,
    percentage = value.percentage,
  }
  table.insert(M.log, entry)
  if #M.log > 50 then
    table.remove(M.log, 1)
  end
  if value.kind == "end" then
    active[key] = nil
  end
  if not config.options.progress then
    return
  end
  if value.kind == "end" and ctx and require("mycoder.commands").busy(ctx.client_id) then
    -- A command's own answer follows and says how it ended ("Not applied: ..."
    -- as well as success): a "done ✓" here would overwrite it.
    return
  end
  -- The server's titles already say "MyCoder: ..." (other editors show them bare).
  local text = entry.title:find("^MyCoder") and entry.title or ("MyCoder: " .. entry.title)
  if entry.message and entry.message ~= "" then
    text = text .. " — " .. entry.message
  end
  if entry.percentage then
    text = text .. (" (%d%%)"):format(entry.percentage)
  end
  if value.kind == "end" then
    text = text .. " ✓"
  end
  -- Handlers may run in a fast event context where echo is not allowed.
  vim.schedule(function()
    -- A report that comes due after its work ended would overwrite what
    -- followed (a command's outcome): only the end itself may speak then.
    if value.kind == "end" or active[key] then
      echo(text)
    end
  end)
end

--- Work still in progress: key -> {token, client_id, title}.
function M.active()
  return vim.deepcopy(active)
end

return M
