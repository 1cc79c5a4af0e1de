--- Starting and finding the mycoder-lsp client for a buffer.
---
--- Two paths: Neovim 0.10+ uses vim.lsp.start (which reuses a client per
--- name and root by itself); Neovim 0.7–0.9 uses vim.lsp.start_client +
--- vim.lsp.buf_attach_client and keeps one client per root here. The 0.7 path
--- must only use APIs that exist in 0.7 (no vim.fs, no vim.lsp.get_clients).

local config = require("mycoder.config")

local M = {}

M.has_start = vim.fn.has("nvim-0.10") == 1
local method_calls = vim.fn.has("nvim-0.11") == 1

--- Call a client method as this Neovim wants it: client:request() on 0.11+
--- (client.request() is deprecated there), client.request() before.
---@param c table a client
---@param method string "request", "stop", "is_stopped", ...
function M.call(c, method, ...)
  if method_calls then
    return c[method](c, ...)
  end
  return c[method](...)
end

--- root -> client id (0.7–0.9 path only)
---@type table<string, integer>
local by_root = {}

--- root -> buffers to attach again once its stopping client has exited (:MyCoderRestart)
---@type table<string, integer[]>
local restart_after_exit = {}

--- root -> times (vim.loop.now()) the server crashed in the last minute
---@type table<string, integer[]>
local crashes = {}

--- client id -> buffers it was attached to (on_attach), to attach again after a restart
---@type table<integer, table<integer, boolean>>
local attached = {}

--- What :MyCoderStatus reports about servers that are gone, and the last error any command met.
---@type {root: string, code: integer, signal: integer, at: string, crashed: boolean}|nil
M.last_exit = nil
---@type string|nil
M.last_error = nil

--- Remember an error for :MyCoderStatus.
---@param message string
function M.note_error(message)
  M.last_error = ("%s (%s)"):format(message, os.date("%H:%M:%S"))
end

local function exists(path)
  return vim.loop.fs_stat(path) ~= nil
end

--- The nearest directory above `path` holding one of `markers`, in the order
--- of the markers (a `.mycoder` wins over an enclosing `.git`).
---@param path string a file
---@param markers string[]
---@return string|nil
function M.find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  for _, marker in ipairs(markers) do
    local current = dir
    while current and current ~= "" do
      if exists(current .. "/" .. marker) then
        return current
      end
      local parent = vim.fn.fnamemodify(current, ":h")
      if parent == current then
        break
      end
      current = parent
    end
  end
  return nil
end

--- Wraps a default handler so MyCoder can react after Neovim did its part.
local function after_default(method, extra)
  return function(err, result, ctx, handler_config)
    local default = vim.lsp.handlers[method]
    if default then
      default(err, result, ctx, handler_config)
    end
    extra(err, result, ctx)
  end
end

--- Handlers given to every MyCoder client (also used by lsp/mycoder.lua).
function M.handlers()
  return {
    ["$/progress"] = after_default("$/progress", function(_, result, ctx)
      require("mycoder.progress").on_progress(result, ctx)
    end),
    ["window/showMessage"] = function(err, result, ctx, handler_config)
      if type(result) == "table" and result.type == 1 then
        M.note_error(tostring(result.message))
      end
      -- Held while a :MyCoder* command runs: its answer shows the outcome once.
      if require("mycoder.commands").hold_message(result, ctx) then
        return vim.NIL
      end
      local default = vim.lsp.handlers["window/showMessage"]
      if default then
        return default(err, result, ctx, handler_config)
      end
    end,
    ["textDocument/publishDiagnostics"] = after_default("textDocument/publishDiagnostics", function()
      if config.options.quickfix.auto then
        -- After Neovim stored them; scheduled so a burst of publishes costs one update.
        require("mycoder.quickfix").schedule_update()
      end
    end),
  }
end

local function set_keymaps(bufnr)
  local keymaps = config.options.keymaps
  if not keymaps then
    return
  end
  local function map(lhs, rhs, desc)
    -- Leave the user's own mapping (and Neovim's default) alone.
    if lhs and vim.fn.maparg(lhs, "n") == "" then
      vim.keymap.set("n", lhs, rhs, { buffer = bufnr, desc = desc })
    end
  end
  if vim.fn.has("nvim-0.10") == 0 then
    map(keymaps.hover, vim.lsp.buf.hover, "MyCoder: hover")
  end
  if vim.fn.has("nvim-0.11") == 0 then
    map(keymaps.code_action, vim.lsp.buf.code_action, "MyCoder: code actions")
  end
end

local function on_attach(client, bufnr)
  attached[client.id] = attached[client.id] or {}
  attached[client.id][bufnr] = true
  set_keymaps(bufnr)
  require("mycoder.completion").on_attach(client, bufnr)
  if config.options.on_attach then
    config.options.on_attach(client, bufnr)
  end
end

--- `t` as a JSON object even when empty (an empty Lua table encodes as []).
local function object(t)
  if t == nil or next(t) == nil then
    return vim.empty_dict()
  end
  return t
end

--- The client config for a root.
---@param root string
---@return table
function M.client_config(root)
  local opts = config.options
  return {
    name = config.name,
    cmd = opts.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fn.fnamemodify(root, ":t") } },
    init_options = object(opts.init_options or opts.settings),
    -- Neovim's own plus experimental.mycoder.editPreview: edits come as
    -- proposals shown as a diff (lua/mycoder/preview.lua).
    capabilities = require("mycoder.preview").client_capabilities(opts.capabilities),
    -- Neovim answers workspace/configuration by looking the section up here.
    settings = { mycoder = object(opts.settings) },
    handlers = M.handlers(),
    commands = require("mycoder.commands").code_action_handlers(),
    on_attach = on_attach,
    on_exit = M.on_exit,
    -- The server runs in the root (and :MyCoderStatus finds its pid by it).
    cmd_cwd = root,
  }
end

--- Attach `buffers` (those still loaded) to a new client: through attach()
--- after setup(), through vim.lsp.enable's autocommands otherwise.
---@param buffers integer[]
local function attach_again(buffers)
  for _, bufnr in ipairs(buffers) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      if config.configured then
        M.attach(bufnr)
      else
        pcall(vim.api.nvim_exec_autocmds, "FileType", { group = "nvim.lsp.enable", buffer = bufnr })
      end
    end
  end
end

--- The buffers client `client_id` served: those our on_attach saw, and (0.10+)
--- the client's own list, for clients started by vim.lsp.enable.
local function buffers_of(client_id, c)
  local seen = vim.deepcopy(attached[client_id] or {})
  for bufnr in pairs((c and c.attached_buffers) or {}) do
    seen[bufnr] = true
  end
  local found = vim.tbl_keys(seen)
  table.sort(found)
  return found
end

--- Restart delays after a crash: 1 s, 2 s, 4 s, ...; nil once the server
--- crashed `restart.max` times within a minute.
---@param root string
---@return integer|nil ms
local function next_restart_delay(root)
  local now = vim.loop.now()
  local recent = {}
  for _, t in ipairs(crashes[root] or {}) do
    if now - t < 60000 then
      table.insert(recent, t)
    end
  end
  table.insert(recent, now)
  crashes[root] = recent
  local restart = config.options.restart
  if not (restart and restart.auto) or #recent > restart.max then
    return nil
  end
  return 1000 * 2 ^ (#recent - 1)
end

--- A MyCoder client exited (config.on_exit; also used by lsp/mycoder.lua).
--- Its diagnostics go (also from the quickfix list), a crash restarts it with
--- backoff, an exit asked for by :MyCoderRestart starts the new server.
---@param code integer
---@param signal integer
---@param client_id integer
function M.on_exit(code, signal, client_id)
  -- Looked up now: the client is forgotten once the exit callbacks ran.
  local c = vim.lsp.get_client_by_id(client_id)
  local root = (c and c.config.root_dir) or "?"
  -- Now too: the client's own list of buffers is gone once it exited.
  local served = buffers_of(client_id, c)
  -- on_exit may run in a fast event context.
  vim.schedule(function()
    if vim.v.exiting ~= nil and vim.v.exiting ~= vim.NIL then
      -- Neovim is quitting: nothing to clean up or restart (and on 0.7
      -- setqflist() during the teardown never returns).
      return
    end
    for r, id in pairs(by_root) do
      if id == client_id then
        root = r
        by_root[r] = nil
      end
    end
    attached[client_id] = nil
    require("mycoder.commands").client_exited(client_id)
    vim.diagnostic.reset(vim.lsp.diagnostic.get_namespace(client_id))
    require("mycoder.quickfix").refresh()
    local crashed = (code ~= 0 or (signal or 0) ~= 0) and restart_after_exit[root] == nil
    M.last_exit = { root = root, code = code, signal = signal or 0, at = os.date("%H:%M:%S"), crashed = crashed }
    if restart_after_exit[root] then
      local wanted = restart_after_exit[root]
      restart_after_exit[root] = nil
      attach_again(#wanted > 0 and wanted or served)
      return
    end
    if not crashed then
      return
    end
    local why = ("mycoder-lsp for %s exited (%s)"):format(root,
      (signal or 0) ~= 0 and ("signal " .. signal) or ("code " .. code))
    M.note_error(why)
    local delay = next_restart_delay(root)
    if not delay then
      vim.notify(("MyCoder: %s; it crashed %d times in a minute, not restarting. "
        .. ":MyCoderStatus shows the last error, :MyCoderRestart starts it again."):format(why, #crashes[root]),
        vim.log.levels.WARN)
      return
    end
    vim.notify(("MyCoder: %s; restarting in %d s"):format(why, delay / 1000), vim.log.levels.WARN)
    vim.defer_fn(function()
      attach_again(served)
    end, delay)
  end)
end

--- Stop every MyCoder server and start each again for the buffers it
--- served; with none running, start one for the loaded buffers of the
--- configured filetypes (after a crash loop gave up, say).
---@return integer how many servers were restarted
function M.restart()
  local clients = M.clients()
  for _, c in ipairs(clients) do
    local root = c.config.root_dir or "?"
    restart_after_exit[root] = buffers_of(c.id, c)
    crashes[root] = nil
    M.call(c, "stop")
    -- A server that ignores shutdown is stopped hard.
    vim.defer_fn(function()
      if not M.call(c, "is_stopped") then
        M.call(c, "stop", true)
      end
    end, 3000)
  end
  if #clients == 0 then
    crashes = {}
    local wanted = {}
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(config.options.filetypes, vim.bo[b].filetype) then
        table.insert(wanted, b)
      end
    end
    attach_again(wanted)
  end
  return #clients
end

--- The server's process id: the rpc's on Neovim 0.7–0.9; on 0.10+ (which does
--- not expose it) the child of Neovim running in the client's root (Linux /proc).
---@param c table a client
---@return integer|nil
function M.pid(c)
  if c.rpc and type(c.rpc.pid) == "number" then
    return c.rpc.pid
  end
  local root = c.config.root_dir and vim.loop.fs_realpath(c.config.root_dir)
  local ok, children = pcall(vim.api.nvim_get_proc_children, vim.fn.getpid())
  if not (root and ok) then
    return nil
  end
  local cmd = c.config.cmd
  local last = type(cmd) == "table" and cmd[#cmd] or ""
  local candidates = {}
  for _, pid in ipairs(children) do
    local cwd = vim.loop.fs_readlink(("/proc/%d/cwd"):format(pid))
    local file = io.open(("/proc/%d/cmdline"):format(pid), "rb")
    local cmdline = file and file:read("*a") or ""
    if file then
      file:close()
    end
    if cmdline:find(last, 1, true) then
      if cwd and vim.loop.fs_realpath(cwd) == root then
        return pid
      end
      table.insert(candidates, pid)
    end
  end
  -- A client started elsewhere (vim.lsp.enable) runs in Neovim's directory:
  -- unambiguous only when it is the one MyCoder server.
  if #candidates == 1 and #M.clients() == 1 then
    return candidates[1]
  end
  return nil
end

--- Start (or reuse) the client for `bufnr`'s root and attach it.
---@param bufnr integer
---@return integer|nil client id
function M.attach(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local root = M.find_root(name, config.options.root_markers) or vim.fn.fnamemodify(name, ":p:h")
  if vim.fn.executable(config.options.cmd[1]) == 0 then
    vim.notify_once(
      ("MyCoder: %s is not executable; install it with `pip install mycoder-lsp` or set cmd in setup()"):format(
        config.options.cmd[1]
      ),
      vim.log.levels.ERROR
    )
    return nil
  end
  if M.has_start then
    return vim.lsp.start(M.client_config(root), { bufnr = bufnr })
  end
  local id = by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or M.call(client, "is_stopped") then
    id = vim.lsp.start_client(M.client_config(root))
    if not id then
      return nil
    end
    by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- Every running MyCoder client, or those attached to `bufnr`.
---@param bufnr integer|nil
---@return table[]
function M.clients(bufnr)
  local found = {}
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ name = config.name, bufnr = bufnr })
  end
  local all = bufnr and vim.lsp.buf_get_clients(bufnr) or vim.lsp.get_active_clients()
  for _, client in pairs(all) do
    if client.name == config.name then
      table.insert(found, client)
    end
  end
  return found
end

--- The MyCoder client of `bufnr`, or nil with the reason shown to the user.
---@param bufnr integer
---@return table|nil
function M.for_buffer(bufnr)
  local client = M.clients(bufnr)[1]
  if client then
    return client
  end
  local message
  if M.last_exit then
    message = ("MyCoder: mycoder-lsp is not running (it exited with %s at %s). "
      .. ":MyCoderRestart starts it again; :MyCoderStatus says more."):format(
      M.last_exit.signal ~= 0 and ("signal " .. M.last_exit.signal) or ("code " .. M.last_exit.code), M.last_exit.at)
  elseif config.configured and vim.tbl_contains(config.options.filetypes, vim.bo[bufnr].filetype) then
    message = "MyCoder: mycoder-lsp is not running for this buffer. :MyCoderRestart starts it; :MyCoderStatus says more."
  elseif config.configured then
    message = ("MyCoder: this buffer's filetype (%s) is not one MyCoder starts for (see filetypes in setup())"):format(
      vim.bo[bufnr].filetype ~= "" and vim.bo[bufnr].filetype or "none")
  else
    message = "MyCoder: no mycoder-lsp client on this buffer (call require('mycoder').setup() and open a supported file)"
  end
  vim.notify(message, vim.log.levels.WARN)
  return nil
end

return M
