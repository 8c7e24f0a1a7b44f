-- intake.lua — wrk script for the intake benchmark (wrk 4.x, LuaJIT).
--
-- Posts the reports of BENCH_BODIES (lines `USER<TAB>JSON` written by gen_reports.py) in turn, each with the
-- Bearer token of its USER from BENCH_TOKENS (`user=token,user=token,...`); a user without a token gets "none"
-- (the ceiling program ignores the header). Every request is formatted once in init(), so request() costs nothing.
-- Each wrk thread starts at its own offset in the list and cycles through it.
--
-- Counts only 2xx answers as acknowledged; other statuses are counted per code and the first few bodies of each
-- are kept. done() sums the per-thread counters and prints one line the run script parses:
--   RESULT ok=N non2xx=N codes=STATUS:N,... requests=N duration_s=S ack_per_s=R p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
--          mean_ms=.. err_connect=N err_read=N err_write=N err_timeout=N
-- followed by `ERRBODY STATUS BODY` lines. Latency is wrk's (every completed response, 2xx or not).

local path = os.getenv("BENCH_PATH") or "/api/v1/incidents"
local bodies_file = os.getenv("BENCH_BODIES") or error("BENCH_BODIES is not set")
local tokens_env = os.getenv("BENCH_TOKENS") or ""

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local reqs, n, i = {}, 0, 1
ok, non2xx, codes, errbodies = 0, 0, {}, {}

function init(args)
  local tok = {}
  for user, t in string.gmatch(tokens_env, "([^=,]+)=([^,]+)") do tok[user] = t end
  local f = assert(io.open(bodies_file, "r"))
  for line in f:lines() do
    local user, body = string.match(line, "^([^\t]+)\t(.+)$")
    if user then
      n = n + 1
      reqs[n] = wrk.format("POST", path, {
        ["Authorization"] = "Bearer " .. (tok[user] or "none"),
        ["Content-Type"] = "application/json",
        ["Accept-Language"] = "en",
      }, body)
    end
  end
  f:close()
  assert(n > 0, "no bodies in " .. bodies_file)
  i = ((tid or 1) - 1) * math.floor(n / 7) % n + 1 -- spread the threads' starting points
end

function request()
  local r = reqs[i]
  i = i + 1
  if i > n then i = 1 end
  return r
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
    codes[status] = (codes[status] or 0) + 1
    if codes[status] <= 3 then
      table.insert(errbodies, status .. " " .. string.gsub(string.sub(body or "", 1, 400), "[\r\n]", " "))
    end
  end
end

-- thread:get copies numbers, strings and tables out of each thread's Lua state.
function done(summary, latency, requests)
  local tot_ok, tot_bad, all_codes, bodies = 0, 0, {}, {}
  for _, t in ipairs(threads) do
    tot_ok = tot_ok + t:get("ok")
    tot_bad = tot_bad + t:get("non2xx")
    local cs = t:get("codes")
    for k, v in pairs(cs or {}) do all_codes[k] = (all_codes[k] or 0) + v end
    for _, b in ipairs(t:get("errbodies") or {}) do
      if #bodies < 8 then table.insert(bodies, b) end
    end
  end
  local cl = {}
  for k, v in pairs(all_codes) do table.insert(cl, k .. ":" .. v) end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT ok=%d non2xx=%d codes=%s requests=%d duration_s=%.2f ack_per_s=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f " ..
    "max_ms=%.2f mean_ms=%.2f err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    tot_ok, tot_bad, #cl > 0 and table.concat(cl, ",") or "-", summary.requests, secs, tot_ok / secs,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3, latency.max / 1e3,
    latency.mean / 1e3, e.connect, e.read, e.write, e.timeout))
  for _, b in ipairs(bodies) do io.write("ERRBODY " .. b .. "\n") end
end
