-- Neovim 0.11+: lsp/mycoder.lua through vim.lsp.config + vim.lsp.enable, with
-- settings answered on workspace/configuration. Skipped on older Neovims.
local H = dofile(vim.g.mycoder_test_plugin_root .. "/test/harness.lua")
H.watchdog(60000)

H.run(function()
  H.test("vim.lsp.enable('mycoder') starts the server and :MyCoderQuickfix lists its findings", function()
    if vim.fn.has("nvim-0.11") == 0 then
      H.skip("vim.lsp.enable needs Neovim 0.11")
    end
    local root = H.workspace({ [".mycoder/.keep"] = {}, ["app.py"] = { "def total(items):", "    pass" } })
    -- max_line_length is read from workspace/configuration: a long line proves it arrived.
    vim.fn.writefile({ "def total(items):", "    pass", "", "x = 1  # " .. ("y"):rep(30) }, root .. "/app.py")
    vim.lsp.config("mycoder", {
      cmd = H.server_cmd(),
      settings = { mycoder = { validation = { style = { max_line_length = 20 } } } },
    })
    vim.lsp.enable("mycoder")
    vim.cmd("edit " .. vim.fn.fnameescape(root .. "/app.py"))
    local client = H.wait(20000, function()
      return vim.lsp.get_clients({ name = "mycoder", bufnr = 0 })[1]
    end, "the mycoder client")
    H.eq(root, client.config.root_dir, "root by .mycoder")
    -- Edits come as proposals to review (lua/mycoder/preview.lua), with Neovim's own capabilities kept.
    H.eq(true, client.config.capabilities.experimental.mycoder.editPreview, "editPreview declared")
    H.truthy(client.config.capabilities.textDocument.hover, "Neovim's own capabilities kept")
    H.wait(20000, function()
      return #vim.diagnostic.get(0) >= 2
    end, "the stub and the long line diagnosed")
    vim.cmd("MyCoderQuickfix")
    H.truthy(#H.qf_matching("MC502") == 1, "MC502 in the quickfix list")
    local long = H.wait(5000, function()
      for _, item in ipairs(vim.fn.getqflist()) do
        if item.lnum == 4 then
          return item
        end
      end
    end, "the long line's finding")
    H.truthy(long.text:find("MC2", 1, true), "a style finding: " .. long.text)
  end)

  H.test("a crashed vim.lsp.enable client is restarted with its diagnostics", function()
    if vim.fn.has("nvim-0.11") == 0 then
      H.skip("vim.lsp.enable needs Neovim 0.11")
    end
    local mycoder = require("mycoder.client")
    local bufnr = vim.fn.bufnr("app.py")
    local old = H.truthy(mycoder.clients(bufnr)[1], "the client")
    vim.loop.kill(H.truthy(mycoder.pid(old), "its pid"), "sigkill")
    H.wait(20000, function()
      local c = mycoder.clients(bufnr)[1]
      return c and c.id ~= old.id and #vim.diagnostic.get(bufnr) >= 2
    end, "a new client with the diagnostics")
    H.truthy(mycoder.last_exit and mycoder.last_exit.crashed, "recorded as a crash")
  end)
end)
