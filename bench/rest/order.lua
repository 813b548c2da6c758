-- bench/rest/order.lua: the wrk script of bench/rest/run.sh.
--
-- XT_WRK_MODE=order (default): POST /v1/order, GTC limit orders, Buy and Sell alternating.
--   With XT_REQUESTS=<file>: the signed requests written by `rest_load --write-lua` (wrk's LuaJIT
--     has no HMAC, so they are signed ahead of time): one list per time slot, each signed with a
--     timestamp inside the server's receive window while its slot lasts; the slot is picked from
--     the wall clock every 256 requests.
--   Without: unsigned requests (the server must run with xtrader.rest_auth = off), built here
--     from XT_SYMBOL, XT_PRICES (buys), XT_SELL_PRICES (sells; default XT_PRICES) and XT_QTYS
--     (comma-separated decimals on the symbol's grid).
-- XT_WRK_MODE=health: the plain GET of the URL given to wrk (/health), the baseline.
--
-- Either way done() prints one line that run.sh parses:
--   wrk_result requests=N duration_us=N non2xx=N connect_err=N read_err=N write_err=N
--              timeout_err=N p50_us=N p99_us=N

local mode = os.getenv("XT_WRK_MODE") or "order"

local function split(s)
  local t = {}
  for v in string.gmatch(s or "", "[^,]+") do t[#t + 1] = v end
  return t
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

if mode == "order" then
  local data = nil      -- signed: { t0 = ms, slot_ms = ms, slots = { {req, ...}, ... } }
  local current = {}    -- the requests in use
  local n = 0
  local i = 0
  local countdown = 0

  local function pick_slot()
    local j = math.floor((os.time() * 1000 - data.t0) / data.slot_ms) + 1
    if j < 1 then j = 1 end
    if j > #data.slots then j = #data.slots end
    current = data.slots[j]
    n = #current
  end

  function init(args)
    local file = os.getenv("XT_REQUESTS")
    if file and file ~= "" then
      data = dofile(file)
      pick_slot()
    else
      local symbol = os.getenv("XT_SYMBOL") or "BENCH-KRW"
      local prices = split(os.getenv("XT_PRICES"))
      local sell_prices = split(os.getenv("XT_SELL_PRICES"))
      if #sell_prices == 0 then sell_prices = prices end
      local qtys = split(os.getenv("XT_QTYS"))
      if #prices == 0 or #qtys == 0 then
        error("order.lua: set XT_REQUESTS, or XT_PRICES and XT_QTYS")
      end
      math.randomseed(1000 + (id or 0))
      local headers = { ["Content-Type"] = "application/json" }
      -- 1024 prepared requests (an even number, so sides keep alternating when it wraps)
      for k = 1, 1024 do
        local buy = (k % 2 == 1)
        local p = buy and prices[math.random(#prices)] or sell_prices[math.random(#sell_prices)]
        local body = string.format(
          '{"symbol":"%s","side":"%s","order_type":"Limit","price":"%s","quantity":"%s"}',
          symbol, buy and "Buy" or "Sell", p, qtys[math.random(#qtys)])
        current[k] = wrk.format("POST", "/v1/order", headers, body)
      end
      n = #current
    end
    -- threads start at different places in the list (an even offset keeps Buy/Sell alternating)
    i = (2 * 97 * (id or 0)) % n
  end

  function request()
    if data then
      countdown = countdown - 1
      if countdown <= 0 then
        pick_slot()
        countdown = 256
      end
    end
    i = i % n + 1
    return current[i]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk_result requests=%d duration_us=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50.0), latency:percentile(99.0)))
end
