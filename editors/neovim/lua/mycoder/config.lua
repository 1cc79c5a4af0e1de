--- MyCoder's options: the defaults, and merging what the user gives.
---
--- Only data lives here; starting clients is lua/mycoder/client.lua's job.

---@class mycoder.QuickfixOptions
---@field auto boolean   refresh the quickfix list on every publish of MyCoder diagnostics
---@field open boolean   open the quickfix window when :MyCoderQuickfix finds something

---@class mycoder.RestartOptions
---@field auto boolean   restart a server that crashed, after 1 s, 2 s, 4 s, ...
---@field max integer     give up after this many crashes within a minute

---@class mycoder.Keymaps
---@field hover string|false        buffer-local hover mapping where Neovim has no default (0.7–0.9)
---@field code_action string|false  buffer-local code action mapping where Neovim has no default (< 0.11)

---@class mycoder.CompletionOptions
---@field enabled boolean         the key, 'completefunc' and (0.12+) inline ghost text in MyCoder buffers
---@field keymap string|false     insert-mode key asking for a suggestion at the cursor
---@field completefunc boolean    set 'completefunc' (<C-x><C-u>) where it is empty

---@class mycoder.Options
---@field cmd string[]                 the server command
---@field filetypes string[]           buffers of these filetypes get the server
---@field root_markers string[]        the nearest directory holding one of these is the root
---@field settings table               the `mycoder` settings section (brains, validation, hover, ...)
---@field init_options table|nil       initializationOptions (default: `settings`)
---@field quickfix mycoder.QuickfixOptions
---@field progress boolean             echo `$/progress` while a model works or the vault indexes
---@field restart mycoder.RestartOptions
---@field keymaps mycoder.Keymaps|false
---@field completion mycoder.CompletionOptions|false  suggestions from the completion brain (server setting: completion.enabled)
---@field on_attach fun(client: table, bufnr: integer)|nil
---@field capabilities table|nil       extra client capabilities (e.g. a completion plugin's), merged with Neovim's

local M = {}

M.name = "mycoder"

---@type mycoder.Options
M.defaults = {
  cmd = { "mycoder-lsp" },
  filetypes = { "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust" },
  root_markers = { ".mycoder", "pyproject.toml", ".git" },
  settings = {},
  init_options = nil,
  quickfix = { auto = false, open = true },
  progress = true,
  restart = { auto = true, max = 4 },
  keymaps = { hover = "K", code_action = "gra" },
  completion = { enabled = true, keymap = "<M-\\>", completefunc = true },
  on_attach = nil,
}

---@type mycoder.Options
M.options = vim.deepcopy(M.defaults)

--- Whether setup() ran (clients are then started by this plugin, not by vim.lsp.enable).
M.configured = false

---@param user table|nil
---@return mycoder.Options
function M.set(user)
  user = user or {}
  -- Lists replace the defaults rather than merging index by index.
  local merged = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), user)
  for _, key in ipairs({ "cmd", "filetypes", "root_markers" }) do
    if user[key] ~= nil then
      merged[key] = user[key]
    end
  end
  vim.validate({
    cmd = { merged.cmd, "table" },
    filetypes = { merged.filetypes, "table" },
    root_markers = { merged.root_markers, "table" },
    settings = { merged.settings, "table" },
    quickfix = { merged.quickfix, "table" },
    restart = { merged.restart, "table" },
  })
  M.options = merged
  M.configured = true
  return merged
end

return M
