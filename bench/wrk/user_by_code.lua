-- GET /api/user/{code}/ for codes spread over the whole waitlist (front, middle and back).
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
local codes = {}

function init(args)
  for line in io.lines(os.getenv("WRK_CODES")) do codes[#codes + 1] = line end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  return wrk.format("GET", "/api/user/" .. codes[math.random(#codes)] .. "/")
end
