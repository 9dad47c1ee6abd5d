#!/usr/bin/env bash
# Baseline throughput and latency of one gateway instance (in-memory store) on loopback, measured with wrk:
#   1. an unlimited route (proxy cost only), 2. a limited route whose requests are admitted (limiter + proxy),
#   3. a limited route whose requests are all refused (the 429 path, no backend), 4. the upstream alone,
#   5./6. one connection, latency.
# Needs wrk (apt-get install -y wrk). Starts the sample upstream and the gateway on 127.0.0.1, stops them by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${DURATION:-15s}"
connections="${CONNECTIONS:-64}"
gateway_port="${GATEWAY_PORT:-5080}"
upstream_port="${UPSTREAM_PORT:-5081}"
gateway="http://127.0.0.1:${gateway_port}"

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
dotnet build gateway/Gateway.csproj -c Release --nologo -v q >/dev/null
dotnet build loadtests/SampleUpstream/SampleUpstream.csproj -c Release --nologo -v q >/dev/null

pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT

dotnet loadtests/SampleUpstream/bin/Release/net10.0/SampleUpstream.dll --urls "http://127.0.0.1:${upstream_port}" >/dev/null 2>&1 &
pids+=($!)
export ASPNETCORE_ENVIRONMENT=Development
token="$(dotnet gateway/bin/Release/net10.0/Gateway.dll token --sub bench --tier pro)"
# "bench" gets an override so large that every request is admitted: the limiter runs, nothing is refused.
dotnet gateway/bin/Release/net10.0/Gateway.dll --urls "$gateway" --Serilog:MinimumLevel:Default=Warning \
  --ReverseProxy:Clusters:backend:Destinations:d1:Address="http://127.0.0.1:${upstream_port}/" \
  --RateLimiting:Overrides:bench:orders:0:Algorithm=FixedWindow \
  --RateLimiting:Overrides:bench:orders:0:Limit=1000000000 \
  --RateLimiting:Overrides:bench:orders:0:Window=1h >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "$gateway/api/status" && break; sleep 0.2; done

run() {
  local title="$1"; shift
  echo "== $title"
  wrk -t2 -c"$connections" -d5s "$@" >/dev/null  # warm-up (JIT, connection pools)
  wrk -t2 -c"$connections" -d"$duration" --latency "$@" | grep -E "Requests/sec|  50%|  99%|Non-2xx"
}

run "unlimited route, ${connections} connections" -H "Authorization: Bearer $token" "$gateway/api/status"
run "limited route, admitted, ${connections} connections" -H "Authorization: Bearer $token" "$gateway/api/orders/1"
run "limited route, refused (429), ${connections} connections" "$gateway/api/orders/1"
run "sample upstream alone (no gateway), ${connections} connections" "http://127.0.0.1:${upstream_port}/api/orders/1"
echo "== limited route, admitted, 1 connection"
wrk -t1 -c1 -d10s --latency -H "Authorization: Bearer $token" "$gateway/api/orders/1" | grep -E "Requests/sec|  50%|  99%"
echo "== unlimited route, 1 connection"
wrk -t1 -c1 -d10s --latency -H "Authorization: Bearer $token" "$gateway/api/status" | grep -E "Requests/sec|  50%|  99%"
