-- wrk script for bench/compare-ingest: POSTs one signed issue_comment delivery (the body and its
-- signature from the files named by INGEST_BODY and INGEST_SIGNATURE) to /webhook with a fresh
-- X-GitHub-Delivery per request, and prints one JSON line with the round's figures at the end.
-- Every thread reads the same files; INGEST_ROUND makes delivery ids unique across rounds.
local function slurp(path)
  local file = assert(io.open(path, "rb"), "cannot read " .. tostring(path))
  local text = file:read("*a")
  file:close()
  return text
end

local body = slurp(os.getenv("INGEST_BODY"))
local signature = slurp(os.getenv("INGEST_SIGNATURE"))
local round = tonumber(os.getenv("INGEST_ROUND") or "0")

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

local counter = 0
local headers = nil

function init()
  headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = "GitHub-Hookshot/bench",
    ["X-GitHub-Event"] = "issue_comment",
    ["X-GitHub-Hook-ID"] = "4242",
    ["X-Hub-Signature-256"] = signature,
  }
end

function request()
  counter = counter + 1
  -- A UUID-shaped id: round, thread and a per-thread counter, so no two requests share one.
  headers["X-GitHub-Delivery"] =
    string.format("%08x-%04x-4000-8000-%012x", round, thread_id, counter)
  return wrk.format("POST", "/webhook", headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"requests_per_s":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"status_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    errors.connect, errors.read, errors.write, errors.timeout, errors.status))
end
