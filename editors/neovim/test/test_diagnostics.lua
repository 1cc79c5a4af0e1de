-- Diagnostics: opening a workspace file starts mycoder-lsp and its findings
-- land in the quickfix list (kept up to date and via :MyCoderQuickfix).
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(90000)

H.run(function()
local mycoder = require("mycoder")
mycoder.setup({ cmd = H.server_cmd(), quickfix = { auto = true, open = false } })

local BROKEN = { "def broken(:", "    return 1" }
local FIXED = { "def broken():", "    return 1" }

--- Open `path` and return the ms until its MC101 is in the quickfix list.
local function open_and_time(path)
  local t0 = vim.loop.hrtime()
  vim.cmd("edit " .. vim.fn.fnameescape(path))
  local bufnr = vim.api.nvim_get_current_buf()
  H.wait(20000, function()
    for _, item in ipairs(vim.fn.getqflist()) do
      if item.bufnr == bufnr and item.text:find("MC101", 1, true) then
        return true
      end
    end
  end, "MC101 of " .. path .. " in the quickfix list")
  return H.ms(t0)
end

local cold, warm = {}, {}

H.test("cold start: server starts per root and MC101 reaches the quickfix list", function()
  for i = 1, 3 do
    local root = H.workspace({ ["pyproject.toml"] = { "[project]", 'name = "w' .. i .. '"' }, ["app.py"] = BROKEN })
    table.insert(cold, open_and_time(root .. "/app.py"))
  end
  H.eq(3, #require("mycoder.client").clients(), "one client per root")
end)

local root = H.workspace({ [".git/HEAD"] = { "ref: refs/heads/main" } })

H.test("warm: further files of a root reuse its client", function()
  vim.fn.mkdir(root .. "/pkg", "p")
  for i = 1, 5 do
    vim.fn.writefile(BROKEN, ("%s/pkg/m%d.py"):format(root, i))
  end
  local before = #require("mycoder.client").clients()
  -- The first file of a new root starts its client: that one is a cold start.
  table.insert(cold, open_and_time(root .. "/pkg/m1.py"))
  for i = 2, 5 do
    table.insert(warm, open_and_time(("%s/pkg/m%d.py"):format(root, i)))
  end
  H.eq(before + 1, #require("mycoder.client").clients(), "clients after opening five files of one root")
  local c = require("mycoder.client").clients(vim.api.nvim_get_current_buf())[1]
  H.eq(root, c.config.root_dir, "root found by .git")
end)

H.test("quickfix item: code, message, source, 1-based position", function()
  local item = H.qf_matching("MC101")[1]
  H.truthy(item, "an MC101 item")
  H.eq("E", item.type, "type")
  H.eq(1, item.lnum, "lnum")
  H.truthy(item.col >= 1 and item.col <= #BROKEN[1] + 1, "col in the line")
  H.truthy(item.text:find("[mycoder]", 1, true), "source in the text: " .. item.text)
  H.eq("MyCoder diagnostics", vim.fn.getqflist({ title = 0 }).title, "title")
end)

H.test("auto-update: fixing the file clears its item on the next publish", function()
  local bufnr = vim.api.nvim_get_current_buf()
  local lists_before = vim.fn.getqflist({ nr = "$" }).nr
  vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, FIXED)
  H.wait(10000, function()
    for _, item in ipairs(vim.fn.getqflist()) do
      if item.bufnr == bufnr then
        return false
      end
    end
    return true
  end, "the fixed buffer's items to leave the quickfix list")
  H.eq(lists_before, vim.fn.getqflist({ nr = "$" }).nr, "the list is replaced, not stacked")
  H.truthy(#H.qf_matching("MC101") > 0, "other files' items stay")
end)

H.test(":MyCoderQuickfix fills and opens the list on demand", function()
  require("mycoder.config").options.quickfix.auto = false
  vim.fn.setqflist({}, " ", { title = "something else", items = {} })
  vim.cmd("MyCoderQuickfix")
  H.eq("MyCoder diagnostics", vim.fn.getqflist({ title = 0 }).title, "title")
  H.truthy(#H.qf_matching("MC101") >= 7, "the MC101 of every still-broken file")
  H.truthy(vim.fn.getqflist({ winid = 0 }).winid ~= 0, "quickfix window open")
  vim.cmd("cclose")
end)

H.figure("nvim_version", tostring(vim.version().major .. "." .. vim.version().minor .. "." .. vim.version().patch))
H.figure("open_to_quickfix_cold_ms_median", ("%.0f"):format(H.median(cold)))
H.figure("open_to_quickfix_warm_ms_median", ("%.0f"):format(H.median(warm)))
H.figure("open_to_quickfix_cold_ms_all", table.concat(vim.tbl_map(function(v) return ("%.0f"):format(v) end, cold), ","))
H.figure("open_to_quickfix_warm_ms_all", table.concat(vim.tbl_map(function(v) return ("%.0f"):format(v) end, warm), ","))
end)
