-- POST /api/v1/records: an addition, charged to the bench user (token in WRK_TOKEN).
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
local counter = 0

function request()
  counter = counter + 1
  local body = string.format('{"operation_id": %s, "operator1": %d, "operator2": 2.5}', os.getenv("WRK_OPERATION"), counter)
  return wrk.format("POST", "/api/v1/records", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN"),
  }, body)
end
