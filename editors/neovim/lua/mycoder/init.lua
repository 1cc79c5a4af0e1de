--- MyCoder for Neovim: starts mycoder-lsp for matching buffers and gives the
--- :MyCoder* commands something to talk to.
---
--- Usage:
---   require("mycoder").setup({ cmd = { "mycoder-lsp" }, settings = { ... } })
---
--- The commands themselves are defined in plugin/mycoder.lua; this module only
--- holds the public entry points. Works on Neovim 0.7.2 and 0.10+.

local config = require("mycoder.config")

local M = {}

--- Start the server for every buffer of a configured filetype, now and later.
---@param opts mycoder.Options|table|nil
function M.setup(opts)
  local options = config.set(opts)
  local client = require("mycoder.client")
  local group = vim.api.nvim_create_augroup("mycoder", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = options.filetypes,
    callback = function(args)
      client.attach(args.buf)
    end,
    desc = "MyCoder: start or reuse mycoder-lsp for this buffer's root",
  })
  -- Buffers opened before setup() ran (e.g. setup() in a lazy-loaded spec).
  local wanted = {}
  for _, ft in ipairs(options.filetypes) do
    wanted[ft] = true
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and wanted[vim.bo[bufnr].filetype] then
      client.attach(bufnr)
    end
  end
  return options
end

--- Fill (and open) the quickfix list with MyCoder's diagnostics.
---@return integer number of items
function M.quickfix(open)
  return require("mycoder.quickfix").update(open)
end

--- The client configuration for `root`, for users who start clients themselves.
function M.client_config(root)
  return require("mycoder.client").client_config(root)
end

return M
