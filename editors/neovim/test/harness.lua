-- A tiny test runner for the headless Neovim tests.
--
-- Each test runs under xpcall and every wait has a timeout, so a Lua error or
-- a silent server fails the run instead of hanging it; a watchdog ends the
-- process if everything else fails. Output on stdout, one line per event:
--   ok <name> <ms> | FAIL <name> <ms> <error> | FIGURE <name> <value> | SKIP <name> <why>
-- The process exits 0 only when no test failed.
local H = {}

local failures, started = 0, vim.loop.hrtime()

local function out(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end

H.out = out

--- Milliseconds since `t0` (a vim.loop.hrtime() value).
function H.ms(t0)
  return (vim.loop.hrtime() - t0) / 1e6
end

--- End the process with the exit status the failures call for.
function H.finish()
  local client = require("mycoder.client")
  for _, c in ipairs(client.clients()) do
    client.call(c, "stop")
  end
  vim.wait(2000, function()
    return #require("mycoder.client").clients() == 0
  end, 20)
  out(("DONE %d failure(s) in %.0f ms"):format(failures, H.ms(started)))
  if failures > 0 then
    vim.cmd("cquit 1")
  else
    vim.cmd("qall!")
  end
end

--- Fail the whole run after `ms` whatever happens (runs while vim.wait spins).
function H.watchdog(ms)
  local timer = vim.loop.new_timer()
  timer:start(ms, 0, function()
    io.stdout:write(("FAIL watchdog %d the run took longer than %d ms\n"):format(ms, ms))
    io.stdout:flush()
    os.exit(3)
  end)
end

function H.test(name, fn)
  local t0 = vim.loop.hrtime()
  -- Errors raised in callbacks (handlers, vim.schedule) never reach xpcall;
  -- Neovim records the last one in v:errmsg.
  vim.v.errmsg = ""
  local ok, err = xpcall(fn, debug.traceback)
  if ok and vim.v.errmsg ~= "" then
    ok, err = false, "error raised outside the test's own code: " .. vim.v.errmsg
  end
  if ok then
    out(("ok %s %.0f"):format(name, H.ms(t0)))
  elseif type(err) == "string" and err:match("^SKIP: ") then
    out(("SKIP %s %s"):format(name, (err:gsub("^SKIP: ", ""):gsub("\n.*", ""))))
  else
    failures = failures + 1
    out(("FAIL %s %.0f %s"):format(name, H.ms(t0), tostring(err):gsub("\n", "\n    ")))
  end
end

--- Run a whole test script: an error outside any H.test fails the run at once.
function H.run(main)
  local ok, err = xpcall(main, debug.traceback)
  if not ok then
    failures = failures + 1
    out("FAIL script " .. tostring(err):gsub("\n", "\n    "))
  end
  H.finish()
end

function H.skip(why)
  error("SKIP: " .. why, 0)
end

function H.figure(name, value)
  out(("FIGURE %s %s"):format(name, tostring(value)))
end

--- Wait until `cond()` is truthy; an error naming `what` after `timeout` ms.
function H.wait(timeout, cond, what)
  local value
  local ok = vim.wait(timeout, function()
    value = cond()
    return value
  end, 10)
  if not ok then
    error(("timed out after %d ms waiting for %s"):format(timeout, what), 2)
  end
  return value
end

function H.eq(expected, actual, what)
  if not vim.deep_equal(expected, actual) then
    error(("%s: expected %s, got %s"):format(what or "value", vim.inspect(expected), vim.inspect(actual)), 2)
  end
end

function H.truthy(value, what)
  if not value then
    error((what or "value") .. " is not true", 2)
  end
  return value
end

function H.median(values)
  local sorted = vim.deepcopy(values)
  table.sort(sorted)
  local n = #sorted
  if n == 0 then
    return 0
  end
  if n % 2 == 1 then
    return sorted[(n + 1) / 2]
  end
  return (sorted[n / 2] + sorted[n / 2 + 1]) / 2
end

--- A fresh workspace directory with `files` (relative path -> list of lines).
function H.workspace(files)
  local dir = vim.fn.tempname()
  vim.fn.mkdir(dir, "p")
  for path, lines in pairs(files) do
    local full = dir .. "/" .. path
    vim.fn.mkdir(vim.fn.fnamemodify(full, ":h"), "p")
    vim.fn.writefile(lines, full)
  end
  return vim.loop.fs_realpath(dir)
end

--- The server command: $MYCODER_TEST_SERVER_CMD (a JSON list) or mycoder-lsp.
function H.server_cmd()
  local raw = vim.env.MYCODER_TEST_SERVER_CMD
  if raw and raw ~= "" then
    return vim.fn.json_decode(raw)
  end
  return { "mycoder-lsp" }
end

--- Record what reaches the message area (echoes, vim.notify, the LSP
--- client's own messages), in order, until the returned function is called;
--- that function returns the texts.
---@return fun(): string[]
function H.capture_messages()
  local shown, api = {}, vim.api
  local saved = {}
  local function wrap(name, text_of)
    saved[name] = api[name]
    api[name] = function(...)
      table.insert(shown, text_of(...))
      return saved[name](...)
    end
  end
  wrap("nvim_echo", function(chunks)
    return table.concat(vim.tbl_map(function(chunk)
      return chunk[1]
    end, chunks))
  end)
  for _, name in ipairs({ "nvim_out_write", "nvim_err_write", "nvim_err_writeln" }) do
    wrap(name, tostring)
  end
  return function()
    for name, fn in pairs(saved) do
      api[name] = fn
    end
    return shown
  end
end

--- How many of `texts` contain `needle`.
function H.count(texts, needle)
  local n = 0
  for _, text in ipairs(texts) do
    if text:find(needle, 1, true) then
      n = n + 1
    end
  end
  return n
end

--- The quickfix list titled `title` (`{id, nr, title, items}`), wherever it is in the stack, or nil.
function H.qf_list(title)
  for nr = 1, vim.fn.getqflist({ nr = "$" }).nr do
    local list = vim.fn.getqflist({ nr = nr, id = 0, title = 0, items = 0 })
    if list.title == title then
      list.nr = nr
      return list
    end
  end
end

--- The quickfix items of the current list whose text contains `needle`.
function H.qf_matching(needle)
  local found = {}
  for _, item in ipairs(vim.fn.getqflist()) do
    if item.text:find(needle, 1, true) then
      table.insert(found, item)
    end
  end
  return found
end

--- Type `typed` from normal mode and stay in insert mode (feedkeys "x!")
--- until completion mode has items; then accept the first and leave insert
--- mode. Gives up (and leaves insert mode) after `timeout` ms.
--- Headless, the menu is never drawn (pumvisible() is 0), but completion
--- mode and its items are there, its first entry already inserted. With no
--- menu on screen <C-y> would also insert the character above the cursor,
--- so <Esc> accepts the entry (CompleteDone fires as for <C-y>).
---@return table|nil items the completion items shown, nil when none came
function H.insert_and_accept(typed, timeout)
  local function keys(text)
    return vim.api.nvim_replace_termcodes(text, true, false, true)
  end
  local items, timer = nil, vim.loop.new_timer()
  local deadline = vim.loop.now() + timeout
  timer:start(20, 20, vim.schedule_wrap(function()
    if timer:is_closing() then
      return
    end
    local info = vim.fn.complete_info({ "mode", "items" })
    if info.mode ~= "" and #info.items > 0 then
      items = info.items
      timer:close()
      vim.api.nvim_feedkeys(keys("<Esc>"), "n", false)
    elseif vim.loop.now() > deadline then
      timer:close()
      vim.api.nvim_feedkeys(keys("<Esc>"), "n", false)
    end
  end))
  vim.fn.feedkeys(keys(typed), "x!")
  if not timer:is_closing() then
    timer:close()
  end
  return items
end

return H
