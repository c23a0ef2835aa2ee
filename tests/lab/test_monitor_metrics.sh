#!/bin/bash
# oqlink monitor serves its metrics and a real Prometheus scrapes them: the
# keeper runs in the lab's appliance with [monitor] metrics_listen on its
# LAN address, Debian's prometheus on the reception PC (clinic namespace,
# tests/lab/lib/prometheus.sh) scrapes it through oqlink's own firewall with
# the alert rules loaded. Checked in Prometheus: the tunnel's SAs, the
# certificates (the IKE certificate that expires in 20 days, the terminal's
# client certificate), the probes' verdicts; the tunnel cut and back; charon
# away (ipsec_up 0) and back; SIGHUP moving the server; a port that cannot
# be bound said once; SIGTERM closing the port; only the sources named by
# [monitor] metrics_allow (the reception PC) may scrape, another host on the
# LAN is dropped by the firewall. TAP; needs root.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
APPL=192.168.10.1	# the appliance's LAN (management) address
PC=192.168.10.20	# the reception PC, where Prometheus runs
PORT=9101
. tests/lib/tap.sh
OTHER=192.168.10.77	# another host on the LAN (a second address of the clinic namespace)
NT=22
echo "1..$NT"

if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	for _ in $(seq 1 $NT); do skip "needs root and network namespaces"; done
	exit 0
fi
if ! command -v prometheus >/dev/null; then
	for _ in $(seq 1 $NT); do echo "not ok $((++n)) - Debian's prometheus is needed (tools/deps)"; done
	exit 1
fi

. tests/lab/lib/prometheus.sh

export OQL_LAB=omm$$
. tests/lab/lib/keeper.sh
holder= charon_sup=
cleanup() {
	prom_stop
	[ -n "$charon_sup" ] && kill -CONT "$charon_sup" 2>/dev/null
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
	keeper_cleanup
}
trap cleanup EXIT

in_a() { ip netns exec "$A" "$@"; }
# The value of EXPR in Prometheus now, compared as a number with want.
value_is() {
	local v
	v=$(prom_query "$1") || return 1
	python3 -c "import sys; sys.exit(0 if abs(float('$v') - float('$2')) < 1e-6 else 1)" 2>/dev/null ||
		{ echo "# $1 = '$v', want $2"; return 1; }
}
# The end of validity of a PEM certificate (or of the one in a PKCS#12 with
# its password file), in Unix seconds.
not_after() {
	local end
	if [ $# -eq 2 ]; then
		end=$(openssl pkcs12 -in "$1" -passin "file:$2" -nokeys -clcerts 2>/dev/null |
			openssl x509 -noout -enddate)
	else
		end=$(openssl x509 -in "$1" -noout -enddate)
	fi
	date -d "${end#notAfter=}" +%s
}
# GET /metrics on the appliance's own address from the appliance; its body.
get_local() { in_a curl -fsS --max-time 3 "http://$APPL:$1/metrics" 2>/dev/null; }
# Results of probe $1 recorded in the last $2.
results() {
	ox --json history probes --probe "$1" --since "$2" 2>/dev/null | grep -c '"verdict"'
}

keeper_lab_up $NT
# The IKE certificate that expires in 20 days (same key as the lab's), and
# the metrics on the LAN address; applied as a field engineer does, so that
# oqlink's own firewall is the one Prometheus goes through.
sed -i "s|^certificate = .*|certificate = $OQL_LAB_OUT/broken/ike-expiring.crt|" "$CONF"
cat >> "$CONF" <<EOF

[monitor]
light_interval = 10
heavy_interval = 60
reinitiate_after = 5
metrics_listen = $APPL:$PORT
metrics_allow = $PC/32
EOF
desc="apply with metrics_listen brings the tunnel up"
t env OQLINK="$O" tests/lab/lib/apply.sh

keeper_start
desc="the monitor says it serves the metrics on $APPL port $PORT"
t wait_for 20 logged "serving the metrics on $APPL port $PORT at /metrics"

PROM_RULES=monitor/oqlink-alerts.yml
desc="prometheus starts on the reception PC with the alert rules"
t prom_start "$OQL_LAB-clinic" "$PC:9090" "$APPL:$PORT" 1s
desc="prometheus scrapes the monitor across the LAN (up 1)"
t eval 'prom_wait_scrape 30 >/dev/null'
# A scrape from src; curl's exit code (28: no answer in time, dropped).
scrape_from() {
	ip netns exec "$OQL_LAB-clinic" curl -fsS -o /dev/null --max-time 3 --interface "$1" \
		"http://$APPL:$PORT/metrics" 2>/dev/null
	echo $?
}
ip -n "$OQL_LAB-clinic" addr add "$OTHER/24" dev eth0
desc="metrics_allow: the reception PC ($PC) scrapes"
t [ "$(scrape_from "$PC")" = 0 ]
desc="metrics_allow: another host on the LAN ($OTHER) is dropped by the firewall"
t [ "$(scrape_from "$OTHER")" = 28 ]
ip -n "$OQL_LAB-clinic" addr del "$OTHER/24" dev eth0
desc="ipsec_up is 1"
t prom_wait 'ipsec_up{job="oqlink"}' 1 20
installed='count(ipsec_child_sa_state{job="oqlink",name="oqlink"} == 3) or vector(0)'
desc="an INSTALLED (3) CHILD SA of the connection oqlink"
t prom_wait "$installed" 1 30
desc="an ESTABLISHED (2) IKE SA"
t prom_wait 'ipsec_ike_sa_state{job="oqlink",name="oqlink"}' 2 20

want=$(not_after "$OQL_LAB_OUT/broken/ike-expiring.crt")
desc="x509_cert_not_after of the IKE certificate is its notAfter, 20 days ahead"
t eval 'prom_wait "x509_cert_not_after{filename=\"ike-expiring.crt\"}" "$want" 90 &&
	[ $(( (want - $(date +%s)) / 86400 )) -ge 19 ]'
want=$(not_after "$OQL_LAB_OUT/terminal.p12" "$OQL_LAB_OUT/terminal.p12.pass")
desc="x509_cert_not_after of the terminal's client certificate is its notAfter"
t value_is 'x509_cert_not_after{filename="terminal.p12"}' "$want"
desc="the alert rules load: the 20-day certificate fires OqlinkCertificateExpiresIn30Days"
t prom_wait 'count(ALERTS{alertname="OqlinkCertificateExpiresIn30Days",alertstate="firing",filename="ike-expiring.crt"})' 1 20
desc="oqlink_probe_verdict: reach and ike PASS (0), as the history says"
verdicts_pass() {
	value_is 'oqlink_probe_verdict{probe="reach"}' 0 && value_is 'oqlink_probe_verdict{probe="ike"}' 0 &&
		ox --json history probes --probe reach --since 5m | grep -q '"verdict": *"PASS"'
}
t wait_for 60 verdicts_pass

# ---------------------------------------------------------------- the tunnel cut
lab/lab fault block-ike on >/dev/null
desc="the tunnel cut at the ISP: no INSTALLED CHILD SA in Prometheus, OqlinkTunnelDown pending"
t eval 'prom_wait "$installed" 0 120 &&
	prom_wait "count(ALERTS{alertname=\"OqlinkTunnelDown\",alertstate=\"pending\"})" 1 20'
desc="and ike's verdict becomes FAIL (3), reach's no longer PASS"
t eval 'prom_wait "oqlink_probe_verdict{probe=\"ike\"}" 3 40 &&
	[ -n "$(prom_query "oqlink_probe_verdict{probe=\"reach\"} > 0")" ]'
lab/lab fault block-ike off >/dev/null
desc="the path back: an INSTALLED CHILD SA again and reach PASS"
t eval 'prom_wait "$installed" 1 90 && prom_wait "oqlink_probe_verdict{probe=\"reach\"}" 0 40'

# ---------------------------------------------------------------- charon away
# Its supervisor held, charon killed: it stays away until let go.
charon=$(cat "$OQL_LAB_OUT/run/child.charon-appliance")
charon_sup=$(ps -o ppid= -p "$charon" | tr -d ' ')
kill -STOP "$charon_sup"
kill -9 "$charon"
desc="charon away: ipsec_up 0 in Prometheus"
t prom_wait 'ipsec_up{job="oqlink"}' 0 30
kill -CONT "$charon_sup"
charon_sup=
desc="charon back: ipsec_up 1 and the CHILD SA installed again"
t eval 'prom_wait "ipsec_up{job=\"oqlink\"}" 1 30 && prom_wait "$installed" 1 60'

# ---------------------------------------------------------------- SIGHUP, a port taken, SIGTERM
sed -i "s|^metrics_listen = .*|metrics_listen = $APPL:$((PORT + 1))|" "$CONF"
kill -HUP "$(mon_pid)"
desc="SIGHUP with a new metrics_listen serves on the new port and not the old one"
t eval 'wait_for 20 get_local $((PORT + 1)) >/dev/null && ! get_local $PORT >/dev/null 2>&1'

in_a python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1)
time.sleep(3600)' "$APPL" $((PORT + 2)) &
holder=$!
listening() { [ -n "$(in_a ss -Htln "sport = :$1")" ]; }
wait_for 10 listening $((PORT + 2))
sed -i "s|^metrics_listen = .*|metrics_listen = $APPL:$((PORT + 2))|" "$CONF"
kill -HUP "$(mon_pid)"
desc="a port that cannot be bound is said, and the keeper goes on"
t wait_for 20 logged "cannot serve the metrics on $APPL port $((PORT + 2))"
desc="said once over two more light probe rounds (each tries again), the tunnel still kept"
hup_at=$SECONDS
two_rounds() { [ "$(results reach "$((SECONDS - hup_at))s")" -ge 2 ]; }
t eval 'wait_for 60 two_rounds &&
	[ "$(count "cannot serve the metrics")" -eq 1 ] &&
	ox --json ipsec status | grep -q "\"INSTALLED\""'
kill "$holder"; wait "$holder" 2>/dev/null; holder=

sed -i "s|^metrics_listen = .*|metrics_listen = $APPL:$PORT|" "$CONF"
kill -HUP "$(mon_pid)"
wait_for 20 get_local $PORT >/dev/null
p=$(cat "$SUP"); rm -f "$SUP"
kill "$p"
wait_for 10 bash -c "! kill -0 $p 2>/dev/null"
desc="SIGTERM: the keeper stops cleanly and the port is closed (prometheus sees up 0)"
t eval 'logged "the keeper stops" && ! logged "Sanitizer" && ! get_local $PORT >/dev/null 2>&1 && prom_wait "up{job=\"oqlink\"}" 0 20'

[ $failed -eq 0 ] || { echo "# monitor log:"; sed 's/^/# /' "$LOG" | tail -40; }
exit $failed
