-- Prepended to every script (RedisScript.Load): what acquire.lua, release.lua and reconcile.lua have in common.
-- Lua has no includes in EVAL, so the pieces are joined before the script is sent.

local EPS = 1e-9

-- The time of a call in microseconds: Redis's own clock when the argument is -1 (what the gateway always sends); a
-- time in microseconds only from the store tests, which move a fake clock.
local function clock(argument)
  local at = tonumber(argument)
  if at < 0 then
    local time = redis.call('TIME')
    at = tonumber(time[1]) * 1000000 + tonumber(time[2])
  end
  return at
end

-- Rule i (from 1) of the arguments, four per rule from `first`: algorithm, limit, window in microseconds, burst.
local function rule_at(first, i)
  local base = first + (i - 1) * 4
  return tonumber(ARGV[base]), tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3])
end

-- Rounds a non-negative duration up, so "retry after" never points before the admitting instant.
local function ceil_micros(x)
  if x <= 0 then return 0 end
  return math.ceil(x - EPS)
end

-- Windows are aligned to the epoch: every instance and store agrees on where one starts.
local function window_start(at, window)
  return at - math.fmod(at, window)
end

-- When a bucket left with `tokens` after its last refill at `last` is full again: its state then reads as fresh.
local function bucket_full_at(last, tokens, burst, per_token)
  return last + ceil_micros((burst - tokens) * per_token)
end

-- Every key written gets a TTL: the moment its state would read as fresh anyway (at least 1 ms).
local function expire_at(key, expires, now)
  redis.call('PEXPIRE', key, math.max(1, math.ceil((expires - now) / 1000)))
end

