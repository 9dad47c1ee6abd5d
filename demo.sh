#!/usr/bin/env bash
# The demo: builds everything, starts the sample upstream and the gateway (in-memory store, development key),
# shows a client going from 200 to 429, prints curl lines with tokens for two tiers, and serves until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")"

gateway_port="${GATEWAY_PORT:-5000}"
upstream_port="${UPSTREAM_PORT:-5001}"
gateway_url="http://localhost:${gateway_port}"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "Building..."
dotnet build gateway/Gateway.csproj -c Release --nologo -v q >/dev/null
dotnet build loadtests/SampleUpstream/SampleUpstream.csproj -c Release --nologo -v q >/dev/null

gateway_dll="gateway/bin/Release/net10.0/Gateway.dll"
upstream_dll="loadtests/SampleUpstream/bin/Release/net10.0/SampleUpstream.dll"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for port in "$gateway_port" "$upstream_port"; do
  if curl -s -o /dev/null "http://127.0.0.1:${port}/" 2>/dev/null; then
    echo "Port ${port} is already in use; set GATEWAY_PORT / UPSTREAM_PORT to free ports." >&2
    exit 1
  fi
done

dotnet "$upstream_dll" --urls "http://127.0.0.1:${upstream_port}" &
pids+=($!)

export ASPNETCORE_ENVIRONMENT=Development
free_token="$(dotnet "$gateway_dll" token --sub alice --tier free)"
pro_token="$(dotnet "$gateway_dll" token --sub bob --tier pro)"
admin_token="$(dotnet "$gateway_dll" token --sub ops --tier pro --role admin)"

dotnet "$gateway_dll" --urls "$gateway_url" \
  --Serilog:MinimumLevel:Override:Serilog.AspNetCore.RequestLoggingMiddleware=Warning \
  --ReverseProxy:Clusters:backend:Destinations:d1:Address="http://127.0.0.1:${upstream_port}/" &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -s -o /dev/null "${gateway_url}/api/status" 2>/dev/null; then
    break
  fi
  sleep 0.2
done

echo
burst() {
  # One curl process, one connection: the requests arrive within milliseconds of each other.
  local count="$1" url="$2"; shift 2
  local args=("$@")
  for _ in $(seq 1 "$count"); do
    args+=(-o /dev/null "$url")
  done
  curl -s -w "%{http_code} " "${args[@]}"
  echo
}
echo
echo "== 15 requests at once as alice (tier free: 5/s with bursts of 10, 1000/day):"
burst 15 "${gateway_url}/api/orders/42" -H "Authorization: Bearer ${free_token}"
echo "== 7 anonymous requests (tier anonymous: 5/min per client address):"
burst 7 "${gateway_url}/api/orders/42"
echo
echo "== The next anonymous one, with its headers and body:"
curl -s -i "${gateway_url}/api/orders/42" | grep -iE '^(HTTP|retry-after|ratelimit|x-ratelimit)|"title"' || true
echo
cat <<EOT
== Try it yourself (tokens valid 8 hours, signed with the development key):
export FREE='${free_token}'
export PRO='${pro_token}'
curl -i -H "Authorization: Bearer \$FREE" ${gateway_url}/api/orders/1
curl -i -H "Authorization: Bearer \$PRO"  ${gateway_url}/api/orders/1
seq 15 | xargs -P 15 -I{} curl -s -o /dev/null -w "%{http_code} " -H "Authorization: Bearer \$FREE" ${gateway_url}/api/orders/1; echo   # at once: some 429
curl -i ${gateway_url}/api/orders/1                          # anonymous: limited by client address
curl -i -H "Authorization: Bearer \$FREE" ${gateway_url}/api/search/q   # cost 2 per request
curl -i -H "Authorization: Bearer garbage" ${gateway_url}/api/orders/1  # 401
curl -s ${gateway_url}/metrics | grep gateway_ratelimit_decisions      # decision counters (Prometheus)
curl -s ${gateway_url}/readyz                                           # store state
curl -s -X POST ${gateway_url}/v1/limits/check -H "Authorization: Bearer \$FREE" -H 'Content-Type: application/json' -d '{"policy":"orders","consume":false}'
export ADMIN='${admin_token}'
curl -s "${gateway_url}/admin/subjects/alice/usage?policy=orders" -H "Authorization: Bearer \$ADMIN"

Gateway on ${gateway_url}, upstream on http://127.0.0.1:${upstream_port}. Edit appsettings/appsettings.json to
change limits live. Ctrl+C stops both.
EOT
wait
