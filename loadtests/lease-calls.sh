#!/usr/bin/env bash
# Redis script calls per admitted request for one hot subject, with and without quota leases, at full speed:
# one gateway instance on the Redis store, wrk with 64 connections on one subject whose limit is never reached.
# Reads INFO commandstats (EVALSHA + EVAL) before and after each run. Also prints throughput and latency.
# Needs wrk and redis-server (apt-get install -y wrk redis-server). Everything runs on 127.0.0.1 and is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-15s}"
connections="${CONNECTIONS:-64}"
gateway_port="${GATEWAY_PORT:-5080}"
upstream_port="${UPSTREAM_PORT:-5081}"
gateway="http://127.0.0.1:${gateway_port}"

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
source tests/scripts/redis-servers.sh
redis_install
redis_dir="$(mktemp -d -t gateway-redis-XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  redis_stop_all
}
trap cleanup EXIT
redis_start_free
redis_port="$started_port"

dotnet build gateway/Gateway.csproj -c Release --nologo -v q >/dev/null
dotnet build loadtests/SampleUpstream/SampleUpstream.csproj -c Release --nologo -v q >/dev/null
dotnet loadtests/SampleUpstream/bin/Release/net10.0/SampleUpstream.dll --urls "http://127.0.0.1:${upstream_port}" >/dev/null 2>&1 &
pids+=($!)
export ASPNETCORE_ENVIRONMENT=Development
token="$(dotnet gateway/bin/Release/net10.0/Gateway.dll token --sub bench --tier pro)"

script_calls() {
  redis-cli -p "$redis_port" info commandstats | tr -d '\r' \
    | awk -F'[=,:]' '/^cmdstat_(evalsha|eval):/ { n += $3 } END { print n + 0 }'
}

run() {
  local title="$1" leases="$2"
  # "bench" gets an override so large that every request is admitted: one hot subject, never refused.
  dotnet gateway/bin/Release/net10.0/Gateway.dll --urls "$gateway" --Serilog:MinimumLevel:Default=Warning \
    --Gateway:Overlays=Redis --RateLimiting:Store:Redis:Configuration="127.0.0.1:${redis_port}" \
    --RateLimiting:Store:Redis:KeyPrefix="bench-$RANDOM:" --RateLimiting:Store:Leases:Enabled="$leases" \
    --ReverseProxy:Clusters:backend:Destinations:d1:Address="http://127.0.0.1:${upstream_port}/" \
    --RateLimiting:Overrides:bench:orders:0:Algorithm=FixedWindow \
    --RateLimiting:Overrides:bench:orders:0:Limit=1000000000 \
    --RateLimiting:Overrides:bench:orders:0:Window=1h >/dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do curl -s -o /dev/null "$gateway/api/status" && break; sleep 0.2; done
  wrk -t2 -c"$connections" -d5s -H "Authorization: Bearer $token" "$gateway/api/orders/1" >/dev/null  # warm-up
  local before out after requests
  before="$(script_calls)"
  out="$(wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" "$gateway/api/orders/1")"
  after="$(script_calls)"
  requests="$(awk '/requests in/ { print $1 }' <<<"$out")"
  echo "== $title"
  grep -E "Requests/sec|  50%|  99%|Non-2xx" <<<"$out" || true
  echo "  admitted requests: $requests, script calls: $((after - before)), calls per request: $(awk -v c=$((after - before)) -v r="$requests" 'BEGIN { printf "%.4f", c / r }')"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

run "Redis store, exact mode (leases off), ${connections} connections, one subject" false
run "Redis store, leases on (default), ${connections} connections, one subject" true
