-- The harness must fail a run whose Lua errors happen in a callback (where
-- xpcall cannot see them): tests/editors/test_neovim.py expects THIS script
-- to fail. It guards against tests that cannot fail.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(20000)

H.run(function()
  H.test("an error in a scheduled callback", function()
    local ran = false
    vim.schedule(function()
      ran = true
      error("deliberate failure in a callback")
    end)
    H.wait(2000, function()
      return ran
    end, "the callback")
    vim.wait(50)
  end)
end)
