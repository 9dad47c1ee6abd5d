-- Gives back permits an instance leased but did not hand out, where the algorithm allows it:
--   fixed and sliding window: only into the window the lease was taken in, and only while that window is still the
--   current one (a closed window's count no longer matters);
--   token bucket: the tokens go back, refilled to now first and capped at the burst.
-- A key whose state has expired is left alone: it already reads as fresh, which is more than any return would give.
--
-- KEYS[1..n] the rules' state hashes; KEYS[n+1] the hash of lease marks
-- ARGV[1]    permits to give back
-- ARGV[2]    Redis's time (microseconds) when the lease was granted, as acquire.lua reported it; -1 for now (a
--            refund of a request just admitted)
-- ARGV[3]    -1: read Redis's clock; a time in microseconds only from the store tests
-- ARGV[4]    the instance's id
-- ARGV[5]    1 when the instance holds no other lease of this partition: its mark goes too
-- ARGV[6..]  four per rule: algorithm, limit, window in microseconds, burst (as acquire.lua)
-- Returns    the number of rules the permits went back to.

local count = tonumber(ARGV[1])
local granted_at = tonumber(ARGV[2])
local now = clock(ARGV[3])
if granted_at < 0 then granted_at = now end
local FIRST_RULE_ARG = 6
local n = (#ARGV - FIRST_RULE_ARG + 1) / 4

local returned = 0
for i = 1, n do
  local algorithm, limit, window, burst = rule_at(FIRST_RULE_ARG, i)
  local h = redis.call('HMGET', KEYS[i], 'w', 'c', 't')
  local w = tonumber(h[1])
  if w ~= nil then
    if algorithm == 1 or algorithm == 2 then
      local start = window_start(granted_at, window)
      if w == start and window_start(math.max(now, w), window) == start then
        local c = math.max(0, (tonumber(h[2]) or 0) - count)
        redis.call('HSET', KEYS[i], 'c', string.format('%.0f', c))
        returned = returned + 1
      end
    else
      local per_token = window / limit
      local elapsed = math.max(0, now - w)
      local tokens = math.min(burst, (tonumber(h[3]) or 0) + (elapsed / per_token) + count)
      local last = math.max(now, w)
      redis.call('HSET', KEYS[i], 'w', string.format('%.0f', last), 't', string.format('%.17g', tokens))
      expire_at(KEYS[i], bucket_full_at(last, tokens, burst, per_token), now)
      returned = returned + 1
    end
  end
end

if ARGV[5] == '1' then
  redis.call('HDEL', KEYS[n + 1], ARGV[4])
end
return returned
