-- The brain and vault features from Neovim, against the scripted Ollama
-- server the pytest wrapper started ($MYCODER_TEST_OLLAMA_URL): hover on K,
-- a code action proposing its edit as a diff that `ga` accepts, `gr` and
-- :MyCoderReject discarding one, the :MyCoder* commands, progress.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(150000)

local APP = {
  "def add(a, b):",
  "    return a - b",
  "",
  "",
  "def total(items):",
  "    pass",
  "",
  "",
  "def mean(items):",
  "    pass",
}

--- The text of the first floating window, or nil.
local function float_text()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      local buf = vim.api.nvim_win_get_buf(win)
      return { text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n"), win = win }
    end
  end
end

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
end

local function progress_titles()
  local seen = {}
  for _, entry in ipairs(require("mycoder.progress").log) do
    seen[entry.title .. ":" .. entry.kind] = true
  end
  return seen
end

--- The window of the proposed edit's diff (its scratch buffer), or nil.
local function proposal_window()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(win)):find("mycoder://proposal/", 1, true) then
      return win
    end
  end
end

--- Wait for :MyCoder<name>'s answer.
local function result_of(name, timeout)
  local commands = require("mycoder.commands")
  return H.wait(timeout or 30000, function()
    local last = commands.last[name]
    if last and last.error then
      error("mycoder." .. name .. " failed: " .. vim.inspect(last.error))
    end
    return last and last.result
  end, "the answer of mycoder." .. name)
end

H.run(function()
  local url = vim.env.MYCODER_TEST_OLLAMA_URL
  assert(url and url ~= "", "MYCODER_TEST_OLLAMA_URL is not set")
  local root = H.workspace({ ["pyproject.toml"] = { "[project]", 'name = "demo"' }, ["app.py"] = APP })
  local function brain(model)
    return { model = model, url = url }
  end
  require("mycoder").setup({
    cmd = H.server_cmd(),
    quickfix = { auto = true, open = false },
    settings = {
      brains = { coding = brain("coder-test"), reasoning = brain("reasoner-test"), organizer = brain("organizer-test") },
      hover = { explain = true, wait_ms = 10000 },
    },
  })
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/app.py"))
  local bufnr = vim.api.nvim_get_current_buf()

  H.test("the client declares that it shows proposed edits", function()
    local c = H.wait(20000, function()
      return require("mycoder.client").clients(bufnr)[1]
    end, "the mycoder client")
    H.eq(true, c.config.capabilities.experimental.mycoder.editPreview, "editPreview declared")
    H.truthy(c.config.capabilities.textDocument.hover, "Neovim's own capabilities kept")
  end)

  H.test("the stub's MC502 reaches the quickfix list", function()
    H.wait(20000, function()
      return #H.qf_matching("MC502") > 0
    end, "MC502 in the quickfix list")
    H.eq(5, H.qf_matching("MC502")[1].lnum, "line of the stub")
  end)

  H.test("K shows the hover with the brain's explanation", function()
    vim.api.nvim_win_set_cursor(0, { 1, 4 })
    vim.api.nvim_feedkeys("K", "x", false)
    local float = H.wait(20000, function()
      return float_text()
    end, "a hover window")
    local text, win = float.text, float.win
    H.truthy(text:find("def add", 1, true), "signature in the hover: " .. text)
    H.truthy(text:find("EXPLAINED", 1, true), "explanation in the hover: " .. text)
    vim.api.nvim_win_close(win, true)
  end)

  H.test("code action 'Fix with MyCoder' shows the edit as a diff; ga applies it", function()
    local offered
    local original_select = vim.ui.select
    vim.ui.select = function(items, opts, on_choice)
      offered = vim.tbl_map(opts.format_item or tostring, items)
      for i, item in ipairs(items) do
        if offered[i]:find("Fix with MyCoder", 1, true) then
          return on_choice(item, i)
        end
      end
      on_choice(nil, nil)
    end
    -- On the stub's line, where :cnext from the quickfix list lands.
    vim.api.nvim_win_set_cursor(0, { 5, 4 })
    -- The usual mapping: Neovim 0.11's default `gra`, the plugin's on older ones.
    vim.api.nvim_feedkeys("gra", "x", false)
    local listed = vim.wait(10000, function()
      return offered ~= nil
    end, 10)
    if not listed then
      vim.ui.select = original_select
      -- Neovim only says "No code actions available": ask again to show why.
      local params = vim.lsp.util.make_range_params(0, "utf-16")
      params.context = { diagnostics = {} }
      local answers = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 5000)
      error("no code action was offered; the server answered: " .. vim.inspect(answers))
    end
    local ok, win = pcall(H.wait, 30000, proposal_window, "the proposed edit's diff")
    vim.ui.select = original_select
    assert(ok, win)
    local preview = vim.api.nvim_win_get_buf(win)
    H.truthy(buffer_text(preview):find("return sum(items)", 1, true), "the new text in the diff: " .. buffer_text(preview))
    H.truthy(buffer_text(bufnr):find("def total(items):\n    pass", 1, true), "the file untouched until accepted")
    H.truthy(vim.wo[win].diff and vim.wo[vim.fn.bufwinid(bufnr)].diff, "diff mode on both sides")
    H.eq(false, vim.bo[preview].modifiable, "the proposal is read-only")
    vim.api.nvim_set_current_win(win)
    vim.api.nvim_feedkeys("ga", "x", false)
    H.wait(30000, function()
      return buffer_text(bufnr):find("return sum(items)", 1, true)
    end, "the fix in the buffer")
    H.eq(nil, proposal_window(), "the diff closed")
    H.eq(false, vim.wo[vim.fn.bufwinid(bufnr)].diff, "diff mode off in the file's window")
    H.eq("edit", result_of("acceptEdit").kind, "the accept's answer")
    H.truthy(offered and #offered >= 2, "several actions offered: " .. vim.inspect(offered))
    H.truthy(buffer_text(bufnr):find("return a - b", 1, true), "the rest of the file untouched")
    local seen = progress_titles()
    H.truthy(seen["MyCoder: fix:begin"] and seen["MyCoder: fix:end"], "progress begin/end: " .. vim.inspect(seen))
    H.wait(10000, function()
      for _, item in ipairs(H.qf_matching("MC502")) do
        if item.lnum == 5 then
          return false
        end
      end
      return true
    end, "the fixed stub to leave the quickfix list")
    H.eq(9, H.qf_matching("MC502")[1].lnum, "the other stub is still listed")
  end)

  H.test(":MyCoderFix proposes a fix, :MyCoderAccept applies it and says so once", function()
    vim.api.nvim_set_current_win(vim.fn.bufwinid(bufnr))
    vim.api.nvim_win_set_cursor(0, { 9, 4 })
    vim.cmd("MyCoderFix")
    local proposed = result_of("fix")
    H.eq(false, proposed.applied, "proposed, not applied: " .. vim.inspect(proposed))
    H.wait(5000, proposal_window, "the proposed edit's diff")
    local stop = H.capture_messages()
    -- From the file's window: :MyCoderAccept takes that file's newest proposal.
    vim.api.nvim_set_current_win(vim.fn.bufwinid(bufnr))
    vim.cmd("MyCoderAccept")
    local ok, result = pcall(result_of, "acceptEdit")
    local shown = stop()
    assert(ok, result)
    H.eq("edit", result.kind, "kind: " .. vim.inspect(result))
    H.eq(true, result.applied, "applied")
    H.wait(5000, function()
      return buffer_text(bufnr):find("return sum(items) / len(items)", 1, true)
    end, "the fixed mean")
    -- The server's window/showMessage, the answer and the progress' end all
    -- told the same story: one message, the last one shown.
    H.eq(1, H.count(shown, result.message), "messages saying " .. result.message .. ": " .. vim.inspect(shown))
    H.truthy(shown[#shown]:find(result.message, 1, true), "the outcome is shown last: " .. vim.inspect(shown))
  end)

  H.test(":MyCoderAsk routes the question (here: an explanation)", function()
    vim.cmd("MyCoderAsk explain what add does")
    local result = result_of("ask")
    H.eq("explanation", result.kind, "kind: " .. vim.inspect(result))
    H.truthy(result.message:find("EXPLAINED", 1, true), "the reasoning brain's answer")
    vim.cmd("close")
    vim.api.nvim_set_current_win(vim.fn.bufwinid(bufnr))
  end)

  H.test(":MyCoderExplain shows the explanation in a window", function()
    vim.api.nvim_win_set_cursor(0, { 1, 4 })
    vim.cmd("MyCoderExplain")
    local result = result_of("explain")
    H.eq("explanation", result.kind, "kind")
    local shown = H.wait(5000, function()
      for _, win in ipairs(vim.api.nvim_list_wins()) do
        local b = vim.api.nvim_win_get_buf(win)
        if vim.api.nvim_buf_get_name(b):find("mycoder://explain", 1, true) then
          return buffer_text(b)
        end
      end
    end, "the explanation window")
    H.truthy(shown:find("EXPLAINED", 1, true), "explanation text: " .. shown)
    vim.cmd("close")
  end)

  H.test(":MyCoderReview puts the review findings in the quickfix list", function()
    vim.api.nvim_set_current_win(vim.fn.bufwinid(bufnr))
    vim.api.nvim_win_set_cursor(0, { 1, 4 })
    vim.cmd("MyCoderReview")
    H.eq("review", result_of("review").kind, "kind")
    local item = H.wait(10000, function()
      return H.qf_matching("mycoder-review")[1]
    end, "a mycoder-review item")
    H.eq(2, item.lnum, "the finding's line")
    H.truthy(item.text:find("subtracts", 1, true), "the finding's message: " .. item.text)
  end)

  H.test(":MyCoderModify asks for the instruction and applies the edit", function()
    vim.api.nvim_win_set_cursor(0, { 2, 4 })
    local original_input = vim.ui.input
    local prompted
    vim.ui.input = function(opts, on_confirm)
      prompted = opts.prompt
      on_confirm("use a plus sign")
    end
    vim.cmd("MyCoderModify")
    vim.ui.input = original_input
    H.truthy(prompted, "vim.ui.input was asked")
    H.eq("edit", result_of("modify").kind, "kind")
    H.wait(5000, proposal_window, "the proposed edit's diff")
    vim.cmd("MyCoderAccept")
    H.wait(5000, function()
      return buffer_text(bufnr):find("return a + b", 1, true)
    end, "the modified line")
    H.truthy(buffer_text(bufnr):find("return sum(items)", 1, true), "the earlier fix kept")
  end)

  H.test("code action 'Modify… with MyCoder' asks for the instruction, then edits", function()
    local original_select, original_input = vim.ui.select, vim.ui.input
    local offered, prompted
    vim.ui.select = function(items, opts, on_choice)
      offered = vim.tbl_map(opts.format_item or tostring, items)
      for i, item in ipairs(items) do
        if offered[i]:find("^Modify total with MyCoder") then
          return on_choice(item, i)
        end
      end
      on_choice(nil, nil)
    end
    vim.ui.input = function(opts, on_confirm)
      prompted = opts.prompt
      on_confirm("count the items instead")
    end
    vim.api.nvim_win_set_cursor(0, { 5, 4 })
    vim.api.nvim_feedkeys("gra", "x", false)
    local ok, err = pcall(H.wait, 30000, proposal_window, "the proposed edit's diff")
    vim.ui.select, vim.ui.input = original_select, original_input
    if ok then
      vim.cmd("MyCoderAccept")
      ok, err = pcall(H.wait, 30000, function()
        return buffer_text(bufnr):find("return len(items)", 1, true)
      end, "the modified total")
    end
    if not ok then
      error(err .. "; offered: " .. vim.inspect(offered), 0)
    end
    H.eq("Modify how? ", prompted, "the prompt")
  end)

  H.test("gr in the diff rejects the proposal; the file stays as it was", function()
    vim.api.nvim_set_current_win(vim.fn.bufwinid(bufnr))
    local before = buffer_text(bufnr)
    vim.api.nvim_win_set_cursor(0, { 1, 4 })
    vim.cmd("MyCoderModify rename it in slow motion")
    local win = H.wait(30000, proposal_window, "the proposed edit's diff")
    vim.api.nvim_set_current_win(win)
    vim.api.nvim_feedkeys("gr", "x", false)
    local result = result_of("rejectEdit")
    H.eq("discarded", result.kind, "kind: " .. vim.inspect(result))
    H.eq("Discarded.", result.message, "message")
    H.eq(nil, proposal_window(), "the diff closed")
    H.eq(before, buffer_text(bufnr), "the buffer")
    H.eq(0, #require("mycoder.preview").shown, "no proposal left")
  end)

  H.test(":MyCoderCancel stops a slow model; the file stays as it was", function()
    vim.api.nvim_set_current_win(vim.fn.bufwinid(bufnr))
    local before = buffer_text(bufnr)
    vim.api.nvim_win_set_cursor(0, { 1, 4 })
    vim.cmd("MyCoderModify take your time")
    H.wait(10000, function()
      for _, entry in pairs(require("mycoder.progress").active()) do
        if entry.title:find("modify", 1, true) then
          return true
        end
      end
    end, "the modify in progress")
    H.eq(1, require("mycoder.commands").cancel(), "requests cancelled")
    local result = result_of("modify", 10000)
    H.eq("cancelled", result.kind, "kind: " .. vim.inspect(result))
    H.eq(before, buffer_text(bufnr), "the buffer")
  end)

  H.test("an edit overtaken by typing says 'Not applied' once, last, and leaves the buffer alone", function()
    vim.api.nvim_win_set_cursor(0, { 1, 4 })
    local stop = H.capture_messages()
    vim.cmd("MyCoderModify rename it in slow motion")
    local ok, err = pcall(H.wait, 10000, function()
      for _, entry in pairs(require("mycoder.progress").active()) do
        if entry.title:find("modify", 1, true) then
          return true
        end
      end
    end, "the modify in progress")
    -- The user types while the model works.
    vim.api.nvim_buf_set_lines(bufnr, -1, -1, false, { "# typed meanwhile" })
    local got, result = pcall(result_of, "modify", 30000)
    local shown = stop()
    assert(ok, err)
    assert(got, result)
    H.eq("refused", result.kind, "kind: " .. vim.inspect(result))
    H.truthy(result.message:find("Not applied", 1, true), "message: " .. result.message)
    H.eq(1, H.count(shown, "Not applied"), "'Not applied' messages: " .. vim.inspect(shown))
    H.truthy(shown[#shown]:find("Not applied", 1, true), "the refusal is shown last: " .. vim.inspect(shown))
    H.eq(0, H.count(shown, "✓"), "no 'done ✓' for a refused edit: " .. vim.inspect(shown))
    local history = vim.split(vim.fn.execute("messages"), "\n")
    H.eq(1, H.count(history, "Not applied"), ":messages: " .. vim.inspect(history))
    H.truthy(buffer_text(bufnr):find("return a + b\n", 1, true), "the model's edit was not applied")
    vim.api.nvim_buf_set_lines(bufnr, -2, -1, false, {})
  end)

  H.test(":MyCoderIndex and :MyCoderSearch (results in the quickfix list)", function()
    vim.cmd("write")
    vim.cmd("MyCoderIndex")
    local indexed = result_of("index", 60000)
    H.truthy((indexed.files or 0) >= 1, "files indexed: " .. vim.inspect(indexed))
    vim.cmd("MyCoderSearch total of items")
    local results = result_of("search")
    H.truthy(#results >= 1, "search results")
    local qf = vim.fn.getqflist({ title = 0, items = 0 })
    H.eq("MyCoder search: total of items", qf.title, "quickfix title")
    local found
    for _, item in ipairs(qf.items) do
      if vim.api.nvim_buf_get_name(item.bufnr) == root .. "/app.py" and item.text:find("total", 1, true) then
        found = item
      end
    end
    H.truthy(found, "app.py's total among the results: " .. vim.inspect(qf.items))
    H.eq(5, found.lnum, "the result's line")
    vim.cmd("cclose")
  end)

  H.test(":MyCoderFeature create, list, lock, unlock", function()
    vim.api.nvim_set_current_win(vim.fn.bufwinid(bufnr))
    vim.cmd("MyCoderFeature create Faster totals")
    local created = result_of("feature.create")
    H.eq("Faster totals", created.title, "title")
    vim.cmd("MyCoderFeature lock " .. created.id)
    H.eq("locked", result_of("feature.lock").status, "status after lock")
    vim.cmd("MyCoderFeature list")
    local listed = result_of("feature.list")
    H.eq(created.id, listed.features[1].id, "listed feature")
    vim.cmd("MyCoderFeature unlock " .. created.id)
    H.truthy(result_of("feature.unlock").status ~= "locked", "status after unlock")
  end)
end)
