-- POST /api/join/ with a new address every time.
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
local thread_number = 0
local counter = 0
local run = os.getenv("WRK_RUN_ID") or "run"

function setup(thread)
  thread_number = thread_number + 1
  thread:set("id", thread_number)
end

function request()
  counter = counter + 1
  local body = string.format('{"email": "load-%s-%d-%d@example.com"}', run, id, counter)
  return wrk.format("POST", "/api/join/", {["Content-Type"] = "application/json"}, body)
end
