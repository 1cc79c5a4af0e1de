-- The :MyCoder* commands. They exist as soon as the plugin is on the
-- runtimepath and load the Lua modules only when run; the server itself is
-- started by require("mycoder").setup() (or vim.lsp.enable("mycoder") on 0.11).
if vim.g.loaded_mycoder then
  return
end
vim.g.loaded_mycoder = true

local function commands()
  return require("mycoder.commands")
end

local function define(name, fn, opts)
  opts = opts or {}
  vim.api.nvim_create_user_command(name, fn, opts)
end

define("MyCoderQuickfix", function()
  local n = require("mycoder.quickfix").update(true)
  if n == 0 then
    vim.notify("MyCoder: no diagnostics", vim.log.levels.INFO)
  end
end, { desc = "MyCoder: diagnostics to the quickfix list" })

define("MyCoderAsk", function(opts)
  commands().with_instruction("ask", "Ask MyCoder: ")(opts)
end, { nargs = "*", range = true, desc = "MyCoder: ask (about the selection or the cursor's symbol)" })

define("MyCoderModify", function(opts)
  commands().with_instruction("modify", "Modify how? ")(opts)
end, { nargs = "*", range = true, desc = "MyCoder: change the selection or the cursor's symbol" })

for _, name in ipairs({ "explain", "review", "fix" }) do
  local title = name:sub(1, 1):upper() .. name:sub(2)
  define("MyCoder" .. title, function(opts)
    commands().request(name, opts)
  end, { range = true, desc = "MyCoder: " .. name .. " the selection or the cursor's symbol" })
end

define("MyCoderAccept", function(opts)
  require("mycoder.preview").accept(opts.args ~= "" and opts.args or nil)
end, { nargs = "?", desc = "MyCoder: accept the proposed edit (the one in view, else the newest)" })

define("MyCoderReject", function(opts)
  require("mycoder.preview").reject(opts.args ~= "" and opts.args or nil)
end, { nargs = "?", desc = "MyCoder: reject the proposed edit (the one in view, else the newest)" })

define("MyCoderCancel", function()
  commands().cancel()
end, { desc = "MyCoder: cancel the requests in progress" })

define("MyCoderRestart", function()
  local n = require("mycoder.client").restart()
  vim.notify(n > 0 and ("MyCoder: restarting %d server(s)"):format(n) or "MyCoder: starting mycoder-lsp",
    vim.log.levels.INFO)
end, { desc = "MyCoder: restart mycoder-lsp (or start it when none runs)" })

define("MyCoderStatus", function()
  require("mycoder.status").show()
end, { desc = "MyCoder: is the server running, its pid, root, settings and last error" })

define("MyCoderIndex", function()
  commands().index()
end, { desc = "MyCoder: index the workspace into the vault" })

define("MyCoderSearch", function(opts)
  commands().search(opts.args)
end, { nargs = "*", desc = "MyCoder: search the vault (results in the quickfix list)" })

define("MyCoderFeature", function(opts)
  commands().feature(opts)
end, {
  nargs = "+",
  complete = function(arglead, cmdline)
    if cmdline:match("^%S+%s+%S*$") then
      return vim.tbl_filter(function(s)
        return s:find(arglead, 1, true) == 1
      end, commands().feature_subcommands)
    end
    return {}
  end,
  desc = "MyCoder: feature create TITLE | list | lock ID | unlock ID",
})
