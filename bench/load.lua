-- wrk script for bench/load.py: rotate through (path, cookie) pairs and count statuses.
--
--   wrk -t2 -c20 -d5s --timeout 10s -s bench/load.lua http://127.0.0.1:PORT -- PAIRS_FILE
--
-- PAIRS_FILE holds one request a line, "path<TAB>cookie" (the cookie may be empty). Every
-- request carries X-Forwarded-Proto: https, as the proxy in front of gunicorn sends it in
-- production (otherwise production mode redirects to HTTPS). done() prints one line,
-- "WRKJSON {...}", with the totals, latency percentiles (µs) and every thread's status counts.

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local requests = {}
  for line in io.lines(args[1]) do
    local path, cookie = line:match("^([^\t]+)\t?(.*)$")
    if path then
      local headers = { ["X-Forwarded-Proto"] = "https" }
      if cookie ~= "" then
        headers["Cookie"] = cookie
      end
      table.insert(requests, wrk.format("GET", path, headers))
    end
  end
  assert(#requests > 0, "no requests in " .. args[1])
  pairs_list = requests
  -- Threads start at different places in the rotation.
  index = (thread_id * 7919) % #requests
  statuses = {}
end

function request()
  index = index % #pairs_list + 1
  return pairs_list[index]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"duration_us": %d, "requests": %d, "bytes": %d, '
      .. '"connect": %d, "read": %d, "write": %d, "status_errors": %d, "timeout": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, '
      .. '"statuses": {%s}}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, table.concat(parts, ", ")
  ))
end
