-- Evaluates every rule of one request and, only when all admit it, consumes from each: atomically, because Redis
-- runs a script without interleaving other commands. The same arithmetic, in the same order, as the C# algorithms in
-- Limiting/Algorithms, so the in-memory and Redis stores answer alike.
--
-- Exact mode (one call per request): need = want = the request's cost, lease = 0.
-- Lease mode: the caller asks for up to `want` permits and needs at least `need`. The script grants
-- g = max(need, min(want, floor(available / (2 * holders)))), where available is the fewest permits any rule still
-- has and holders the instances holding a live lease on this partition, and consumes g from every rule before the
-- caller hands any out: whatever the instances do with their leases, they cannot admit more than the limit. Each
-- holder leaves a mark (instance id -> lease expiry) in a hash, so a caller that is refused learns until when
-- other instances might still give permits back.
--
-- KEYS[1..n] the hash holding rule i's state (every key of one request shares a hash tag: one Cluster slot)
-- KEYS[n+1]  lease mode only: the hash of lease marks
-- ARGV[1]    need: permits the request needs (its cost)
-- ARGV[2]    1 = consume, 0 = peek
-- ARGV[3]    -1: read Redis's clock (what the gateway always sends); a time in microseconds is only sent by the
--            store contract tests, which move a fake clock
-- ARGV[4]    want: the most permits to grant (= need in exact mode)
-- ARGV[5]    lease mark lifetime in microseconds; 0 = exact mode
-- ARGV[6]    the calling instance's id (lease mode)
-- ARGV[7]    1 when the caller still holds permits of this partition (its mark must stay on a refusal)
-- ARGV[8..]  four per rule: algorithm (1 fixed window, 2 sliding window, 3 token bucket), limit, window in
--            microseconds, burst
-- Returns    { allowed_1, remaining_1, reset_after_1, retry_after_1, allowed_2, ..., granted, now, others_until }:
--            per rule the state after the decision (microseconds); the permits granted (0 when refused); Redis's
--            time; and how long (microseconds) other instances may still hold leases of this partition.
-- State      w: window start (bucket: last refill), c: count, p: previous window's count, t: tokens.
-- Every key written gets a TTL: the moment its state would read as fresh anyway.

local STEPS = 16

local need = tonumber(ARGV[1])
local consume = ARGV[2] == '1'
local now = clock(ARGV[3])
local want = tonumber(ARGV[4])
local mark_life = tonumber(ARGV[5])
local self = ARGV[6]
local holding = ARGV[7] == '1'
local FIRST_RULE_ARG = 8

-- Fixed window -------------------------------------------------------------------------------------------------
-- State written at a later time than ours (a master whose clock stepped back after a failover) is never treated as
-- older: evaluate at its time, as the C# code does.
local function not_before(s)
  if s.w ~= nil and s.w > now then return s.w end
  return now
end

local function fixed(s, limit, window, c)
  local now = not_before(s)
  local start = window_start(now, window)
  local count = 0
  if s.w == start then count = s.c end
  local reset = start + window - now
  local allowed = count + c <= limit
  local next_count = count
  if allowed then next_count = count + c end
  local retry = 0
  if not allowed then retry = reset end
  return allowed, math.max(0, limit - count), reset, retry, { w = start, c = next_count }, start + window
end

-- Sliding window counter ---------------------------------------------------------------------------------------
local function sliding_counts(s, window, at)
  local start = window_start(at, window)
  if s.w == start then return start, s.c, s.p end
  if s.w == start - window then return start, 0, s.c end
  return start, 0, 0
end

local function estimate(previous, current, window, elapsed)
  return (previous * (window - elapsed) / window) + current
end

local function sliding_admits_at(s, at, c, limit, window)
  local start, current, previous = sliding_counts(s, window, at)
  return estimate(previous, current, window, at - start) + c <= limit + EPS
end

local function sliding_closed_form(previous, current, c, limit, window, elapsed)
  local headroom = (limit - current - c) + EPS
  if headroom >= 0 and previous > 0 then
    local t = window - (headroom * window / previous)
    return ceil_micros(t - elapsed)
  end
  local until_next = window - elapsed
  local headroom_next = (limit - c) + EPS
  if current <= headroom_next then return until_next end
  local t_next = window - (headroom_next * window / current)
  return until_next + ceil_micros(t_next)
end

local function sliding(s, limit, window, c)
  local now = not_before(s)
  local start, current, previous = sliding_counts(s, window, now)
  local elapsed = now - start
  local est = estimate(previous, current, window, elapsed)
  local allowed = est + c <= limit + EPS
  local retry = 0
  if not allowed then
    if c > limit then
      retry = (2 * window) - elapsed
    else
      -- Step onto the first microsecond the admission test itself passes, as the C# code does.
      retry = math.max(1, sliding_closed_form(previous, current, c, limit, window, elapsed))
      local steps = 0
      while steps < STEPS and retry > 1 and sliding_admits_at(s, now + retry - 1, c, limit, window) do
        retry = retry - 1
        steps = steps + 1
      end
      steps = 0
      while steps < STEPS and not sliding_admits_at(s, now + retry, c, limit, window) do
        retry = retry + 1
        steps = steps + 1
      end
    end
  end
  local next_count = current
  if allowed then next_count = current + c end
  return allowed, math.max(0, math.floor(limit - est + EPS)), window - elapsed, retry,
    { w = start, c = next_count, p = previous }, start + 2 * window
end

-- Token bucket -------------------------------------------------------------------------------------------------
local function tokens_at(s, capacity, per_token, at)
  if s.w == nil then return capacity end
  local elapsed = math.max(0, at - s.w)
  return math.min(capacity, s.t + (elapsed / per_token))
end

local function bucket(s, limit, window, burst, c)
  local per_token = window / limit
  local capacity = burst
  local tokens = tokens_at(s, capacity, per_token, now)
  local allowed = tokens + EPS >= c
  local after = tokens
  if allowed then after = tokens - c end
  local retry = 0
  if not allowed then
    if c > burst then
      retry = ceil_micros((capacity - tokens) * per_token)
    else
      local idle = 0
      if s.w ~= nil then idle = math.max(0, s.w - now) end
      retry = math.max(1, idle + ceil_micros((c - tokens - EPS) * per_token))
      local steps = 0
      while steps < STEPS and retry > 1 and tokens_at(s, capacity, per_token, now + retry - 1) + EPS >= c do
        retry = retry - 1
        steps = steps + 1
      end
      steps = 0
      while steps < STEPS and not (tokens_at(s, capacity, per_token, now + retry) + EPS >= c) do
        retry = retry + 1
        steps = steps + 1
      end
    end
  end
  local last = now
  if s.w ~= nil and s.w > now then last = s.w end
  return allowed, math.floor(tokens + EPS), ceil_micros((capacity - tokens) * per_token), retry,
    { w = last, t = after }, bucket_full_at(last, after, capacity, per_token)
end

-- One request --------------------------------------------------------------------------------------------------
local function read_state(key)
  local h = redis.call('HMGET', key, 'w', 'c', 'p', 't')
  return { w = tonumber(h[1]), c = tonumber(h[2]) or 0, p = tonumber(h[3]) or 0, t = tonumber(h[4]) or 0 }
end

local function evaluate(i, s, c)
  local algorithm, limit, window, burst = rule_at(FIRST_RULE_ARG, i)
  if algorithm == 1 then return fixed(s, limit, window, c) end
  if algorithm == 2 then return sliding(s, limit, window, c) end
  return bucket(s, limit, window, burst, c)
end

local n = (#ARGV - FIRST_RULE_ARG + 1) / 4
local leasing = mark_life > 0

-- Lease marks: count live holders (this caller included) and find the last moment another holder's lease may run.
local holders, others_until = 1, 0
if leasing then
  local marks = redis.call('HGETALL', KEYS[n + 1])
  for j = 1, #marks, 2 do
    local id, expires = marks[j], tonumber(marks[j + 1])
    if expires <= now then
      redis.call('HDEL', KEYS[n + 1], id)
    elseif id ~= self then
      holders = holders + 1
      if expires > others_until then others_until = expires end
    end
  end
end

local states, results, nexts, expiries = {}, {}, {}, {}
local all_allowed = true
local available = nil
for i = 1, n do
  states[i] = read_state(KEYS[i])
  local allowed, remaining, reset, retry, next_state, expires = evaluate(i, states[i], need)
  results[i] = { allowed, remaining, reset, retry }
  nexts[i] = next_state
  expiries[i] = expires
  all_allowed = all_allowed and allowed
  if available == nil or remaining < available then available = remaining end
end

local granted = 0
if all_allowed and consume then
  granted = need
  if want > need then
    -- Never more than a share of what is left, so little quota sits idle in leases as the key nears its limit.
    granted = math.max(need, math.min(want, math.floor(available / (2 * holders))))
    if granted > need then
      for i = 1, n do
        local allowed, _, _, _, next_state, expires = evaluate(i, states[i], granted)
        if not allowed then granted = need; break end
        nexts[i] = next_state
        expiries[i] = expires
      end
      if granted == need then
        for i = 1, n do
          local _, _, _, _, next_state, expires = evaluate(i, states[i], need)
          nexts[i] = next_state
          expiries[i] = expires
        end
      end
    end
  end
end

local reply = {}
if granted > 0 then
  for i = 1, n do
    local s = nexts[i]
    local fields = { 'w', string.format('%.0f', s.w) }
    if s.c ~= nil then table.insert(fields, 'c'); table.insert(fields, string.format('%.0f', s.c)) end
    if s.p ~= nil then table.insert(fields, 'p'); table.insert(fields, string.format('%.0f', s.p)) end
    if s.t ~= nil then table.insert(fields, 't'); table.insert(fields, string.format('%.17g', s.t)) end
    redis.call('HSET', KEYS[i], unpack(fields))
    expire_at(KEYS[i], expiries[i], now)
    -- Report the state the next request will find, as the in-memory store does.
    local parsed = { w = s.w, c = s.c or 0, p = s.p or 0, t = s.t or 0 }
    local _, remaining, reset = evaluate(i, parsed, 0)
    reply[#reply + 1] = 1
    reply[#reply + 1] = remaining
    reply[#reply + 1] = reset
    reply[#reply + 1] = 0
  end
  if leasing then
    redis.call('HSET', KEYS[n + 1], self, string.format('%.0f', now + mark_life))
    local ttl = math.ceil(mark_life / 1000)
    if redis.call('PTTL', KEYS[n + 1]) < ttl then redis.call('PEXPIRE', KEYS[n + 1], ttl) end
  end
else
  for i = 1, n do
    local r = results[i]
    reply[#reply + 1] = r[1] and 1 or 0
    reply[#reply + 1] = r[2]
    reply[#reply + 1] = r[3]
    reply[#reply + 1] = r[4]
  end
  if leasing and consume and not holding then
    redis.call('HDEL', KEYS[n + 1], self)
  end
end
reply[#reply + 1] = granted
reply[#reply + 1] = string.format('%.0f', now)
local others = 0
if others_until > now then others = others_until - now end
reply[#reply + 1] = others
return reply
