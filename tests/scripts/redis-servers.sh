#!/usr/bin/env bash
# Sourced by test.sh: installs redis-server when missing, starts one standalone Redis and one 3-master Redis Cluster
# on free loopback ports in a temp dir, exports their addresses for the tests, and stops them by PID on exit.
#   GATEWAY_TEST_REDIS          127.0.0.1:PORT
#   GATEWAY_TEST_REDIS_CLUSTER  127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#   GATEWAY_TEST_REDIS_CLUSTER_HA  six nodes: three primaries, each with a replica (for the failover test)

redis_pids=()
redis_dir=""

# The packages the tests need: redis-server, and libfaketime (the cold-start test runs one gateway with its wall clock
# shifted, as a badly synchronised host's would be).
redis_install() {
  local missing=()
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null || missing+=(redis-server)
  [[ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ]] || missing+=(faketime)
  if (( ${#missing[@]} == 0 )); then
    return 0
  fi
  echo "Installing ${missing[*]}..."
  if [[ "$(id -u)" != "0" ]]; then
    echo "${missing[*]} missing and this is not root: install with apt-get install -y ${missing[*]}" >&2
    return 1
  fi
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free port whose cluster bus port (+10000) is free too. Both stay below the kernel's ephemeral range (32768 and
# up), where the local end of any outgoing connection could take the port between our check and Redis's bind.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((10000 + RANDOM % 12000))
    if ! port_in_use "$port" && ! port_in_use $((port + 10000)); then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# Starts redis-server on a free port, trying another port if the bind still loses a race. Sets started_port.
# (Not called in $(...): the PID it records must stay in this shell, to be stopped later.)
started_port=""
redis_start_free() {
  local port
  for _ in 1 2 3 4 5; do
    port="$(free_port)" || return 1
    if redis_start "$port" "$@"; then
      started_port="$port"
      return 0
    fi
  done
  return 1
}

redis_start() {
  local port="$1"; shift
  local dir="$redis_dir/$port"
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
    --logfile "$dir/redis.log" --daemonize no "$@" >/dev/null 2>&1 &
  local pid=$!
  # Recorded at once, so an interrupted start still stops it.
  redis_pids+=("$pid")
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "redis-server on port $port exited: $(tail -n 2 "$dir/redis.log" 2>/dev/null)" >&2
      return 1
    fi
    # Ours answers with our PID; anything else on the port lost us the race for it.
    if redis-cli -p "$port" info server 2>/dev/null | grep -q "^process_id:${pid}"; then
      return 0
    fi
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  echo "redis-server on port $port did not answer" >&2
  return 1
}

redis_stop_all() {
  for pid in "${redis_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${redis_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  redis_pids=()
  if [[ -n "$redis_dir" ]]; then
    rm -rf "$redis_dir"
  fi
}

redis_up() {
  redis_install || return 1
  redis_dir="$(mktemp -d -t gateway-redis-XXXXXX)"

  redis_start_free || return 1
  export GATEWAY_TEST_REDIS="127.0.0.1:${started_port}"

  redis_cluster_up 3 0 || return 1
  export GATEWAY_TEST_REDIS_CLUSTER="$cluster_nodes"
  # A second cluster with a replica per primary, for the failover test (which moves primaries around).
  redis_cluster_up 6 1 || return 1
  export GATEWAY_TEST_REDIS_CLUSTER_HA="$cluster_nodes"
  echo "Redis standalone on ${GATEWAY_TEST_REDIS}; Redis Cluster on ${GATEWAY_TEST_REDIS_CLUSTER}; Cluster with replicas on ${GATEWAY_TEST_REDIS_CLUSTER_HA}"
}

# Starts <nodes> cluster-enabled servers and joins them into one cluster with <replicas> replicas per primary.
# Sets cluster_nodes to their addresses, comma-separated. (Not called in $(...): the PIDs must stay in this shell.)
cluster_nodes=""
redis_cluster_up() {
  local count="$1" replicas="$2" nodes=()
  for _ in $(seq 1 "$count"); do
    redis_start_free --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 || return 1
    nodes+=("127.0.0.1:${started_port}")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$replicas" --cluster-yes >"$redis_dir/cluster-create-$count.log" 2>&1 || {
    cat "$redis_dir/cluster-create-$count.log" >&2
    return 1
  }
  local ready
  for node in "${nodes[@]}"; do
    ready=0
    for _ in $(seq 1 300); do
      if redis-cli -h 127.0.0.1 -p "${node##*:}" cluster info 2>/dev/null | grep -q "cluster_state:ok"; then
        ready=1
        break
      fi
      sleep 0.1
    done
    if (( ready == 0 )); then
      echo "Redis Cluster node $node never reported cluster_state:ok" >&2
      return 1
    fi
  done
  cluster_nodes="$(IFS=,; echo "${nodes[*]}")"
}

# Every key the tests wrote must carry a TTL. Prints offending keys and returns 1 if any has none.
redis_check_ttls() {
  local failed=0 host port key ttl
  for address in "$GATEWAY_TEST_REDIS" ${GATEWAY_TEST_REDIS_CLUSTER//,/ } ${GATEWAY_TEST_REDIS_CLUSTER_HA//,/ }; do
    host="${address%:*}"; port="${address##*:}"
    while read -r key; do
      [[ -z "$key" ]] && continue
      ttl="$(redis-cli -h "$host" -p "$port" pttl "$key")"
      if [[ "$ttl" == "-1" ]]; then
        echo "key without TTL on $address: $key"
        failed=1
      fi
    done < <(redis-cli -h "$host" -p "$port" --scan --pattern 'gwtest*')
  done
  return "$failed"
}
