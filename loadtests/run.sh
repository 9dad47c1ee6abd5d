#!/usr/bin/env bash
# The load tests in one command, from a fresh clone with only the .NET SDK: installs redis-server when missing (as
# root, apt-get), builds the runner in Release, and runs it. The runner starts its own gateway, upstream and Redis
# processes on free loopback ports and stops them by PID.
#
#   loadtests/run.sh compare                    # the side-by-side comparison (about 10 minutes)
#   loadtests/run.sh run zipf --rate 1500       # one scenario; loadtests/run.sh list shows them
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

source tests/scripts/redis-servers.sh
redis_install
# The HTML report's charts need one font to draw their labels (without, they render with no text).
if ! ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 && [[ "$(id -u)" == "0" ]]; then
  { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; } || echo "fonts-dejavu-core not installed: charts will have no labels" >&2
fi
dotnet build loadtests/Gateway.LoadTests/Gateway.LoadTests.csproj -c Release --nologo -v q
exec dotnet loadtests/Gateway.LoadTests/bin/Release/net10.0/Gateway.LoadTests.dll "${@:-help}"
