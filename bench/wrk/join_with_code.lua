-- POST /api/join/{code}/ with a new address every time, from a random client address, referred by
-- a random waiting user (their invite codes in WRK_CODES, one a line).
dofile(os.getenv("WRK_SCRIPTS") .. "/joining.lua")
local codes = {}

function init(args)
  for line in io.lines(os.getenv("WRK_CODES")) do codes[#codes + 1] = line end
  seed_random()
end

function request()
  return join_request("/api/join/" .. codes[math.random(#codes)] .. "/", "load-referred")
end
