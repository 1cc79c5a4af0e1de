--- :checkhealth mycoder — is the server there, which version, can the brains'
--- servers be reached and are their models pulled.
---
--- Runs `mycoder-lsp --version` and `mycoder-lsp doctor --json` (the project's
--- own view: config files, vault, grammars) and, for brains configured in
--- setup({ settings }), asks their Ollama servers directly over loopback HTTP
--- (no curl needed). It never changes anything.

local config = require("mycoder.config")

local M = {}

-- vim.health.start/ok/... on 0.10+, vim.health.report_* on 0.8–0.9, require("health") on 0.7.
local health = vim.health or require("health")
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local info = health.info or health.report_info

-- 0.7's report functions reject a nil advice argument.
local function with_advice(report)
  return function(message, advice)
    if advice then
      report(message, advice)
    else
      report(message)
    end
  end
end
local warn = with_advice(health.warn or health.report_warn)
local error = with_advice(health.error or health.report_error)

local DEFAULT_MODELS = {
  organizer = "llama3.2:1b-instruct-q4_K_M",
  coding = "codellama:7b",
  reasoning = "llama3.2:3b-instruct-q8_0",
}
local DEFAULT_URL = "http://127.0.0.1:11434"

--- Run `cmd ++ args`; returns output and exit status.
local function run(args)
  local cmd = vim.list_extend(vim.deepcopy(config.options.cmd), args)
  local output = vim.fn.system(cmd)
  return output, vim.v.shell_error
end

--- GET `path` from an http:// `url`; returns status, body or nil, reason.
---@param url string
---@param path string
---@param timeout integer ms
function M.http_get(url, path, timeout)
  local host, port = url:match("^http://([^/:]+):?(%d*)")
  if not host then
    return nil, "only http:// URLs are checked here"
  end
  port = tonumber(port) or 80
  host = host:gsub("^%[(.*)%]$", "%1")
  local addresses = vim.loop.getaddrinfo(host, nil, { socktype = "stream" })
  if not addresses or not addresses[1] then
    return nil, "cannot resolve " .. host
  end
  local tcp = vim.loop.new_tcp()
  local chunks, done, failure = {}, false, nil
  tcp:connect(addresses[1].addr, port, function(err)
    if err then
      failure, done = err, true
      return
    end
    tcp:write(("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n"):format(path, host))
    tcp:read_start(function(read_err, data)
      if read_err then
        failure, done = read_err, true
      elseif data then
        table.insert(chunks, data)
        -- A server that keeps the connection open anyway: stop at Content-Length.
        local so_far = table.concat(chunks)
        local head, body = so_far:match("^(.-\r\n)\r\n(.*)$")
        local length = head and tonumber(head:lower():match("content%-length:%s*(%d+)"))
        if length and #body >= length then
          done = true
        end
      else
        done = true
      end
    end)
  end)
  local finished = vim.wait(timeout, function()
    return done
  end, 20)
  if not tcp:is_closing() then
    tcp:close()
  end
  if not finished then
    return nil, ("no answer within %d ms"):format(timeout)
  end
  if failure then
    return nil, tostring(failure)
  end
  local response = table.concat(chunks)
  local status = tonumber(response:match("^HTTP/%d%.%d (%d+)"))
  local body = response:match("\r\n\r\n(.*)$") or ""
  return status, body
end

local function decode(body)
  local parsed, value = pcall(vim.fn.json_decode, body)
  return parsed and value or nil
end

local function check_server()
  local exe = config.options.cmd[1]
  if vim.fn.executable(exe) == 0 then
    error(("%s not found"):format(exe), {
      "Install the server: pip install mycoder-lsp (or bash scripts/install.sh in a checkout)",
      "or point setup({ cmd = {...} }) at it",
    })
    return false
  end
  local output, status = run({ "--version" })
  if status ~= 0 then
    error(("`%s --version` failed: %s"):format(table.concat(config.options.cmd, " "), vim.trim(output)))
    return false
  end
  ok(("server: %s (%s)"):format(vim.trim(output), vim.fn.exepath(exe)))
  return true
end

local function check_clients()
  local clients = require("mycoder.client").clients()
  if #clients == 0 then
    info("no mycoder-lsp client running (open a file of a configured filetype after setup())")
  end
  for _, c in ipairs(clients) do
    ok(("client %d running for %s (positions in %s)"):format(c.id, c.config.root_dir or "?", c.offset_encoding or "?"))
  end
end

local function root()
  local name = vim.api.nvim_buf_get_name(0)
  if name ~= "" then
    return require("mycoder.client").find_root(name, config.options.root_markers) or vim.fn.getcwd()
  end
  return vim.fn.getcwd()
end

local function check_doctor()
  local help, status = run({ "doctor", "--help" })
  if status ~= 0 then
    info("this mycoder-lsp has no `doctor` subcommand; skipping its checks (" .. vim.trim(help):sub(1, 80) .. ")")
    return
  end
  local output = run({ "doctor", "--json", "--timeout", "3", "--root", root() })
  local report = decode(output)
  if type(report) ~= "table" or type(report.checks) ~= "table" then
    warn("`mycoder-lsp doctor --json` printed no report: " .. vim.trim(output):sub(1, 200))
    return
  end
  info("`mycoder-lsp doctor` for " .. root() .. " (reads the project's and your config files):")
  for _, c in ipairs(report.checks) do
    local text = ("%s: %s"):format(c.name, c.detail)
    local advice = (c.fix and c.fix ~= "") and { c.fix } or nil
    if c.ok then
      ok(text)
    elseif c.required then
      error(text, advice)
    else
      warn(text, advice)
    end
  end
end

--- The brains as setup({ settings }) configures them, over the defaults.
local function brains()
  local configured = (config.options.settings or {}).brains or {}
  local out = {}
  for _, name in ipairs({ "organizer", "coding", "reasoning" }) do
    local b = configured[name] or {}
    out[#out + 1] = { name = name, model = b.model or DEFAULT_MODELS[name], url = b.url or DEFAULT_URL }
  end
  return out
end

local function check_brains()
  info("brains as configured in setup({ settings }):")
  local tags = {}
  for _, brain in ipairs(brains()) do
    local url = brain.url:gsub("/+$", "")
    if tags[url] == nil then
      local status, body = M.http_get(url, "/api/tags", 3000)
      local version = decode(select(2, M.http_get(url, "/api/version", 3000)) or "")
      if status == 200 then
        local names = {}
        for _, m in ipairs((decode(body) or {}).models or {}) do
          names[m.name or m.model or ""] = true
        end
        tags[url] = names
        ok(("Ollama reachable at %s%s"):format(url, version and version.version and (" (version " .. version.version .. ")") or ""))
      else
        tags[url] = false
        error(("Ollama is not reachable at %s (%s)"):format(url, status and ("HTTP " .. status) or body), {
          "start it with `ollama serve`, or set brains.<name>.url in setup({ settings })",
        })
      end
    end
    local names = tags[url]
    if names then
      local model = brain.model
      if names[model] or names[model .. ":latest"] then
        ok(("%s brain: %s is pulled"):format(brain.name, model))
      else
        error(("%s brain: %s is not pulled at %s"):format(brain.name, model, url), { "ollama pull " .. model })
      end
    end
  end
end

function M.check()
  start("mycoder: Neovim")
  local v = vim.version()
  ok(("Neovim %d.%d.%d; the %s client path"):format(v.major, v.minor, v.patch,
    require("mycoder.client").has_start and "vim.lsp.start" or "vim.lsp.start_client"))
  start("mycoder: server")
  if check_server() then
    check_clients()
    check_doctor()
  end
  start("mycoder: brains (Ollama)")
  check_brains()
end

return M
