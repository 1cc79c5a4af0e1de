-- :checkhealth mycoder against the scripted Ollama server: the server's
-- version, a reachable endpoint, a pulled and a missing model.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(60000)

H.run(function()
  local url = assert(vim.env.MYCODER_TEST_OLLAMA_URL, "MYCODER_TEST_OLLAMA_URL is not set")
  require("mycoder").setup({
    cmd = H.server_cmd(),
    settings = {
      brains = {
        coding = { model = "coder-test", url = url },
        reasoning = { model = "reasoner-test", url = url },
        organizer = { model = "organizer-test", url = url },
      },
    },
  })
  H.test(":checkhealth mycoder reports server, endpoint and models", function()
    vim.cmd("checkhealth mycoder")
    local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    local function has(needle)
      H.truthy(text:find(needle, 1, true), ("%q in the report:\n%s"):format(needle, text))
    end
    has("server: mycoder-lsp ")
    has("Ollama reachable at " .. url)
    has("coding brain: coder-test is pulled")
    has("reasoning brain: reasoner-test is pulled")
    has("organizer brain: organizer-test is not pulled")
    has("ollama pull organizer-test")
    H.truthy(not text:find("Failed to run healthcheck", 1, true), "the check itself ran:\n" .. text)
  end)
end)
