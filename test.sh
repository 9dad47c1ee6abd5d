#!/usr/bin/env bash
# Runs every test project of the solution and prints, as its last line, "N passed, N failed" summed over all of
# them. Exits non-zero when anything fails, a project does not build, or a test host crashes.
set -uo pipefail
cd "$(dirname "$0")"

results_dir="$(pwd)/.test-results"
rm -rf "$results_dir"
mkdir -p "$results_dir"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Redis for the distributed tests: started here, stopped by PID when this script exits, however it exits.
source tests/scripts/redis-servers.sh
trap redis_stop_all EXIT
if ! redis_up; then
  echo "could not start Redis for the tests"
  echo "0 passed, 1 failed"
  exit 1
fi

if ! dotnet build Gateway.sln -c Release --nologo -v q; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0
failed=0
status=0
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "=== $name"
  dotnet test "$project" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results_dir" || status=1
  trx="$results_dir/$name.trx"
  if [[ ! -f "$trx" ]]; then
    echo "$name: no results (the test host did not run or crashed)"
    failed=$((failed + 1))
    status=1
    continue
  fi
  counters="$(grep -o '<Counters [^>]*>' "$trx")"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  e="$(sed -n 's/.* error="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0}))
done

# Key hygiene, after the whole suite: no counter key may live in Redis without a TTL.
echo "=== Redis key TTL check"
if redis_check_ttls; then
  echo "every test key has a TTL"
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

if (( failed > 0 )); then
  status=1
fi
echo "${passed} passed, ${failed} failed"
exit "$status"
