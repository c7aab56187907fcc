-- POST /api/v1/referral-codes (a generated code) as a different user every time: a user holds one
-- active code at a time, so each request takes the next access token of WRK_TOKENS (one a line;
-- the threads share them out, none used twice), and bench/http_load.py deletes those users' codes
-- before each run.
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
local tokens = {}
local thread_number = 0
local counter = 0
local threads = tonumber(os.getenv("WRK_THREADS"))
local body = '{"expires_at": "2099-12-31T23:59:59Z"}'

function setup(thread)
  thread_number = thread_number + 1
  thread:set("id", thread_number)
end

function init(args)
  for line in io.lines(os.getenv("WRK_TOKENS")) do tokens[#tokens + 1] = line end
end

function request()
  -- Thread k takes tokens k, k + threads, k + 2 × threads, ... (a run longer than the pool wraps
  -- around, and its second code for a user answers 409).
  local token = tokens[(counter * threads + id - 1) % #tokens + 1]
  counter = counter + 1
  return wrk.format("POST", "/api/v1/referral-codes", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end
