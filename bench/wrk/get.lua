-- A plain GET of the URL given to wrk.
dofile(os.getenv("WRK_SCRIPTS") .. "/report.lua")
