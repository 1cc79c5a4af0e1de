--- :checkhealth mycoder — is the server there, which version, can the brains'
--- servers be reached and are their models pulled.
---
--- Runs `mycoder-lsp --version` and `mycoder-lsp doctor --json --settings ...`
--- (the project's view: config files, vault, grammars, with the settings of
--- setup() layered on top as the server itself sees them) and, for brains
--- configured in setup({ settings }), asks their Ollama servers directly over
--- loopback HTTP (no curl needed). All of it runs at once with short
--- timeouts, so a hung model server cannot freeze Neovim for long. It never
--- changes anything.

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
  completion = "qwen2.5-coder:1.5b",
}
local DEFAULT_URL = "http://127.0.0.1:11434"

-- A hung model server costs :checkhealth at most this long (every probe runs at once).
local PROBE_MS = 1500
-- The server's own processes (`--version`, `doctor`): Python starting up, then
-- the doctor's probes, which get PROBE_MS each too.
local JOB_MS = 10000

--- Start `cmd ++ args` as a job; the handle fills in as it runs.
---@param args string[]
---@return {done: boolean, status: integer|nil, stdout: string|nil, stderr: string|nil, id: integer}
local function spawn(args)
  local job = { done = false }
  local cmd = vim.list_extend(vim.deepcopy(config.options.cmd), args)
  local function finished()
    job.done = job.status ~= nil and job.stdout ~= nil and job.stderr ~= nil
  end
  local started, id = pcall(vim.fn.jobstart, cmd, {
    stdout_buffered = true,
    stderr_buffered = true,
    on_stdout = function(_, data)
      job.stdout = table.concat(data, "\n")
      finished()
    end,
    on_stderr = function(_, data)
      job.stderr = table.concat(data, "\n")
      finished()
    end,
    on_exit = function(_, code)
      job.status = code
      finished()
    end,
  })
  if not started or id <= 0 then
    job.done, job.status, job.stdout, job.stderr = true, -1, "", tostring(id)
  end
  job.id = id
  return job
end

--- Wait until every handle is done or `deadline` (vim.loop.now() ms) passed.
local function wait_all(handles, deadline)
  vim.wait(math.max(deadline - vim.loop.now(), 0), function()
    for _, h in ipairs(handles) do
      if not h.done then
        return false
      end
    end
    return true
  end, 10)
end

--- Start a GET of `path` from an http:// `url`; the handle gets `done` and
--- then `status`, `body` or `failure`. Call `close()` when giving up.
---@param url string
---@param path string
function M.http_start(url, path)
  local probe = { done = false, close = function() end }
  local host, port = url:match("^http://([^/:]+):?(%d*)")
  if not host then
    probe.done, probe.failure = true, "only http:// URLs are checked here"
    return probe
  end
  port = tonumber(port) or 80
  host = host:gsub("^%[(.*)%]$", "%1")
  local addresses = vim.loop.getaddrinfo(host, nil, { socktype = "stream" })
  if not addresses or not addresses[1] then
    probe.done, probe.failure = true, "cannot resolve " .. host
    return probe
  end
  local tcp = vim.loop.new_tcp()
  local chunks = {}
  probe.close = function()
    if not tcp:is_closing() then
      tcp:close()
    end
  end
  local function complete(failure)
    if probe.done then
      return
    end
    probe.failure = failure
    local response = table.concat(chunks)
    probe.status = tonumber(response:match("^HTTP/%d%.%d (%d+)"))
    probe.body = response:match("\r\n\r\n(.*)$") or ""
    probe.done = true
  end
  tcp:connect(addresses[1].addr, port, function(err)
    if err then
      return complete(err)
    end
    tcp:write(("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nConnection: close\r\n\r\n"):format(path, host))
    tcp:read_start(function(read_err, data)
      if read_err then
        complete(read_err)
      elseif data then
        table.insert(chunks, data)
        -- A server that keeps the connection open anyway: stop at Content-Length.
        local so_far = table.concat(chunks)
        local head, body = so_far:match("^(.-\r\n)\r\n(.*)$")
        local length = head and tonumber(head:lower():match("content%-length:%s*(%d+)"))
        if length and #body >= length then
          complete(nil)
        end
      else
        complete(nil)
      end
    end)
  end)
  return probe
end

--- What a probe found: status, body; or nil, the reason.
local function outcome(probe, timeout)
  probe.close()
  if not probe.done then
    return nil, ("no answer within %d ms"):format(timeout)
  end
  if probe.failure then
    return nil, tostring(probe.failure)
  end
  return probe.status, probe.body
end

--- GET `path` from an http:// `url`; returns status, body or nil, reason.
---@param url string
---@param path string
---@param timeout integer ms
function M.http_get(url, path, timeout)
  local probe = M.http_start(url, path)
  wait_all({ probe }, vim.loop.now() + timeout)
  return outcome(probe, timeout)
end

local function decode(body)
  local parsed, value = pcall(vim.fn.json_decode, body)
  return parsed and value or nil
end

--- `obj` as a JSON object even when empty (an empty Lua table encodes as []).
local function json_object(obj)
  if type(obj) ~= "table" or next(obj) == nil then
    return "{}"
  end
  return vim.fn.json_encode(obj)
end

local function root()
  local name = vim.api.nvim_buf_get_name(0)
  if name ~= "" then
    return require("mycoder.client").find_root(name, config.options.root_markers) or vim.fn.getcwd()
  end
  return vim.fn.getcwd()
end

--- A job's result, or nil and why not (it failed, or did not finish in time).
local function job_output(job, what)
  if not job.done then
    pcall(vim.fn.jobstop, job.id)
    return nil, ("`%s` did not finish within %d s"):format(what, JOB_MS / 1000)
  end
  local output = vim.trim((job.stdout or "") .. "\n" .. (job.stderr or ""))
  if job.status ~= 0 then
    return nil, output, job.stdout
  end
  return job.stdout or "", output
end

local function report_version(job)
  local command = table.concat(config.options.cmd, " ")
  local output, why = job_output(job, command .. " --version")
  if not output then
    error(("`%s --version` failed: %s"):format(command, why))
    return false
  end
  ok(("server: %s (%s)"):format(vim.trim(output), vim.fn.exepath(config.options.cmd[1])))
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

local function report_doctor(job, where)
  local output, why, stdout = job_output(job, "mycoder-lsp doctor")
  -- doctor exits 1 when a check failed; its report is still on stdout.
  local report = decode(output or stdout or "")
  if type(report) ~= "table" or type(report.checks) ~= "table" then
    if (why or ""):find("unrecognized arguments", 1, true) then
      info("this mycoder-lsp's `doctor` is older than the plugin (no --settings); update mycoder-lsp for its checks")
    else
      warn("`mycoder-lsp doctor --json` printed no report: " .. vim.trim(why or output or ""):sub(1, 200))
    end
    return
  end
  info(("`mycoder-lsp doctor` for %s, with the settings of setup() over the config files:"):format(where))
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
  local names = { "organizer", "coding", "reasoning" }
  local completion = (config.options.settings or {}).completion or {}
  if completion.enabled ~= false then
    names[#names + 1] = "completion" -- inline completion's own (FIM) model
  end
  for _, name in ipairs(names) do
    local b = configured[name] or {}
    out[#out + 1] = { name = name, model = b.model or DEFAULT_MODELS[name], url = (b.url or DEFAULT_URL):gsub("/+$", "") }
  end
  return out
end

--- Start the /api/tags and /api/version probes of every brain's server.
local function start_probes()
  local probes = {}
  for _, brain in ipairs(brains()) do
    if not probes[brain.url] then
      probes[brain.url] = { tags = M.http_start(brain.url, "/api/tags"), version = M.http_start(brain.url, "/api/version") }
    end
  end
  return probes
end

local function report_brains(probes)
  info("brains as configured in setup({ settings }):")
  local tags = {}
  for _, brain in ipairs(brains()) do
    local url = brain.url
    if tags[url] == nil then
      local status, body = outcome(probes[url].tags, PROBE_MS)
      local version = decode(select(2, outcome(probes[url].version, PROBE_MS)) or "")
      if status == 200 then
        local names = {}
        for _, m in ipairs((decode(body) or {}).models or {}) do
          names[m.name or m.model or ""] = true
        end
        tags[url] = names
        ok(("Ollama reachable at %s%s"):format(url, type(version) == "table" and version.version
          and (" (version " .. version.version .. ")") or ""))
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

--- Everything slow starts at once (the server's processes, every probe), so
--- a hung model server costs PROBE_MS, not a sum of timeouts.
function M.check()
  local started = vim.loop.now()
  start("mycoder: Neovim")
  local v = vim.version()
  ok(("Neovim %d.%d.%d; the %s client path"):format(v.major, v.minor, v.patch,
    require("mycoder.client").has_start and "vim.lsp.start" or "vim.lsp.start_client"))
  local exe = config.options.cmd[1]
  local version, doctor
  local where = root()
  if vim.fn.executable(exe) == 1 then
    version = spawn({ "--version" })
    doctor = spawn({ "doctor", "--json", "--timeout", tostring(PROBE_MS / 1000), "--root", where,
      "--settings", json_object(config.options.settings) })
  end
  local probes = start_probes()
  local handles = {}
  for _, p in pairs(probes) do
    vim.list_extend(handles, { p.tags, p.version })
  end
  wait_all(handles, started + PROBE_MS)
  if version then
    wait_all({ version, doctor }, started + JOB_MS)
  end

  start("mycoder: server")
  if not version then
    error(("%s not found"):format(exe), {
      "Install the server: pip install mycoder-lsp (or bash scripts/install.sh in a checkout)",
      "or point setup({ cmd = {...} }) at it",
    })
  elseif report_version(version) then
    check_clients()
    report_doctor(doctor, where)
  else
    pcall(vim.fn.jobstop, doctor.id)
  end
  start("mycoder: brains (Ollama)")
  report_brains(probes)
end

return M
