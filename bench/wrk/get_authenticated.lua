-- A GET of the URL given to wrk, as the user whose access token is in WRK_TOKEN (the records list,
-- a referrer's referrals).
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("WRK_TOKEN")
