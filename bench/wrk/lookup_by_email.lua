-- GET /api/v1/referral-codes/lookup?email=... for random users who own an active referral code
-- (their addresses in WRK_EMAILS, one a line).
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
local emails = {}

function init(args)
  for line in io.lines(os.getenv("WRK_EMAILS")) do emails[#emails + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  return wrk.format("GET", "/api/v1/referral-codes/lookup?email=" .. emails[math.random(#emails)])
end
