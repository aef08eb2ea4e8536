-- wrk script for `deno task bench`: replays pre-signed deliveries from a TSV file
-- (timestamp, signature, body per line), each thread taking every n-th line, and
-- counts responses by status and by the accepted / duplicate-ignored verdict.
local path = os.getenv("HOOKGATE_BENCH_DELIVERIES")
local nthreads = tonumber(os.getenv("HOOKGATE_BENCH_THREADS") or "1")
local route = os.getenv("HOOKGATE_BENCH_PATH") or "/webhook"
-- "github": the signature goes in x-hub-signature-256 (the adnanh/webhook peer checks that).
local style = os.getenv("HOOKGATE_BENCH_STYLE") or "hookgate"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      local headers
      if style == "github" then
        headers = { ["content-type"] = "application/json", ["x-hub-signature-256"] = "sha256=" .. sig }
      else
        headers = { ["content-type"] = "application/json", ["x-timestamp"] = ts, ["x-signature"] = sig }
      end
      reqs[#reqs + 1] = wrk.format("POST", route, headers, body)
    end
    i = i + 1
  end
  idx = 0
  wrapped = 0
  statuses = {}
  accepted = 0
  duplicates = 0
end

function request()
  idx = idx + 1
  if idx > #reqs then
    idx = 1
    wrapped = wrapped + 1
  end
  return reqs[idx]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 200 then
    if body:find("duplicate", 1, true) then
      duplicates = duplicates + 1
    elseif body:find("accepted", 1, true) then
      accepted = accepted + 1
    end
  end
end

function done(summary, latency, requests)
  local total_statuses = {}
  local total_accepted, total_duplicates, total_wrapped = 0, 0, 0
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do
      total_statuses[k] = (total_statuses[k] or 0) + v
    end
    total_accepted = total_accepted + thread:get("accepted")
    total_duplicates = total_duplicates + thread:get("duplicates")
    total_wrapped = total_wrapped + thread:get("wrapped")
  end
  local parts = {}
  for k, v in pairs(total_statuses) do
    parts[#parts + 1] = string.format('"%s":%d', k, v)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"statuses":{%s},' ..
      '"accepted":%d,"duplicates":%d,"wrapped":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    table.concat(parts, ","), total_accepted, total_duplicates, total_wrapped,
    e.connect + e.read + e.write + e.timeout))
end
