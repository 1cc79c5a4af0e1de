-- A minimal init for the headless tests: only Neovim's runtime and this
-- plugin, nothing from the user's configuration, no swap or shada files.
local here = debug.getinfo(1, "S").source:sub(2)
local plugin_root = vim.fn.fnamemodify(here, ":p:h:h")

-- Keep Neovim's own entries (the runtime, and the bundled tree-sitter parsers
-- on 0.10+), drop the user's config and data directories.
local keep = { plugin_root }
for _, dir in ipairs(vim.opt.runtimepath:get()) do
  local user = vim.startswith(dir, vim.fn.stdpath("config")) or vim.startswith(dir, vim.fn.stdpath("data"))
  if not user and dir ~= plugin_root then
    table.insert(keep, dir)
  end
end
vim.opt.runtimepath = keep
vim.opt.packpath = { vim.env.VIMRUNTIME }
vim.opt.swapfile = false
vim.opt.shadafile = "NONE"
vim.opt.more = false
-- Python's ftplugin would probe for pynvim (1.6 s per nvim, counted in the timings otherwise).
vim.g.loaded_python3_provider = 0
vim.g.mycoder_test_plugin_root = plugin_root

vim.cmd("filetype plugin on")
vim.cmd("runtime plugin/mycoder.lua")
