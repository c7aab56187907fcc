-- Shared by the joins: a new address for every request (unique per run, thread and request), sent
-- from a random client address as X-Forwarded-For like the nginx in front of gunicorn does
-- (bench/http_load.py runs the app with TRUSTED_PROXY_COUNT=1). Joins then come from many
-- networks, as in real traffic, instead of all from 127.0.0.1 (whose burst of joins would flag
-- every referral suspect after the first few).
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
local thread_number = 0
local counter = 0
local run = os.getenv("WRK_RUN_ID") or "run"

function setup(thread)
  thread_number = thread_number + 1
  thread:set("id", thread_number)
end

function seed_random()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function client_address()
  return string.format("%d.%d.%d.%d", math.random(1, 223), math.random(0, 255), math.random(0, 255), math.random(1, 254))
end

-- POST `path` as a new member whose address starts with `label`.
function join_request(path, label)
  counter = counter + 1
  local body = string.format('{"email": "%s-%s-%d-%d@example.com"}', label, run, id, counter)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = client_address(),
  }, body)
end
