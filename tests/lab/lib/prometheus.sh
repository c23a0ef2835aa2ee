# A real Prometheus (Debian's `prometheus`) scraping one target from inside a
# network namespace, for lab tests (sourced, not run):
#   prom_start NS LISTEN TARGET [INTERVAL]
#                       write a configuration that scrapes TARGET (host:port,
#                       job "oqlink", path /metrics) every INTERVAL (default
#                       1s), with PROM_RULES (a rule file, optional) loaded,
#                       and start Prometheus in namespace NS with its web API
#                       on LISTEN (host:port, an address of NS) and its
#                       storage in a temporary directory $PROM_DIR; returns
#                       once the API answers (at most PROM_TIMEOUT seconds,
#                       default 20), non-zero when it does not
#   prom_wait_scrape [TIMEOUT]
#                       wait (at most TIMEOUT seconds, default PROM_TIMEOUT)
#                       until Prometheus has scraped the target at least
#                       once; print up's value (1: the scrape worked, 0: it
#                       failed); non-zero when there was no scrape or it
#                       failed
#   prom_query EXPR     print the value of the first sample EXPR gives now
#                       (nothing when it gives none); non-zero when the API
#                       cannot be asked
#   prom_wait EXPR VALUE [TIMEOUT]
#                       poll prom_query EXPR until it prints VALUE
#   prom_stop           stop Prometheus (SIGTERM, then SIGKILL after 10 s)
#                       and remove $PROM_DIR
# Its log is $PROM_DIR/prometheus.log until prom_stop.

PROM_TIMEOUT=${PROM_TIMEOUT:-20}
PROM_PID=""
PROM_DIR=""
PROM_NS=""
PROM_URL=""

prom_start() {
	local ns=$1 listen=$2 target=$3 interval=${4:-1s} rules="" i
	PROM_DIR=$(mktemp -d /tmp/oqprom.XXXXXX) || return 1
	PROM_NS=$ns
	PROM_URL="http://$listen"
	if [ -n "${PROM_RULES:-}" ]; then
		cp "$PROM_RULES" "$PROM_DIR/rules.yml" || return 1
		rules=$'rule_files:\n  - '"$PROM_DIR/rules.yml"
	fi
	cat > "$PROM_DIR/prometheus.yml" <<-EOF
	global:
	  scrape_interval: $interval
	  scrape_timeout: $interval
	  evaluation_interval: $interval
	$rules
	scrape_configs:
	  - job_name: oqlink
	    metrics_path: /metrics
	    static_configs:
	      - targets: ['$target']
	EOF
	ip netns exec "$ns" prometheus --config.file="$PROM_DIR/prometheus.yml" \
		--storage.tsdb.path="$PROM_DIR/data" --web.listen-address="$listen" \
		--log.level=warn > "$PROM_DIR/prometheus.log" 2>&1 &
	PROM_PID=$!
	for ((i = 0; i < PROM_TIMEOUT * 5; i++)); do
		kill -0 "$PROM_PID" 2>/dev/null || { PROM_PID=""; return 1; }
		prom_curl "$PROM_URL/-/ready" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# curl from the namespace of Prometheus: URL [curl arguments].
prom_curl() {
	local url=$1; shift
	ip netns exec "$PROM_NS" curl -fsS --max-time 3 "$@" "$url"
}

prom_query() {
	local out
	out=$(prom_curl "$PROM_URL/api/v1/query" --get --data-urlencode "query=$1") || return 1
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if d.get("status") != "success":
    sys.exit(1)
r = d["data"]["result"]
if d["data"]["resultType"] == "scalar":
    print(r[1])
elif r:
    print(r[0]["value"][1])
'
}

prom_wait() {
	local expr=$1 want=$2 timeout=${3:-$PROM_TIMEOUT} i v
	for ((i = 0; i < timeout * 5; i++)); do
		v=$(prom_query "$expr" 2>/dev/null)
		[ "$v" = "$want" ] && return 0
		sleep 0.2
	done
	echo "prom_wait: $expr is '$v', not '$want' after ${timeout}s" >&2
	return 1
}

prom_wait_scrape() {
	local timeout=${1:-$PROM_TIMEOUT} i v
	for ((i = 0; i < timeout * 5; i++)); do
		v=$(prom_query 'up{job="oqlink"}' 2>/dev/null)
		if [ -n "$v" ]; then
			echo "$v"
			[ "$v" = 1 ]
			return
		fi
		sleep 0.2
	done
	return 1
}

prom_stop() {
	local i
	if [ -n "$PROM_PID" ]; then
		kill "$PROM_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$PROM_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$PROM_PID" 2>/dev/null && kill -KILL "$PROM_PID" 2>/dev/null
		wait "$PROM_PID" 2>/dev/null
		PROM_PID=""
	fi
	[ -n "$PROM_DIR" ] && rm -rf "$PROM_DIR"
	PROM_DIR=""
}
