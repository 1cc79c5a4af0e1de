--- The :MyCoder* commands: each builds the JSON argument of a `mycoder.*`
--- server command from the cursor or the range, runs it through
--- workspace/executeCommand and shows what came back.
---
--- Edits are applied by the server (workspace/applyEdit, which Neovim handles
--- itself); a proposed edit (edits.preview, the default) goes to
--- mycoder.preview, which shows it as a diff to accept or reject. This module
--- only reports results. It never talks to a model.

local client = require("mycoder.client")
local position = require("mycoder.position")
local quickfix = require("mycoder.quickfix")

local M = {}

--- The last answer of each command (`{pending}`, `{result}` or `{error}`), for scripts and the tests.
---@type table<string, any>
M.last = {}
local sent = 0

--- client id -> number of this plugin's commands in flight on it
---@type table<integer, integer>
local in_flight = {}
--- client id -> window/showMessage texts that arrived while commands were in flight
---@type table<integer, table[]>
local held = {}

local function notify(message, level)
  vim.notify("MyCoder: " .. message, level or vim.log.levels.INFO)
end

--- Whether this plugin has a command in flight on client `client_id`.
---@param client_id integer
---@return boolean
function M.busy(client_id)
  return (in_flight[client_id] or 0) > 0
end

--- window/showMessage from a MyCoder client. The server announces each
--- command's outcome itself (for editors that show nothing else), and the
--- command's answer says the same: while a command is in flight its messages
--- are held, and the answer shows the outcome once (see `finish`). Returns
--- true when the message was held, false when it should be shown now.
---@param result table ShowMessageParams
---@param ctx table {client_id}
---@return boolean
function M.hold_message(result, ctx)
  if not (ctx and M.busy(ctx.client_id)) or type(result) ~= "table" then
    return false
  end
  held[ctx.client_id] = held[ctx.client_id] or {}
  table.insert(held[ctx.client_id], { params = result, ctx = ctx })
  return true
end

--- The server's messages carry a "MyCoder: " prefix; the answers do not.
local function bare(text)
  return (tostring(text or ""):gsub("^MyCoder: ", ""))
end

--- A command on `client_id` answered with `final` (its outcome, already shown
--- or about to be): drop the held messages that say the same, and once no
--- command is in flight show the others (a vault notice, a settings problem).
---@param client_id integer
---@param final string|nil
local function finish(client_id, final)
  in_flight[client_id] = math.max((in_flight[client_id] or 1) - 1, 0)
  local kept = {}
  for _, message in ipairs(held[client_id] or {}) do
    if final == nil or bare(message.params.message) ~= bare(final) then
      table.insert(kept, message)
    end
  end
  held[client_id] = kept
  if in_flight[client_id] > 0 then
    return
  end
  held[client_id] = nil
  local default = vim.lsp.handlers["window/showMessage"]
  for _, message in ipairs(kept) do
    if default then
      default(nil, message.params, message.ctx, {})
    end
  end
end

--- A scratch window with `text` (explanations and reviews are long).
local function show_text(title, text)
  local lines = vim.split(text, "\n", { plain = true })
  local bufnr = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, lines)
  vim.bo[bufnr].filetype = "markdown"
  vim.bo[bufnr].bufhidden = "wipe"
  vim.bo[bufnr].modifiable = false
  vim.cmd("botright " .. math.min(math.max(#lines, 3), 15) .. "split")
  vim.api.nvim_win_set_buf(0, bufnr)
  pcall(vim.api.nvim_buf_set_name, bufnr, "mycoder://" .. title .. "/" .. bufnr)
  return bufnr
end

--- Show the `{kind, message, ...}` answer of ask/explain/review/fix/modify
--- (and of acceptEdit/rejectEdit), from client `client_id`.
local function show_result(name, result, client_id)
  if type(result) ~= "table" then
    notify(name .. " finished")
    return
  end
  local kind, message = result.kind, result.message or ""
  if kind == "edit" and result.applied == false and type(result.proposal) == "table" then
    require("mycoder.preview").show(result.proposal, client_id)
  elseif kind == "explanation" or (kind == "review" and message:find("\n")) then
    show_text(name, message)
  elseif kind == "refused" then
    notify(message, vim.log.levels.WARN)
  elseif kind == "error" then
    client.note_error(message)
    notify(message, vim.log.levels.ERROR)
  else
    if kind == "review" then
      quickfix.update(false)
    end
    notify(message ~= "" and message or (name .. ": " .. tostring(kind)))
  end
end

--- Run `mycoder.<name>` with `arguments` on a MyCoder client (by default the
--- current buffer's).
---@param name string e.g. "explain", "feature.lock"
---@param arguments table[]
---@param on_result fun(result: any)|nil default: show the {kind, message} answer
---@param c table|nil the client
---@return boolean sent
function M.execute(name, arguments, on_result, c)
  local bufnr = vim.api.nvim_get_current_buf()
  c = c or client.for_buffer(bufnr)
  if not c then
    return false
  end
  local command = "mycoder." .. name
  if type(arguments[1]) == "table" and not name:find("^feature") and name ~= "search" and name ~= "index" then
    -- show_result puts explanations in a scratch window; the server then
    -- need not show them as a message too.
    arguments[1].show = false
  end
  sent = sent + 1
  local seq = sent
  M.last[name] = { pending = true, seq = seq, client_id = c.id }
  local function record(answer)
    -- An older request answering late must not hide the newer one's state.
    if M.last[name].seq == seq then
      answer.seq = seq
      M.last[name] = answer
    end
  end
  local client_id = c.id
  in_flight[client_id] = (in_flight[client_id] or 0) + 1
  local ok_sent = client.call(c, "request", "workspace/executeCommand", { command = command, arguments = arguments },
    function(err, result)
      if err then
        record({ error = err })
        local message = ("%s failed: %s"):format(command, err.message or vim.inspect(err))
        client.note_error(message)
        finish(client_id, nil)
        notify(message, vim.log.levels.ERROR)
        return
      end
      record({ result = result })
      if type(result) == "table" and type(result.error) == "string" then
        -- The vault commands answer {error}; shown here, once.
        client.note_error(result.error)
        finish(client_id, result.error)
        notify(result.error, vim.log.levels.ERROR)
        return
      end
      finish(client_id, type(result) == "table" and result.message or nil)
      if on_result then
        on_result(result)
      else
        show_result(name, result, client_id)
      end
    end, bufnr)
  if not ok_sent then
    -- The client is shutting down: no answer will come.
    finish(client_id, nil)
    record({ error = { message = "the server is not running" } })
    notify("mycoder-lsp is not running; :MyCoderRestart starts it again", vim.log.levels.ERROR)
    return false
  end
  return true
end

--- The client `client_id` exited: its commands will never answer.
---@param client_id integer
function M.client_exited(client_id)
  in_flight[client_id], held[client_id] = nil, nil
  require("mycoder.preview").client_exited(client_id)
  for name, last in pairs(M.last) do
    if last.pending and last.client_id == client_id then
      M.last[name] = { error = { message = "the server exited" }, seq = last.seq }
    end
  end
end

--- Client-side handlers for the commands of MyCoder's code actions, so they
--- show their answer like the :MyCoder* commands do, and "Modify…" asks what
--- to change (the server's action cannot know).
function M.code_action_handlers()
  local handlers = {}
  for _, name in ipairs({ "ask", "explain", "review", "fix", "modify" }) do
    handlers["mycoder." .. name] = function(command, ctx)
      local c = vim.lsp.get_client_by_id(ctx.client_id)
      local arg = vim.deepcopy((command.arguments or {})[1] or {})
      if (name == "modify" or name == "ask") and not arg.instruction then
        vim.ui.input({ prompt = name == "modify" and "Modify how? " or "Ask MyCoder: " }, function(text)
          if text and text ~= "" then
            arg.instruction = text
            M.execute(name, { arg }, nil, c)
          end
        end)
        return
      end
      M.execute(name, { arg }, nil, c)
    end
  end
  return handlers
end

--- ask/explain/review/fix/modify: one argument from the cursor and range.
---@param name string
---@param opts table user command opts (range, line1, line2)
---@param instruction string|nil
function M.request(name, opts, instruction)
  local bufnr = vim.api.nvim_get_current_buf()
  local c = client.for_buffer(bufnr)
  if not c then
    return false
  end
  local arg = position.command_argument(opts, c.offset_encoding or "utf-16", instruction)
  return M.execute(name, { arg })
end

--- Like M.request, with the instruction from the command line or vim.ui.input.
function M.with_instruction(name, prompt)
  return function(opts)
    if opts.args and opts.args ~= "" then
      M.request(name, opts, opts.args)
      return
    end
    -- vim.ui.input's callback runs later: keep the range and window as they are now.
    local win = vim.api.nvim_get_current_win()
    vim.ui.input({ prompt = prompt }, function(text)
      if text and text ~= "" and vim.api.nvim_win_is_valid(win) then
        vim.api.nvim_set_current_win(win)
        M.request(name, opts, text)
      end
    end)
  end
end

--- Search results `[{path, uri, name, kind, start_line, end_line, score}]` as quickfix items.
function M.search_items(results)
  local items = {}
  for _, r in ipairs(results or {}) do
    local filename = r.uri and vim.uri_to_fname(r.uri) or r.path
    table.insert(items, {
      filename = filename,
      lnum = r.start_line or 1,
      end_lnum = r.end_line,
      col = 1,
      text = ("%s %s (%.2f)"):format(r.kind or "", r.name or "", tonumber(r.score) or 0),
    })
  end
  return items
end

function M.search(query, k)
  if not query or query == "" then
    vim.ui.input({ prompt = "MyCoder search: " }, function(text)
      if text and text ~= "" then
        M.search(text, k)
      end
    end)
    return
  end
  M.execute("search", { { query = query, k = k } }, function(results)
    local items = M.search_items(results)
    quickfix.set(items, "MyCoder search: " .. query, true)
    if #items == 0 then
      notify("nothing found for " .. query)
    else
      vim.cmd("botright copen")
    end
  end)
end

local function show_features(result)
  local features = type(result) == "table" and result.features or {}
  if vim.tbl_isempty(features) then
    notify("no features yet (create one with :MyCoderFeature create TITLE)")
    return
  end
  local lines = {}
  for _, f in ipairs(features) do
    local current = result.current_feature_id == f.id and "* " or "  "
    table.insert(lines, ("%s%s  [%s]  %s"):format(current, tostring(f.id), f.status or "?", f.title or ""))
  end
  notify("features:\n" .. table.concat(lines, "\n"))
end

M.feature_subcommands = { "create", "list", "lock", "unlock" }

--- :MyCoderFeature create TITLE | list | lock ID | unlock ID
function M.feature(opts)
  local sub, rest = (opts.args or ""):match("^%s*(%S+)%s*(.-)%s*$")
  if sub == "list" then
    return M.execute("feature.list", {}, show_features)
  elseif sub == "create" and rest ~= "" then
    return M.execute("feature.create", { { title = rest } }, function(result)
      notify(("feature %s created: %s"):format(tostring(result.id), tostring(result.title)))
    end)
  elseif (sub == "lock" or sub == "unlock") and rest ~= "" then
    return M.execute("feature." .. sub, { { id = rest } }, function(result)
      notify(("feature %s is %s"):format(tostring(result.id), tostring(result.status)))
    end)
  end
  notify("usage: :MyCoderFeature create TITLE | list | lock ID | unlock ID", vim.log.levels.ERROR)
  return false
end

--- Cancel every MyCoder request in progress (the server stops the model).
---@return integer how many were cancelled
function M.cancel()
  local n = 0
  for token, entry in pairs(require("mycoder.progress").active()) do
    local c = vim.lsp.get_client_by_id(entry.client_id)
    if c then
      client.call(c, "notify", "window/workDoneProgress/cancel", { token = entry.token })
      n = n + 1
    end
  end
  notify(n > 0 and ("cancelling %d request(s)"):format(n) or "nothing to cancel")
  return n
end

function M.index()
  return M.execute("index", {}, function(result)
    notify(("indexed %s files, %s chunks in %.1f s"):format(
      tostring(result.files), tostring(result.chunks), tonumber(result.seconds) or 0))
  end)
end

return M
