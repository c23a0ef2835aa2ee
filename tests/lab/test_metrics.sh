#!/bin/bash
# A real Prometheus scrapes the appliance's metrics across the clinic LAN:
# metrics_start serving the fixed snapshot of tests/unit/test_metrics.c
# (test_metrics --serve) on the appliance's LAN address, Debian's
# prometheus on the reception PC (tests/lab/lib/prometheus.sh) with the
# alert rules loaded. TAP. Needs root; runs its own lab and takes it down.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
LAB=$ROOT/lab/lab
SERVE=$ROOT/build/asan/tests/test_metrics
APPL=192.168.10.1
PC=192.168.10.20

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP the lab needs root"
	exit 0
fi
echo "1..14"
if ! command -v prometheus >/dev/null || [ ! -x "$SERVE" ]; then
	for i in $(seq 14); do echo "not ok $i - prometheus (Debian) and $SERVE (make unit-bins) are needed"; done
	exit 1
fi

. tests/lab/lib/prometheus.sh

T=$(mktemp -d /tmp/oqlm.XXXXXX)
export OQL_LAB=oqm$$
export OQL_LAB_OUT=$T/out
. tests/lib/tap.sh
SP=""

nok() { n=$((n+1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'; return 0; }
check() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then ok "$what"; else nok "$what" "$out"; fi
}
on() { local node=$1; shift; ip netns exec "$OQL_LAB-$node" "$@"; }
# The value of EXPR, compared as a number with want.
value_is() {
	local v
	v=$(prom_query "$1") || return 1
	python3 -c "import sys; sys.exit(0 if abs(float('$v') - float('$2')) < 1e-9 else 1)" 2>/dev/null ||
		{ echo "$1 = '$v', want $2"; return 1; }
}
# Wait until the server has printed its port (at most 10 s).
serve_port() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$T/serve.out" 2>/dev/null)
		[ -n "$p" ] && { echo "$p"; return 0; }
		kill -0 "$SP" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
# Wait for the server to end after SIGTERM; its exit status.
serve_wait() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$SP" 2>/dev/null || { wait "$SP"; return; }
		sleep 0.2
	done
	return 1
}

cleanup() {
	prom_stop
	[ -n "$SP" ] && kill "$SP" 2>/dev/null && wait "$SP" 2>/dev/null
	"$LAB" down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

if ! "$LAB" up --mode ipvpn > "$T/up.log" 2>&1; then
	nok "the lab comes up" "$(tail -5 "$T/up.log")"
	for ((i = n + 1; i <= 14; i++)); do echo "not ok $i - the lab is not up"; done
	exit 1
fi
ok "the lab comes up"

# The appliance's LAN address, as oqlink's apply gives it.
on appliance ip addr add $APPL/24 dev lan0

ip netns exec "$OQL_LAB-appliance" "$SERVE" --serve $APPL 0 > "$T/serve.out" 2> "$T/serve.err" &
SP=$!
if port=$(serve_port); then ok "metrics_start listens on the LAN address (port $port)"; else
	nok "metrics_start listens on the LAN address" "$(cat "$T/serve.err")"; port=1
fi

check "GET /metrics from the reception PC is 200 text/plain; version=0.0.4" bash -c "
	ip netns exec $OQL_LAB-clinic curl -sS --max-time 5 -o $T/m.txt -w '%{http_code} %{content_type}' http://$APPL:$port/metrics |
		grep -qx '200 text/plain; version=0.0.4; charset=utf-8' && grep -qx 'oqlink_up 1' $T/m.txt"
check "other paths are 404" bash -c "
	[ \$(ip netns exec $OQL_LAB-clinic curl -s --max-time 5 -o /dev/null -w '%{http_code}' http://$APPL:$port/) = 404 ]"
check "nothing listens on the appliance's loopback" bash -c "
	! ip netns exec $OQL_LAB-appliance curl -s --max-time 2 -o /dev/null http://127.0.0.1:$port/metrics"

PROM_RULES=monitor/oqlink-alerts.yml
if prom_start "$OQL_LAB-clinic" "$PC:9090" "$APPL:$port" 1s; then ok "prometheus starts on the reception PC ($PC:9090)"; else
	nok "prometheus starts on the reception PC" "$(tail -5 "$PROM_DIR/prometheus.log")"
fi
check "prometheus scraped the appliance (up 1)" prom_wait_scrape 30
check "ipsec_child_sa_bytes_in is the snapshot's" value_is 'ipsec_child_sa_bytes_in{job="oqlink",name="oqlink",remote_ts="192.0.2.0/24, 198.18.0.0/16"}' 1000
check "ipsec_ike_sa_state is established (2)" value_is 'ipsec_ike_sa_state{job="oqlink",remote_id="CN=vpngw.carrier.example"}' 2
check "x509_cert_not_after carries subject_CN and serial_number" value_is 'x509_cert_not_after{subject_CN="clinic-1312345678.example",serial_number="6699",filename="clinic.p12"}' 1800000000
check "the tls probe's verdict is FAIL (3), reach's RTT 12.5 ms" \
	eval "value_is 'oqlink_probe_verdict{probe=\"tls\"}' 3 && value_is oqlink_reach_rtt_seconds 0.0125"
check "the alert rules load and the failing probe is pending" \
	prom_wait 'count(ALERTS{alertname="OqlinkProbeFailing",alertstate="pending",probe="tls"})' 1 30

# Stop the server: the next scrapes fail and up becomes 0.
kill -TERM "$SP"
if serve_wait; then ok "the server stops when told"; else nok "the server stops when told" "$(cat "$T/serve.err")"; fi
SP=""
check "prometheus sees the appliance down (up 0)" prom_wait 'up{job="oqlink"}' 0 30
prom_stop
