-- Requests for one benchmark endpoint, read from a spec file written by bench/run.py.
--
--   wrk -t2 -c2 -d5s -s bench/wrk.lua http://127.0.0.1:PORT -- SPEC_FILE
--
-- Spec lines are "key<TAB>value":
--   method  GET | POST
--   path    /assessments/{id}/edit      ({id} and {version} are filled in per request)
--   body    csrf_token=...&version={version}&...   (already URL-encoded, or JSON)
--   header  Cookie: session=...          (any number)
--   mode    fixed | pool | track
--   threads N                            (must equal wrk -t; one connection per thread)
--   item    ID<TAB>VERSION               (any number)
--   keyprefix HEX8                        ({key} in the body becomes a fresh UUID per request)
--
-- fixed: every thread cycles through the items (or sends path/body as they are).
-- pool:  each item is sent once (e.g. one submit per draft); a thread stops when its share is
--        used up, so the run is bounded in count as well as in time.
-- track: each thread owns one item and saves it again and again, as a browser would. A kept
--        save answers 303 See Other (Post/Redirect/Get) and is exactly one version on (the
--        form's hidden "version" a browser reads on the page it is redirected to); any other
--        answer that shows the form (a 409 conflict) carries the current version in its body.
-- done() prints one line "JSON {...}" with the percentiles and the status codes seen (pool and
-- track modes; fixed mode counts only errors, see init()).

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local spec = { headers = {}, items = {}, mode = "fixed", method = "GET", body = nil }
local next_item = 1
local stride = 1
local mine = nil
local pending = nil
statuses = {}
sent = 0
exhausted = 0

local function read_spec(path)
  for line in io.lines(path) do
    local key, value = line:match("^(%w+)\t(.*)$")
    if key == "header" then
      local name, v = value:match("^([^:]+):%s*(.*)$")
      spec.headers[name] = v
    elseif key == "item" then
      local id, version = value:match("^(%d+)\t(%d+)$")
      table.insert(spec.items, { id = id, version = tonumber(version) })
    elseif key == "threads" then
      spec.threads = tonumber(value)
    elseif key then
      spec[key] = value
    end
  end
end

-- {key}: a fresh idempotency key (a UUID) per request, as every rendered form carries one; the
-- spec's keyprefix is new for each wrk run, the thread and the request count make it unique
local function fresh_key()
  return string.format("%s-%04x-4000-8000-%012x", spec.keyprefix or "00000000", thread_index, sent)
end

local function fill(template, item)
  if template == nil then
    return template
  end
  if template:find("{key}", 1, true) then
    template = template:gsub("{key}", fresh_key())
  end
  if item == nil then
    return template
  end
  return (template:gsub("{id}", item.id):gsub("{version}", tostring(item.version)))
end

function init(args)
  read_spec(args[1])
  stride = spec.threads or 1
  next_item = thread_index + 1
  if spec.mode == "track" then
    mine = spec.items[thread_index + 1]
  end
  if spec.mode == "fixed" then
    -- wrk then skips handing every body to Lua: a 190 KB page copied into Lua per response
    -- would cost the client CPU the server shares. Status codes > 399 are still counted in
    -- summary.errors.status, and bench/run.py checks each page's status once beforehand.
    response = nil
  end
end

function request()
  local item = nil
  if spec.mode == "track" then
    item = mine
  elseif #spec.items > 0 then
    if spec.mode == "pool" and next_item > #spec.items then
      -- share used up; only reached if a response arrives after stop() was requested
      exhausted = exhausted + 1
      item = spec.items[#spec.items]
    else
      item = spec.items[((next_item - 1) % #spec.items) + 1]
      next_item = next_item + stride
    end
  end
  pending = item
  sent = sent + 1
  return wrk.format(spec.method, fill(spec.path, item), spec.headers, fill(spec.body, item))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if spec.mode == "track" and mine ~= nil and status == 303 then
    mine.version = mine.version + 1
  elseif spec.mode == "track" and mine ~= nil and body ~= nil then
    local v = body:match('name="version" type="hidden" value="(%d+)"')
      or body:match('name="version" value="(%d+)"')
    if v then
      mine.version = tonumber(v)
    end
  elseif spec.mode == "pool" and next_item > #spec.items then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local merged = {}
  local total_sent, total_exhausted = 0, 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      merged[code] = (merged[code] or 0) + n
    end
    total_sent = total_sent + thread:get("sent")
    total_exhausted = total_exhausted + thread:get("exhausted")
  end
  local parts = {}
  for code, n in pairs(merged) do
    table.insert(parts, string.format('"%d": %d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %.1f, "sent": %d, "exhausted": %d, "statuses": {%s}, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, total_sent, total_exhausted,
    table.concat(parts, ", "), e.connect, e.read, e.write, e.status, e.timeout
  ))
end
