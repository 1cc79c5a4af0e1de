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
  set_keymaps(bufnr)
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
    -- Neovim answers workspace/configuration by looking the section up here.
    settings = { mycoder = object(opts.settings) },
    handlers = M.handlers(),
    commands = require("mycoder.commands").code_action_handlers(),
    on_attach = on_attach,
    on_exit = function()
      by_root[root] = nil
    end,
  }
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
  if not client then
    vim.notify(
      "MyCoder: no mycoder-lsp client on this buffer (call require('mycoder').setup() and open a supported file)",
      vim.log.levels.WARN
    )
  end
  return client
end

return M
