-- Adds permits that an instance admitted on local fallback (Redis late or unavailable) to the rules' counters, in the
-- windows they were admitted in:
--   fixed window: to the count, if their window is still the current one (a closed window's count no longer matters);
--   sliding window: to the current count, or to the previous window's count if they fell in the window before;
--   token bucket: the tokens are taken, down to empty at most.
-- Creates state that is missing (Redis may have restarted empty) and gives every key written its TTL.
--
-- KEYS[1..n] the rules' state hashes
-- ARGV[1]    permits admitted on fallback
-- ARGV[2]    Redis time (microseconds) at which they were admitted, as the instance estimated it; never after now
-- ARGV[3]    -1: read Redis's clock; a time in microseconds only from the store tests
-- ARGV[4..]  four per rule: algorithm, limit, window in microseconds, burst (as acquire.lua)
-- Returns    the number of rules the permits were added to.

local count = tonumber(ARGV[1])
local now = clock(ARGV[3])
local at = math.min(tonumber(ARGV[2]), now)
local FIRST_RULE_ARG = 4
local n = (#ARGV - FIRST_RULE_ARG + 1) / 4

local added = 0
for i = 1, n do
  local algorithm, limit, window, burst = rule_at(FIRST_RULE_ARG, i)
  local h = redis.call('HMGET', KEYS[i], 'w', 'c', 'p', 't')
  local w = tonumber(h[1])
  if algorithm == 1 or algorithm == 2 then
    -- The window now, as the state would be read (a state written at a later time is never treated as older).
    local start = window_start(math.max(now, w or now), window)
    local admitted_in = window_start(at, window)
    if admitted_in == start or (algorithm == 2 and admitted_in == start - window) then
      local c, p = 0, 0
      if w == start then
        c = tonumber(h[2]) or 0
        p = tonumber(h[3]) or 0
      elseif algorithm == 2 and w == start - window then
        p = tonumber(h[2]) or 0
      end
      if admitted_in == start then c = c + count else p = p + count end
      local fields = { 'w', string.format('%.0f', start), 'c', string.format('%.0f', c) }
      local expires = start + window
      if algorithm == 2 then
        table.insert(fields, 'p'); table.insert(fields, string.format('%.0f', p))
        expires = start + 2 * window
      end
      redis.call('HSET', KEYS[i], unpack(fields))
      expire_at(KEYS[i], expires, now)
      added = added + 1
    end
  else
    local per_token = window / limit
    local tokens = burst
    local last = now
    if w ~= nil then
      tokens = math.min(burst, (tonumber(h[4]) or 0) + (math.max(0, now - w) / per_token))
      last = math.max(now, w)
    end
    tokens = math.max(0, tokens - count)
    redis.call('HSET', KEYS[i], 'w', string.format('%.0f', last), 't', string.format('%.17g', tokens))
    expire_at(KEYS[i], bucket_full_at(last, tokens, burst, per_token), now)
    added = added + 1
  end
end
return added
