#!/bin/bash
# The probe table: for each lab fault, the verdict every probe named must
# give; the healthy lab gives PASS everywhere. Runs the real binary as the
# appliance against a lab of its own (prefix and output directory of this
# run), with the appliance configured by oqlink apply (tests/lab/lib/apply.sh).
#
# An expectation is "id=VERDICT" or "id=V1|V2"; "id=SKIP:dep" also checks
# the SKIP reason. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
case "$OQLINK" in /*) ;; *) OQLINK=$PWD/$OQLINK ;; esac
export OQLINK

N_TESTS=32
. tests/lib/tap.sh
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x lab/lab ] || skip_all "no lab/lab"
[ -x "$OQLINK" ] || skip_all "no $OQLINK"

export OQL_LAB=oqt$(( $$ % 10000 ))
export OQL_LAB_OUT
OQL_LAB_OUT=$(mktemp -d /tmp/oqlink-probes.XXXXXX)
cleanup() { lab/lab down >/dev/null 2>&1; rm -rf "$OQL_LAB_OUT"; }
trap cleanup EXIT

echo "1..$N_TESTS"

if ! lab/lab up --mode ipsec >"$OQL_LAB_OUT.up.log" 2>&1; then
	sed 's/^/# /' "$OQL_LAB_OUT.up.log"
	while [ $n -lt $N_TESTS ]; do not_ok "lab up failed"; done
	exit 1
fi
rm -f "$OQL_LAB_OUT.up.log"
CONF=$OQL_LAB_OUT/site.conf
ap() { ip netns exec "$OQL_LAB-appliance" "$@"; }

# Before apply the WAN address is not on the interface: the gateway says
# so and points to apply, rather than blaming a router that ignores ping.
pre=$(ap "$OQLINK" --lang en --config "$CONF" probe --json gateway 2>/dev/null | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin)["results"] if r["id"] == "gateway"][0]
print(r["verdict"], r["summary"]["en"], "|", r["remedy"]["en"])')
if [[ "$pre" == FAIL*"not applied"*"|"*"oqlink apply"* ]]; then ok "before apply: gateway says not applied"
else not_ok "before apply: gateway says not applied: $pre"; fi
tests/lab/lib/apply.sh

# The verdicts of a run as "id=VERDICT[:reason]" words.
verdicts() {
	local conf=$1; shift
	ap "$OQLINK" --config "$conf" probe --json "$@" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%s%s" % (r["id"], r["verdict"], ":" + r["skip_reason"] if r.get("skip_reason") else "")
               for r in d["results"]), "duration=%d" % d["duration_ms"])'
}

# check NAME "GOT" EXPECTATIONS...
check() {
	local name=$1 got=$2 bad="" e id want v
	shift 2
	for e in "$@"; do
		id=${e%%=*}
		want=${e#*=}
		v=$(tr ' ' '\n' <<<"$got" | sed -n "s/^$id=//p")
		if [[ "$want" == *:* ]]; then
			[ "$v" = "$want" ] || bad+=" $id=$v (want $want)"
		else
			[[ "|$want|" == *"|${v%%:*}|"* ]] || bad+=" $id=${v:-missing} (want $want)"
		fi
	done
	if [ -z "$bad" ]; then ok "$name"; else not_ok "$name:$bad"; echo "#   got: $got"; fi
}

# Re-establish the tunnel from scratch, so an IKE-level fault takes effect.
retunnel() {
	ap "$OQLINK" --config "$CONF" ipsec down --quiet >/dev/null 2>&1
	ap swanctl --flush-certs --uri "unix://$OQL_LAB_OUT/appliance/charon.vici" >/dev/null 2>&1
	ap "$OQLINK" --config "$CONF" ipsec up --quiet --timeout "${1:-10}" >/dev/null 2>&1
}

# fault NAME VALUE [retunnel] -- EXPECTATIONS...
fault_case() {
	local name=$1 val=$2 re=$3 got
	shift 4
	lab/lab fault "$name" "$val" >/dev/null 2>&1 || { not_ok "fault $name: lab fault failed"; return; }
	[ "$re" = retunnel ] && retunnel 6
	got=$(verdicts "$CONF")
	lab/lab fault "$name" off >/dev/null 2>&1
	[ "$re" = retunnel ] && retunnel 10
	check "fault $name" "$got" "$@"
}

ALL="link address gateway cert clock ike child dns reach pmtu tcp tls proxy capture"
healthy=()
for id in $ALL; do healthy+=("$id=PASS"); done
got=$(verdicts "$CONF")
check "healthy lab: every probe PASS" "$got" "${healthy[@]}"
dur=$(sed -n 's/.*duration=\([0-9]*\).*/\1/p' <<<"$got")
if [ "${dur:-99999}" -lt 4000 ]; then ok "healthy run took $dur ms"; else not_ok "healthy run took $dur ms"; fi
got=$(verdicts "$CONF" tls)
check "probe tls runs only what tls needs" "$got" tls=PASS dns=PASS child=PASS ike=PASS
[[ "$got" != *reach=* && "$got" != *capture=* ]] && ok "selection leaves the rest out" ||
	not_ok "selection leaves the rest out: $got"

fault_case gateway-down on retunnel -- link=PASS gateway=PASS ike=FAIL child=SKIP:ike \
	dns=SKIP:child reach=SKIP:child tls=SKIP:dns tcp=SKIP:dns cert=PASS
fault_case block-ike on retunnel -- gateway=PASS ike=FAIL child=SKIP:ike reach=SKIP:child
fault_case block-natt on retunnel -- gateway=PASS ike=FAIL child=SKIP:ike
fault_case proposal-mismatch on retunnel -- ike=FAIL child=SKIP:ike cert=PASS
fault_case wrong-remote-id on retunnel -- ike=FAIL child=SKIP:ike
fault_case expired-gw-cert on retunnel -- ike=FAIL child=SKIP:ike cert=PASS
fault_case drop-esp on noretunnel -- ike=PASS child=PASS reach=FAIL capture=FAIL pmtu=SKIP:reach
fault_case mtu-blackhole on noretunnel -- reach=PASS pmtu=FAIL child=PASS
fault_case loss 40 noretunnel -- reach=FAIL child=PASS
fault_case dns-down on noretunnel -- dns=FAIL tls=SKIP:dns tcp=SKIP:dns proxy=SKIP:dns reach=PASS
fault_case tls-down on noretunnel -- dns=PASS tcp=FAIL tls=FAIL reach=PASS
fault_case clock-skew 3600 noretunnel -- clock=FAIL cert=PASS ike=PASS

# The pmtu probe names the size found under the black hole.
lab/lab fault mtu-blackhole on >/dev/null
pmj=$(ap "$OQLINK" --config "$CONF" probe --json pmtu 2>/dev/null)
pm=$(python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    if r["id"] == "pmtu":
        print(int([v["value"] for v in r["values"] if v["key"] == "pmtu"][0]))' <<<"$pmj")
lab/lab fault mtu-blackhole off >/dev/null
if [ "${pm:-0}" -gt 1100 ] && [ "${pm:-0}" -lt 1280 ]; then ok "pmtu finds $pm bytes under a 1280 path"
else
	not_ok "pmtu finds ${pm:-nothing} under a 1280 path"
	sed 's/^/#   /' <<<"$pmj"
	ap ip route get 203.0.113.1 | sed 's/^/#   /'
fi

# Certificate files: the terminal's PKCS#12 and the IKE certificate.
cert_case() {
	local name=$1 key=$2 file=$3 conf=$OQL_LAB_OUT/site-$1.conf
	shift 3
	sed "s|^$key = .*|$key = $file|" "$CONF" > "$conf"
	check "certificate $name" "$(verdicts "$conf" cert tls)" "$@"
}
B=$OQL_LAB_OUT/broken
cert_case terminal-expired client_p12 "$B/terminal-expired.p12" cert=FAIL tls=FAIL
cert_case terminal-expiring client_p12 "$B/terminal-expiring.p12" cert=WARN tls=PASS
cert_case terminal-notyet client_p12 "$B/terminal-notyet.p12" cert=FAIL tls=FAIL
# No config key names the terminal certificate's CA: one the file brings
# along but the config does not name is a WARN; the server refuses it.
cert_case terminal-otherca client_p12 "$B/terminal-otherca.p12" cert=WARN tls=FAIL
cert_case ike-expired certificate "$B/ike-expired.crt" cert=FAIL
cert_case ike-expiring certificate "$B/ike-expiring.crt" cert=WARN
cert_case ike-otherca certificate "$B/ike-otherca.crt" cert=FAIL
cert_case ike-mismatch private_key "$B/ike-mismatch.key" cert=FAIL

# The capture is a pcap that tshark opens, with the SHA-256 the evidence says.
ev=$(ap "$OQLINK" --config "$CONF" probe --json capture reach 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    if r["id"] == "capture":
        v = {x["key"]: x.get("text") for x in r["values"]}
        print(v["pcap"], v["sha256"])')
pcap=${ev%% *}; sha=${ev##* }
if [ -n "$pcap" ] && [ "$(sha256sum < "$pcap" | cut -d' ' -f1)" = "$sha" ] &&
   { ! command -v tshark >/dev/null || tshark -r "$pcap" >/dev/null 2>&1; }; then
	ok "capture saved $(basename "$pcap") with its SHA-256"
else
	not_ok "capture file '$pcap' missing, unreadable or wrong SHA-256"
fi
# IP-VPN: no tunnel; the line-authentication page decides.
lab/lab down >/dev/null 2>&1
if lab/lab up --mode ipvpn >/dev/null 2>&1 && tests/lab/lib/apply.sh; then
	vpn=()
	for id in link address gateway clock dns reach pmtu tcp tls cert proxy lineauth capture; do
		vpn+=("$id=PASS")	# client_ca names the terminal certificate's CA
	done
	got=$(verdicts "$CONF")
	check "ipvpn healthy lab" "$got" "${vpn[@]}"
	[[ "$got" != *ike=* && "$got" != *child=* ]] && ok "ipvpn: no ike or child probe" ||
		not_ok "ipvpn: no ike or child probe: $got"
	fault_case lineauth-unregistered on noretunnel -- lineauth=FAIL dns=PASS reach=PASS
else
	for i in 1 2 3; do not_ok "lab up --mode ipvpn failed"; done
fi

# Pre-shared key authentication.
lab/lab down >/dev/null 2>&1
if lab/lab up --mode ipsec --auth psk >/dev/null 2>&1 && tests/lab/lib/apply.sh; then
	psk=()
	for id in $ALL; do
		psk+=("$id=PASS")
	done
	check "psk healthy lab" "$(verdicts "$CONF")" "${psk[@]}"
	fault_case wrong-psk on retunnel -- ike=FAIL child=SKIP:ike reach=SKIP:child
	# The capture (PROBE_SANDBOX) runs as nobody while the run lasts; the
	# ps poll is bounded by the run itself and 15 s.
	sandboxed() {
		local pid seen=no end=$((SECONDS + 15)) nobody
		nobody=$(id -u nobody)
		ap "$OQLINK" --config "$CONF" probe capture link tcp >/dev/null 2>&1 &
		pid=$!
		while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do
			# any process below $pid (ap runs oqlink through a subshell)
			if ps -e -o pid=,ppid=,uid= | awk -v top="$pid" -v u="$nobody" '
				{ parent[$1] = $2; uid[$1] = $3 }
				END { for (p in uid) { if (uid[p] != u) continue
					for (q = parent[p]; q > 1; q = parent[q]) if (q == top) exit 0 }
					exit 1 }'; then seen=yes; break; fi
			sleep 0.05
		done
		wait "$pid"
		[ $seen = yes ]
	}
	if sandboxed; then ok "the capture probe's process runs as nobody"; else
		not_ok "the capture probe's process runs as nobody"; fi
else
	for i in 1 2 3; do not_ok "lab up --auth psk failed"; done
fi
while [ $n -lt $N_TESTS ]; do not_ok "test count mismatch"; done
