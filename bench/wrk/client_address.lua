-- Shared by the joins: a random client address, sent as X-Forwarded-For like the nginx in front of
-- gunicorn does (bench/http_load.py runs the app with TRUSTED_PROXY_COUNT=1). Joins then come from
-- many networks, as in real traffic, instead of all from 127.0.0.1 (whose burst of joins would
-- flag every referral suspect after the first few).
function client_address()
  return string.format("%d.%d.%d.%d", math.random(1, 223), math.random(0, 255), math.random(0, 255), math.random(1, 254))
end
