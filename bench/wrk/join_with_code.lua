-- POST /api/join/{code}/ with a new address every time, from a random client address, referred by
-- a random waiting user (their invite codes in WRK_CODES, one a line).
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
dofile(os.getenv("WRK_SCRIPTS") .. "/client_address.lua")
local codes = {}
local thread_number = 0
local counter = 0
local run = os.getenv("WRK_RUN_ID") or "run"

function setup(thread)
  thread_number = thread_number + 1
  thread:set("id", thread_number)
end

function init(args)
  for line in io.lines(os.getenv("WRK_CODES")) do codes[#codes + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  counter = counter + 1
  local body = string.format('{"email": "load-referred-%s-%d-%d@example.com"}', run, id, counter)
  local path = "/api/join/" .. codes[math.random(#codes)] .. "/"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Forwarded-For"] = client_address(),
  }, body)
end
