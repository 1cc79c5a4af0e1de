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
        completion = { model = "completer-test", url = url },
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
    has("completion brain: completer-test is pulled")
    H.truthy(not text:find("Failed to run healthcheck", 1, true), "the check itself ran:\n" .. text)
    -- The doctor section agrees with the brains section: it got setup()'s settings.
    has("with the settings of setup()")
    has("server " .. url)
    H.truthy(not text:find("11434", 1, true), "no default endpoint checked (setup() set the urls):\n" .. text)
    vim.cmd("bwipeout!")
  end)

  H.test(":checkhealth mycoder with a hung model server takes under 4 s", function()
    local hung = assert(vim.env.MYCODER_TEST_HUNG_URL, "MYCODER_TEST_HUNG_URL is not set")
    local brain = { model = "coder-test", url = hung }
    require("mycoder").setup({
      cmd = H.server_cmd(),
      settings = { brains = { coding = brain, reasoning = brain, organizer = brain, completion = brain } },
    })
    local t0 = vim.loop.hrtime()
    vim.cmd("checkhealth mycoder")
    local ms = H.ms(t0)
    H.figure("checkhealth_hung_model_ms", ("%.0f"):format(ms))
    local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
    H.truthy(text:find("Ollama is not reachable at " .. hung, 1, true), "the hung server reported:\n" .. text)
    H.truthy(text:find("server " .. hung, 1, true), "the doctor checked it too:\n" .. text)
    H.truthy(ms < 4000, ("took %.0f ms"):format(ms))
  end)
end)
