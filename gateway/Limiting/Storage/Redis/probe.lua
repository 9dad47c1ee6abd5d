-- The circuit breaker's probe, run on every primary: it succeeds only where a decision's script would, i.e. where the
-- server runs scripts that write (not out of memory under noeviction, not a read-only replica, not busy with another
-- script). PING answers in all of those cases; this does not. The key carries a TTL like every key the gateway writes.
--
-- KEYS[1]  a key in a slot this primary owns
redis.call('SET', KEYS[1], '1', 'PX', 1000)
return 1
