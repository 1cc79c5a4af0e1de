-- mycoder-lsp for Neovim 0.11+'s vim.lsp.config / vim.lsp.enable:
--
--   vim.lsp.config("mycoder", { settings = { mycoder = { brains = { ... } } } })
--   vim.lsp.enable("mycoder")
--
-- The :MyCoder* commands work with this client too (they look for the client
-- named "mycoder"); require("mycoder").setup() is the alternative that also
-- works on Neovim 0.7–0.10.
local defaults = require("mycoder.config").defaults

---@type vim.lsp.Config
return {
  cmd = defaults.cmd,
  filetypes = defaults.filetypes,
  root_markers = defaults.root_markers,
  -- Answered on workspace/configuration (section "mycoder").
  settings = { mycoder = vim.empty_dict() },
  handlers = require("mycoder.client").handlers(),
  -- Edits come as proposals shown as a diff (ga accepts, gr rejects).
  capabilities = require("mycoder.preview").client_capabilities(),
  commands = require("mycoder.commands").code_action_handlers(),
  -- Clears its diagnostics when it exits and restarts it after a crash.
  on_exit = require("mycoder.client").on_exit,
  -- <M-\> and 'completefunc' ask the completion brain for a suggestion.
  on_attach = require("mycoder.completion").on_attach,
}
