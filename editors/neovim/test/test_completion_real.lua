-- One suggestion from a REAL model (llama-server, started by the pytest
-- wrapper at $MYCODER_TEST_LLAMA_URL serving $MYCODER_TEST_LLAMA_MODEL):
-- <M-\> in insert mode at the end of a function body's `return `, the popup
-- menu shows "MyCoder: …", accepting it puts it in. The buffer is written to
-- $MYCODER_TEST_RESULT for the wrapper to parse: what any competent
-- suggestion satisfies is asserted, never an exact text.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(170000)

local GEOMETRY = {
  '"""Shapes and their areas."""',
  "",
  "",
  "def rectangle_area(width: float, height: float) -> float:",
  '    """The area of a width x height rectangle."""',
  "    return ",
  "",
  "",
  "def square_area(side: float) -> float:",
  '    """The area of a square."""',
  "    return rectangle_area(side, side)",
}
local LINE = 6 -- 1-based: "    return "

H.run(function()
  local url, model = vim.env.MYCODER_TEST_LLAMA_URL, vim.env.MYCODER_TEST_LLAMA_MODEL
  local result = vim.env.MYCODER_TEST_RESULT
  assert(url and url ~= "" and model and model ~= "" and result and result ~= "",
    "MYCODER_TEST_LLAMA_URL, MYCODER_TEST_LLAMA_MODEL and MYCODER_TEST_RESULT must be set")
  local root = H.workspace({ ["pyproject.toml"] = { "[project]", 'name = "shapes"' }, ["geometry.py"] = GEOMETRY })
  require("mycoder").setup({
    cmd = H.server_cmd(),
    settings = {
      brains = { completion = { url = url, backend = "openai", model = model, timeout = 120 } },
      completion = { debounce_ms = 0 },
    },
  })
  vim.cmd("edit " .. vim.fn.fnameescape(root .. "/geometry.py"))
  local bufnr = vim.api.nvim_get_current_buf()
  local c = H.wait(20000, function()
    return require("mycoder.client").clients(bufnr)[1]
  end, "the mycoder client")
  H.wait(20000, function()
    return c.server_capabilities ~= nil
  end, "the server's capabilities")

  H.test("<M-\\> shows the real model's suggestion; accepting puts it in at the cursor", function()
    vim.api.nvim_win_set_cursor(0, { LINE, 0 })
    local t0 = vim.loop.hrtime()
    -- A cold prompt on a loaded two-core box takes seconds; the server's timeout is 120 s.
    local items = H.insert_and_accept("A<M-\\>", 130000)
    H.figure("real_suggestion_ms", ("%.0f"):format(H.ms(t0)))
    H.truthy(items, "the popup menu with the real suggestion")
    H.truthy(items[1].abbr:match("^MyCoder: ."), "a 'MyCoder: …' entry, got " .. vim.inspect(items[1].abbr))
    H.out("suggestion " .. vim.inspect(items[1].word))
    local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
    H.truthy(#lines >= #GEOMETRY, "the buffer kept its lines")
    local what = ("line %d got the suggestion: %s"):format(LINE, vim.inspect(lines[LINE]))
    H.truthy(lines[LINE]:match("^    return %S"), what)
    for i = 1, LINE - 1 do
      H.eq(GEOMETRY[i], lines[i], "line " .. i .. " before the cursor")
    end
    H.eq(GEOMETRY[#GEOMETRY], lines[#lines], "the last line")
    vim.fn.writefile(lines, result)
  end)
end)
