-- Suggestions from the completion brain in insert mode, against the scripted
-- server the pytest wrapper started ($MYCODER_TEST_OLLAMA_URL): <M-\> asks,
-- the popup menu shows "MyCoder: …", accepting it puts it in; <C-x><C-u>
-- ('completefunc') does the same and a multi-line suggestion lands whole;
-- Neovim's own omnifunc gets the items too.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(120000)

local APP = {
  "def multiply(a, b):",
  "    return ",
  "",
  "",
  "def divide(a, b):",
  "    ",
  "",
  "",
  "print(multiply(2, 3))",
}

local function buffer_lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
end

H.run(function()
  local url = vim.env.MYCODER_TEST_OLLAMA_URL
  assert(url and url ~= "", "MYCODER_TEST_OLLAMA_URL is not set")
  local root = H.workspace({ ["pyproject.toml"] = { "[project]", 'name = "demo"' }, ["app.py"] = APP })
  require("mycoder").setup({
    cmd = H.server_cmd(),
    settings = {
      brains = { completion = { model = "qwen2.5-coder:1.5b", url = url } },
      completion = { debounce_ms = 0 },
    },
  })
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/app.py"))
  local bufnr = vim.api.nvim_get_current_buf()
  local c = H.wait(20000, function()
    return require("mycoder.client").clients(bufnr)[1]
  end, "the mycoder client")
  H.wait(20000, function()
    return c.server_capabilities ~= nil
  end, "the server's capabilities")

  H.test("the server offers completion items (no inline completion on this Neovim)", function()
    H.truthy(c.server_capabilities.completionProvider, "completionProvider")
    H.eq("v:lua.mycoder_completefunc", vim.bo[bufnr].completefunc, "'completefunc'")
    H.truthy(vim.fn.maparg("<M-\\>", "i") ~= "", "the <M-\\> mapping")
  end)

  H.test("omnifunc's request gets the 'MyCoder: …' item", function()
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      position = { line = 1, character = 11 },
      context = { triggerKind = 1 },
    }
    local answers = vim.lsp.buf_request_sync(bufnr, "textDocument/completion", params, 20000)
    local result = answers and answers[c.id] and answers[c.id].result
    local items = result and (result.items or result) or {}
    H.eq("MyCoder: a * b", items[1] and items[1].label, "the item's label")
    H.eq(1, items[1].insertTextFormat, "plain text")
  end)

  H.test("<M-\\> in insert mode shows the suggestion; accepting puts it in", function()
    vim.api.nvim_win_set_cursor(0, { 2, 0 })
    local menu = H.insert_and_accept("A<M-\\>", 20000)
    H.truthy(menu, "the popup menu with the suggestion")
    H.eq("MyCoder: a * b", menu[1].abbr, "the menu entry")
    H.eq("    return a * b", buffer_lines(bufnr)[2], "line 2 after accepting")
  end)

  H.test("<C-x><C-u> ('completefunc') puts in a multi-line suggestion whole", function()
    vim.api.nvim_win_set_cursor(0, { 6, 0 })
    local menu = H.insert_and_accept("A<C-x><C-u>", 20000)
    H.truthy(menu, "the popup menu with the suggestion")
    local lines = buffer_lines(bufnr)
    H.eq("    if b == 0:", lines[6], "line 6")
    H.eq('        raise ZeroDivisionError("b is zero")', lines[7], "line 7")
    H.eq("    return a / b", lines[8], "line 8")
    H.eq("print(multiply(2, 3))", lines[#lines], "the rest of the file")
  end)
end)
