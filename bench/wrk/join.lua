-- POST /api/join/ with a new address every time, from a random client address.
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
dofile(os.getenv("WRK_SCRIPTS") .. "/client_address.lua")
local thread_number = 0
local counter = 0
local run = os.getenv("WRK_RUN_ID") or "run"

function setup(thread)
  thread_number = thread_number + 1
  thread:set("id", thread_number)
end

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  counter = counter + 1
  local body = string.format('{"email": "load-%s-%d-%d@example.com"}', run, id, counter)
  return wrk.format("POST", "/api/join/", {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = client_address(),
  }, body)
end
