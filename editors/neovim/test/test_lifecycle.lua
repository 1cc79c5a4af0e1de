-- The server's life as the user sees it: the quickfix list next to the
-- user's own lists, :MyCoderStatus, a crash (diagnostics cleared, restarted
-- with backoff, then given up on), :MyCoderRestart, and a file whose name
-- needs percent-encoding in its URI.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(120000)

local BROKEN = { "def broken(:", "    return 1" }
local FIXED = { "def broken():", "    return 1" }
local TITLE = "MyCoder diagnostics"

local client = require("mycoder.client")

--- The MC101 diagnostics of `bufnr` (from any MyCoder client).
local function mc101(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if tostring(d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)) == "MC101" then
      table.insert(found, d)
    end
  end
  return found
end

--- Wait for a MyCoder client other than `old_id` on `bufnr`, with MC101 published.
local function wait_new_client(bufnr, old_id, timeout, what)
  return H.wait(timeout, function()
    local c = client.clients(bufnr)[1]
    return c and c.id ~= old_id and #mc101(bufnr) > 0 and c
  end, what)
end

--- Kill the server of `c` the hard way, as a crash would.
local function kill(c)
  local pid = H.truthy(client.pid(c), "the server's pid")
  vim.loop.kill(pid, "sigkill")
  return pid
end

H.run(function()
  require("mycoder").setup({
    cmd = H.server_cmd(),
    quickfix = { auto = true, open = false },
    restart = { auto = true, max = 1 },
    settings = { validation = { style = { max_line_length = 120 } } },
  })
  local root = H.workspace({
    ["pyproject.toml"] = { "[project]", 'name = "life"' },
    ["app.py"] = BROKEN,
    ["notes.txt"] = { "a needle here", "and a needle there" },
  })
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/app.py"))
  local bufnr = vim.api.nvim_get_current_buf()

  H.test("quickfix.auto refreshes its own list in place; the user's :vimgrep list stays current", function()
    H.wait(20000, function()
      return #H.qf_matching("MC101") > 0
    end, "MC101 in the quickfix list")
    vim.cmd("silent vimgrep /needle/j " .. vim.fn.fnameescape(root .. "/notes.txt"))
    local grep = vim.fn.getqflist({ id = 0, title = 0, nr = "$" })
    H.truthy(grep.title:find("vimgrep", 1, true), "the vimgrep list is current: " .. grep.title)
    local stack = vim.fn.getqflist({ nr = "$" }).nr
    -- Fixing the file publishes again: MyCoder's list must lose the item, in place.
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, FIXED)
    H.wait(10000, function()
      local list = H.qf_list(TITLE)
      return list and #list.items == 0
    end, "MyCoder's list to lose the fixed item")
    vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, BROKEN)
    H.wait(10000, function()
      local list = H.qf_list(TITLE)
      return list and #list.items > 0
    end, "MyCoder's list to get the item back")
    H.eq(grep.id, vim.fn.getqflist({ id = 0 }).id, "the current list (still the vimgrep one)")
    H.eq(stack, vim.fn.getqflist({ nr = "$" }).nr, "lists in the stack")
    H.eq(1, #vim.tbl_filter(function(nr)
      return vim.fn.getqflist({ nr = nr, title = 0 }).title == TITLE
    end, vim.fn.range(1, stack)), "MyCoder lists in the stack")
    -- The explicit command does show MyCoder's list (the same one, not a new one).
    vim.cmd("MyCoderQuickfix")
    H.eq(TITLE, vim.fn.getqflist({ title = 0 }).title, "current list after :MyCoderQuickfix")
    H.eq(stack, vim.fn.getqflist({ nr = "$" }).nr, "lists in the stack after :MyCoderQuickfix")
    vim.cmd("cclose")
  end)

  H.test(":MyCoderStatus names the server, its pid, root and settings", function()
    local c = H.truthy(client.clients(bufnr)[1], "a client")
    local lines = require("mycoder.status").lines()
    local text = table.concat(lines, "\n")
    H.truthy(text:find("server running for " .. root, 1, true), text)
    local pid = H.truthy(tonumber(text:match("pid (%d+)")), "a pid in: " .. text)
    H.eq(pid, client.pid(c), "the pid")
    H.eq(0, vim.loop.kill(pid, 0), "that process exists")
    H.truthy(text:find("validation.style.max_line_length=120", 1, true), "the settings in: " .. text)
    H.truthy(text:find("last error: none", 1, true), text)
    H.truthy(vim.fn.execute("MyCoderStatus"):find("server running for", 1, true), "the command prints it")
  end)

  H.test("a crashed server: its diagnostics go, it restarts after 1 s, they come back", function()
    local c = client.clients(bufnr)[1]
    local ns = vim.lsp.diagnostic.get_namespace(c.id)
    H.truthy(#vim.diagnostic.get(bufnr, { namespace = ns }) > 0, "diagnostics before the crash")
    client.last_exit = nil
    local t0 = vim.loop.hrtime()
    kill(c)
    H.wait(10000, function()
      return client.last_exit
    end, "the client to notice the exit")
    H.eq(0, #vim.diagnostic.get(bufnr, { namespace = ns }), "the dead server's diagnostics")
    H.eq(0, #H.qf_list(TITLE).items, "items in MyCoder's quickfix list")
    H.truthy(client.last_exit.crashed, "recorded as a crash: " .. vim.inspect(client.last_exit))
    wait_new_client(bufnr, c.id, 20000, "a new server after the crash")
    local ms = H.ms(t0)
    H.figure("crash_to_diagnostics_again_ms", ("%.0f"):format(ms))
    H.truthy(ms >= 1000, "restarted after the 1 s backoff, not at once: " .. ms)
    H.truthy(#H.qf_list(TITLE).items > 0, "the quickfix list filled again")
    H.truthy(table.concat(require("mycoder.status").lines(), "\n"):find("crashed", 1, true), "status tells")
  end)

  H.test("a second crash within the minute (restart.max = 1): no restart, a clear message", function()
    local c = client.clients(bufnr)[1]
    client.last_exit = nil
    local stop = H.capture_messages()
    kill(c)
    local ok, err = pcall(H.wait, 10000, function()
      return client.last_exit
    end, "the exit")
    local shown = stop()
    assert(ok, err)
    H.eq(1, H.count(shown, "not restarting"), "the give-up message: " .. vim.inspect(shown))
    -- The restart would come after 2 s: nothing may start within 3 s.
    H.truthy(not vim.wait(3000, function()
      return #client.clients(bufnr) > 0
    end, 50), "no server restarted")
  end)

  H.test(":MyCoderExplain without a server says so and how to restart", function()
    local stop = H.capture_messages()
    vim.cmd("MyCoderExplain")
    local shown = stop()
    H.eq(1, H.count(shown, "mycoder-lsp is not running"), vim.inspect(shown))
    H.eq(1, H.count(shown, ":MyCoderRestart"), vim.inspect(shown))
    H.eq(0, H.count(shown, "setup()"), "no advice to call setup(): " .. vim.inspect(shown))
  end)

  H.test(":MyCoderRestart starts it again, and restarts a running one", function()
    vim.cmd("MyCoderRestart")
    local first = wait_new_client(bufnr, -1, 20000, "a server after :MyCoderRestart")
    vim.cmd("MyCoderRestart")
    local second = wait_new_client(bufnr, first.id, 20000, "another server after a second :MyCoderRestart")
    H.truthy(not client.last_exit.crashed, "a restart is not a crash: " .. vim.inspect(client.last_exit))
    H.eq(1, #client.clients(), "one server for the root")
    H.truthy(second.config.root_dir == root, "its root")
  end)

  H.test("a file named 'my file+é.py' gets its diagnostics", function()
    local path = root .. "/my file+é.py"
    vim.fn.writefile(BROKEN, path)
    vim.cmd("edit " .. vim.fn.fnameescape(path))
    local b = vim.api.nvim_get_current_buf()
    H.wait(20000, function()
      return #mc101(b) > 0
    end, "MC101 for " .. vim.uri_from_bufnr(b))
    H.truthy(#H.qf_matching("MC101") > 0, "in the quickfix list too")
  end)
end)
