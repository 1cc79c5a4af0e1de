--- Review before apply: a proposed edit shown as a diff, accepted or rejected.
---
--- The server answers fix/modify/ask with a proposal (`applied = false`,
--- `proposal = {id, uri, version, label, new_text, edits, warnings, related}`)
--- because this plugin declares `experimental.mycoder.editPreview`. Here the
--- proposal opens in a vertical split: a read-only scratch buffer with the
--- new text, `:diffthis` on it and on the file. `ga` accepts, `gr` rejects
--- (in that buffer), as do :MyCoderAccept / :MyCoderReject anywhere. The
--- server applies an accepted edit itself (workspace/applyEdit); this module
--- never changes the file. Works on Neovim 0.7.2 and 0.10+.

local client = require("mycoder.client")

local M = {}

--- The capability that makes the server propose instead of applying.
M.capability = { mycoder = { editPreview = true } }

--- Neovim's own capabilities plus ours (a `capabilities` table replaces the
--- defaults, so they are merged here).
---@param extra table|nil the user's capabilities
---@return table
function M.client_capabilities(extra)
  local base = vim.lsp.protocol.make_client_capabilities()
  base = vim.tbl_deep_extend("force", base, extra or {})
  base.experimental = vim.tbl_deep_extend("force", base.experimental or {}, M.capability)
  return base
end

---@class mycoder.Shown
---@field id string
---@field client_id integer
---@field source integer   the file's buffer
---@field buffer integer   the scratch buffer with the new text
---@field label string

--- Proposals shown and not yet decided, newest last.
---@type mycoder.Shown[]
M.shown = {}

local function notify(message, level)
  vim.notify("MyCoder: " .. message, level or vim.log.levels.INFO)
end

local function find(id)
  for i, shown in ipairs(M.shown) do
    if shown.id == id then
      return shown, i
    end
  end
end

--- Close the diff of `shown` (its window and buffer; diff mode off in the file's windows).
local function close(shown)
  local _, i = find(shown.id)
  if i then
    table.remove(M.shown, i)
  end
  if vim.api.nvim_buf_is_valid(shown.source) then
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_buf(win) == shown.source then
        vim.api.nvim_win_call(win, function()
          vim.cmd("diffoff")
        end)
      end
    end
  end
  if vim.api.nvim_buf_is_valid(shown.buffer) then
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_buf(win) == shown.buffer and #vim.api.nvim_list_wins() > 1 then
        vim.api.nvim_win_close(win, true)
      end
    end
    if vim.api.nvim_buf_is_valid(shown.buffer) then
      vim.api.nvim_buf_delete(shown.buffer, { force = true })
    end
  end
end

--- The proposal a command without an id means: the one whose diff the cursor
--- is in, else the newest for the current buffer, else the newest.
---@return mycoder.Shown|nil
function M.current()
  local bufnr = vim.api.nvim_get_current_buf()
  for i = #M.shown, 1, -1 do
    if M.shown[i].buffer == bufnr or M.shown[i].source == bufnr then
      return M.shown[i]
    end
  end
  return M.shown[#M.shown]
end

--- Show `proposal` (from a command's answer on client `client_id`) as a diff.
---@param proposal table
---@param client_id integer
---@return mycoder.Shown|nil
function M.show(proposal, client_id)
  local source = vim.uri_to_bufnr(proposal.uri)
  if not vim.api.nvim_buf_is_loaded(source) then
    vim.fn.bufload(source)
  end
  local win = vim.fn.bufwinid(source)
  if win == -1 then
    win = vim.api.nvim_get_current_win()
    vim.api.nvim_win_set_buf(win, source)
  end
  vim.api.nvim_set_current_win(win)
  local buffer = vim.api.nvim_create_buf(false, true)
  local lines = vim.split(proposal.new_text or "", "\n", { plain = true })
  if lines[#lines] == "" then
    table.remove(lines) -- the file's last newline, not an extra empty line
  end
  vim.api.nvim_buf_set_lines(buffer, 0, -1, false, lines)
  vim.bo[buffer].bufhidden = "wipe"
  vim.bo[buffer].filetype = vim.bo[source].filetype
  vim.bo[buffer].modifiable = false
  pcall(vim.api.nvim_buf_set_name, buffer, "mycoder://proposal/" .. proposal.id)
  vim.cmd("vertical rightbelow split")
  local preview_win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(preview_win, buffer)
  for _, w in ipairs({ win, preview_win }) do
    vim.api.nvim_win_call(w, function()
      vim.cmd("diffthis")
    end)
  end
  local shown = { id = proposal.id, client_id = client_id, source = source, buffer = buffer,
    label = proposal.label or "" }
  table.insert(M.shown, shown)
  local map = function(lhs, fn, desc)
    vim.keymap.set("n", lhs, fn, { buffer = buffer, desc = desc, nowait = true })
  end
  map("ga", function()
    M.accept(shown.id)
  end, "MyCoder: accept this edit")
  map("gr", function()
    M.reject(shown.id)
  end, "MyCoder: reject this edit")
  -- Wiped with its window (:q): the proposal is rejected, not left pending.
  vim.api.nvim_create_autocmd("BufWipeout", {
    buffer = buffer,
    once = true,
    callback = function()
      if find(shown.id) then
        vim.schedule(function()
          M.reject(shown.id)
        end)
      end
    end,
  })
  for _, warning in ipairs(proposal.warnings or {}) do
    notify(tostring(warning), vim.log.levels.WARN)
  end
  -- Edits in other files (callers of what changed) are applied with this one.
  local others = {}
  for _, related in ipairs(proposal.related or {}) do
    if type(related) == "table" and related.path then
      table.insert(others, vim.fn.fnamemodify(related.path, ":."))
    end
  end
  if #others > 0 then
    notify("accepting also changes " .. table.concat(others, ", "), vim.log.levels.WARN)
  end
  notify(("%s — ga accepts, gr rejects (:MyCoderAccept, :MyCoderReject)"):format(shown.label))
  return shown
end

--- Run mycoder.acceptEdit or mycoder.rejectEdit for `id` (default: M.current()).
local function decide(command, id)
  local shown = id and find(id) or (not id and M.current()) or nil
  if not shown then
    notify(id and ("no proposed edit " .. id) or "no proposed edit to " .. (command == "acceptEdit" and "accept" or "reject"),
      vim.log.levels.WARN)
    return false
  end
  local c = vim.lsp.get_client_by_id(shown.client_id)
  close(shown)
  if not c then
    notify("mycoder-lsp is not running; the edit was not applied", vim.log.levels.ERROR)
    return false
  end
  return require("mycoder.commands").execute(command, { shown.id }, nil, c)
end

--- Accept proposal `id` (default: the one under the cursor, else the newest).
---@param id string|nil
function M.accept(id)
  return decide("acceptEdit", id)
end

--- Reject proposal `id` (default: the one under the cursor, else the newest).
---@param id string|nil
function M.reject(id)
  return decide("rejectEdit", id)
end

--- Client `client_id` exited: its proposals cannot be accepted any more.
---@param client_id integer
function M.client_exited(client_id)
  for _, shown in ipairs(vim.deepcopy(M.shown)) do
    if shown.client_id == client_id then
      close(shown)
    end
  end
end

return M
