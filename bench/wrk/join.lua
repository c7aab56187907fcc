-- POST /api/join/ with a new address every time, from a random client address.
dofile(os.getenv("WRK_SCRIPTS") .. "/joining.lua")

function init(args)
  seed_random()
end

function request()
  return join_request("/api/join/", "load")
end
