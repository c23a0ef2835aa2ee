#!/bin/bash
# Benchmark: the full probe run against a sequential shell baseline doing
# the same checks with the standard tools (ip, ping, dig, swanctl,
# tracepath, bash /dev/tcp, openssl pkcs12/x509/verify/s_client, curl,
# tcpdump), in one run on the same lab. Prints both times and the ratio
# baseline / oqlink (above 1: oqlink is faster). Goals: the probe run under
# 2 s, at least 3 times faster than the baseline. The clock check has no
# quick standard tool (chronyd -Q waits for several samples) and is left
# out of the baseline, which favours the baseline.
#
# Also the run's wall time against its longest probe (the capture aside,
# which runs for the whole run by design): the probes run as a dependency
# graph in parallel, so a run should cost its longest probe and little
# more. Goal: at most 1.1 times; reach and pmtu, which run one after the
# other on purpose (see probes/registry.c), count as one probe here.
set -u
cd "$(dirname "$0")/.."
OQLINK=${OQLINK:-$PWD/oqlink}
case "$OQLINK" in /*) ;; *) OQLINK=$PWD/$OQLINK ;; esac
export OQLINK
ROUNDS=${ROUNDS:-3}
if [ "$(id -u)" != 0 ] || [ ! -x lab/lab ] || [ ! -x "$OQLINK" ]; then
	echo "skipped: needs root, lab/lab and $OQLINK"
	exit 0
fi
export OQL_LAB=oqa$(( $$ % 10000 ))
export OQL_LAB_OUT
OQL_LAB_OUT=$(mktemp -d /tmp/oqlink-autotest.XXXXXX)
trap 'lab/lab down >/dev/null 2>&1; rm -rf "$OQL_LAB_OUT"' EXIT
lab/lab up --mode ipsec >/dev/null 2>&1 || { echo "lab up failed"; exit 1; }
tests/lab/lib/apply.sh || { echo "oqlink apply failed"; exit 1; }
D=$OQL_LAB_OUT
ap() { ip netns exec "$OQL_LAB-appliance" "$@"; }
. bench/lib.sh

SRC=192.168.20.1
NAMES="www.lineauth.mnw hweb.oqs-st.onshikaku.org pweb.base.oqs-pdl.org ntp.base.oqs-pdl.org crldownload.obn.managedpki.ne.jp assv.asc.flets-east.jp"

# The same checks, one after the other, as a careful engineer would type them.
baseline() {
	local pw t n ip
	ap tcpdump -i wan0 -w "$D/base.pcap" -U 'udp port 500 or udp port 4500 or ip proto 50 or icmp' \
		>/dev/null 2>&1 &
	t=$!
	sleep 0.2	# let tcpdump open the interface
	for i in wan0 lan0 term0; do ap ip -br link show "$i"; done
	ap ip -br addr show
	ap ping -c 3 -i 0.02 -W 1 198.51.100.1
	ap swanctl --list-sas --uri "unix://$D/appliance/charon.vici"
	for n in $NAMES; do ap dig +tries=1 +time=2 -b "$SRC" @192.0.2.53 "$n" A; done
	for ip in 192.0.2.53 192.0.2.10; do ap ping -c 20 -i 0.05 -W 1 -I "$SRC" "$ip"; done
	ap tracepath -n -m 4 192.0.2.53
	for n in hweb.oqs-st.onshikaku.org pweb.base.oqs-pdl.org; do
		ip=$(ap dig +short -b "$SRC" @192.0.2.53 "$n" A | head -1)
		ap timeout 3 bash -c "exec 3<>/dev/tcp/$ip/443"
	done
	pw=$(cat "$D/terminal.p12.pass")
	openssl pkcs12 -in "$D/terminal.p12" -passin "pass:$pw" -nodes -out "$D/term.pem"
	openssl x509 -in "$D/term.pem" -noout -checkend $((90 * 86400))
	openssl verify -CAfile "$D/ca.crt" "$D/term.pem"
	openssl x509 -in "$D/ike.crt" -noout -checkend $((90 * 86400))
	openssl verify -CAfile "$D/ca.crt" "$D/ike.crt"
	echo "GET / HTTP/1.0" | ap timeout 5 openssl s_client -connect 192.0.2.10:443 \
		-servername hweb.oqs-st.onshikaku.org -verify_hostname hweb.oqs-st.onshikaku.org \
		-CAfile "$D/central-ca.crt" -cert "$D/term.pem" -key "$D/term.pem" -quiet
	ap curl -s -o /dev/null --max-time 5 --interface "$SRC" -p -x http://192.0.2.80:8080 \
		--resolve hweb.oqs-st.onshikaku.org:443:192.0.2.10 --cacert "$D/central-ca.crt" \
		--cert "$D/term.pem" https://hweb.oqs-st.onshikaku.org/
	kill "$t"; wait "$t"
	rm -f "$D/term.pem"
}

: > "$D/t.oq"; : > "$D/t.base"; : > "$D/t.longest"
for i in $(seq "$ROUNDS"); do
	t0=$(ms)
	ap "$OQLINK" --config "$D/site.conf" probe --json --out "$D/state/run" >"$D/run.json" 2>/dev/null
	echo $(( $(ms) - t0 )) >> "$D/t.oq"
	python3 -c 'import json, sys
r = {p["id"]: p["duration_ms"] for p in json.load(open(sys.argv[1]))["results"] if p["id"] != "capture"}
if "reach" in r and "pmtu" in r:
	r["reach+pmtu"] = r.pop("reach") + r.pop("pmtu")
p = max(r, key=r.get)
print(r[p], p)' "$D/run.json" >> "$D/t.longest"
	t0=$(ms)
	baseline >/dev/null 2>&1
	echo $(( $(ms) - t0 )) >> "$D/t.base"
done
a=$(median < "$D/t.oq"); b=$(median < "$D/t.base")
printf 'full probe run        oqlink %5d ms  baseline %5d ms  ratio %s (baseline/oqlink; goal >= 3, oqlink < 2000 ms)\n' \
	"$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / (a ? a : 1) }')"
# the round with the median wall time, against its own longest probe
paste "$D/t.oq" "$D/t.longest" | sort -n | awk -v m="$(( (ROUNDS + 1) / 2 ))" 'NR == m {
	printf "critical path         run %5d ms  longest probe %5d ms (%s)  ratio %.2f (run/longest; goal <= 1.10)\n",
		$1, $2, $3, $1 / ($2 ? $2 : 1) }'
