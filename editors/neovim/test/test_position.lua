-- Byte columns to LSP positions (UTF-16 and UTF-8) and the command argument
-- built from the cursor and a visual selection: no server needed.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(30000)

H.run(function()
  local position = require("mycoder.position")
  -- "é" is 2 bytes / 1 UTF-16 unit, "😀" 4 bytes / 2 UTF-16 units.
  local line = "x = 'é😀y'"

  H.test("units: UTF-16, UTF-32, UTF-8", function()
    local before_y = line:find("y", 1, true) - 1
    H.eq(8, position.units(line, before_y, "utf-16"), "UTF-16 units before y")
    H.eq(7, position.units(line, before_y, "utf-32"), "UTF-32 units before y")
    H.eq(before_y, position.units(line, before_y, "utf-8"), "UTF-8 units before y")
    H.eq(0, position.units(line, 0, "utf-16"), "start")
    H.eq(10, position.units(line, 1000, "utf-16"), "clamped to the line")
  end)

  H.test("command argument: cursor position and visual range", function()
    local path = H.workspace({ ["a.py"] = { "def f():", "    " .. line, "    return 1" } }) .. "/a.py"
    vim.cmd("edit " .. vim.fn.fnameescape(path))
    vim.api.nvim_win_set_cursor(0, { 2, #"    x = 'é😀" })
    local arg = position.command_argument(nil, "utf-16", nil)
    H.eq(vim.uri_from_fname(path), arg.uri, "uri")
    H.eq({ line = 1, character = 12 }, arg.position, "cursor in UTF-16")
    H.eq(nil, arg.range, "no range without one")

    -- Characterwise selection from "é" through "😀" (inclusive end).
    vim.api.nvim_win_set_cursor(0, { 2, #"    x = '" })
    vim.cmd("normal! v")
    vim.api.nvim_win_set_cursor(0, { 2, #"    x = 'é" })
    vim.cmd("normal! \27")
    arg = position.command_argument({ range = 2, line1 = 2, line2 = 2 }, "utf-16", "rename")
    H.eq({ start = { line = 1, character = 9 }, ["end"] = { line = 1, character = 12 } }, arg.range, "selection")
    H.eq("rename", arg.instruction, "instruction")

    -- Linewise: whole lines, end at the last line's end.
    vim.cmd("normal! ggVj\27")
    arg = position.command_argument({ range = 2, line1 = 1, line2 = 2 }, "utf-16", nil)
    H.eq({ start = { line = 0, character = 0 }, ["end"] = { line = 1, character = 14 } }, arg.range, "linewise")

    -- :2,3 without a matching selection: whole lines.
    arg = position.command_argument({ range = 2, line1 = 2, line2 = 3 }, "utf-8", nil)
    H.eq({ start = { line = 1, character = 0 }, ["end"] = { line = 2, character = 12 } }, arg.range, "line range")
  end)

  H.test("doc/mycoder.txt: helptags without errors, :help finds the tags", function()
    local dir = vim.fn.tempname()
    vim.fn.mkdir(dir .. "/doc", "p")
    vim.fn.writefile(vim.fn.readfile(vim.g.mycoder_test_plugin_root .. "/doc/mycoder.txt"), dir .. "/doc/mycoder.txt")
    vim.cmd("helptags " .. vim.fn.fnameescape(dir .. "/doc"))
    vim.opt.runtimepath:append(dir)
    for _, tag in ipairs({ "mycoder.txt", "mycoder.setup()", ":MyCoderQuickfix", ":MyCoderFeature", "mycoder-health" }) do
      vim.cmd("help " .. tag)
      H.eq("help", vim.bo.buftype, "help for " .. tag)
      vim.cmd("helpclose")
    end
  end)

  H.test("a command in a buffer without the server warns instead of failing", function()
    local said
    local original = vim.notify
    vim.notify = function(message, level)
      said = { message = message, level = level }
    end
    vim.cmd("enew")
    vim.cmd("MyCoderExplain")
    vim.notify = original
    H.truthy(said and said.message:find("no mycoder%-lsp client"), "the warning: " .. vim.inspect(said))
    H.eq(vim.log.levels.WARN, said.level, "level")
  end)

  H.test("a missing server: one clear error, no client, no crash", function()
    local said = {}
    local original_once, original = vim.notify_once, vim.notify
    vim.notify_once = function(message, level)
      table.insert(said, { message = message, level = level })
    end
    vim.notify = vim.notify_once
    require("mycoder").setup({ cmd = { "/nonexistent/mycoder-lsp" } })
    vim.cmd("edit " .. vim.fn.fnameescape(H.workspace({ ["b.py"] = { "x = 1" } }) .. "/b.py"))
    vim.notify_once, vim.notify = original_once, original
    -- Once per buffer here (the real vim.notify_once shows it once in all).
    local distinct = {}
    for _, m in ipairs(said) do
      distinct[m.message] = true
    end
    H.eq(1, vim.tbl_count(distinct), "messages: " .. vim.inspect(said))
    H.truthy(said[1].message:find("/nonexistent/mycoder-lsp is not executable", 1, true), said[1].message)
    H.eq(vim.log.levels.ERROR, said[1].level, "level")
    H.eq(0, #require("mycoder.client").clients(), "clients")
  end)

  H.test("commands exist and complete", function()
    for _, name in ipairs({ "Quickfix", "Ask", "Explain", "Review", "Modify", "Fix", "Cancel", "Index", "Search", "Feature" }) do
      H.eq(2, vim.fn.exists(":MyCoder" .. name), ":MyCoder" .. name)
    end
    H.eq({ "lock" }, vim.fn.getcompletion("MyCoderFeature lo", "cmdline"), "completion")
  end)
end)
