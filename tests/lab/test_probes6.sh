#!/bin/bash
# The probes over IPv6 against the lab's IPv6 IPoE line (lab/lab up --mode
# ipvpn6), in both variants: the line's /64 by RA and a /56 by DHCPv6-PD.
# The appliance is configured by oqlink apply; every probe gives PASS on the
# healthy line, address6 names the prefix and how it came. Then the lab's
# IPv6 fault knobs, each with the verdict it must give:
#   no-edns           dns FAIL (large answers come back neither way)
#   ra-lost           gateway6 FAIL (router lifetime 0)
#   icmpv6-blackhole  pmtu FAIL (no Packet Too Big), reach still PASS
#   prefix-change     lineauth WARN naming the old and the new prefix, on
#                     both variants (on pd, the terminal segment takes a
#                     /64 of the new delegation first)
# TAP; needs root; runs its own lab.
set -u
cd "$(dirname "$0")/../.." || exit 1
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
case "$OQLINK" in /*) ;; *) OQLINK=$PWD/$OQLINK ;; esac
export OQLINK

N=18
. tests/lib/tap.sh
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x lab/lab ] || skip_all "no lab/lab"
grep -q 'ipvpn6' lab/lab || skip_all "lab/lab has no --mode ipvpn6"
[ -x "$OQLINK" ] || skip_all "no $OQLINK"

export OQL_LAB=oq6p$(( $$ % 1000 ))
T=$(mktemp -d /tmp/oqlink-probes6.XXXXXX)
export OQL_LAB_OUT=$T/out	# lab/lab down takes it away
cleanup() { lab/lab down >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT

echo "1..$N"
on() { local node=$1; shift; ip netns exec "$OQL_LAB-$node" "$@"; }

wan_has() { on appliance ip -6 -o addr show dev wan0 scope global -tentative | grep -q " $1"; }
term_has() { on appliance ip -6 -o addr show dev term0 scope global -tentative | grep -q " $1"; }
dad_done() { [ -z "$(on appliance ip -6 -o addr show tentative)" ]; }
default6() { on appliance ip -6 route show default | grep -q 'via fe80::1'; }
no_default6() { ! default6; }

# "id=VERDICT ..." of a run, then one line per result not PASS with its
# summary, for the log.
RUN=$T/run.json
probe() {
	on appliance "$OQLINK" --lang en --config "$OQL_LAB_OUT/site.conf" probe --json "$@" \
		>"$RUN" 2>/dev/null
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join("%s=%s%s" % (r["id"], r["verdict"], ":" + r["skip_reason"] if r.get("skip_reason") else "")
               for r in d["results"]))' "$RUN"
}
# The English summary of one probe of the last run.
summary() {
	python3 -c '
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == sys.argv[2]][0]
print(r["summary"]["en"])' "$RUN" "$1"
}
# The evidence of probe $1 of the last run has a line matching $2.
evidence_has() {
	python3 -c '
import fnmatch, json, sys
r = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] == sys.argv[2]][0]
sys.exit(0 if any(fnmatch.fnmatchcase(e, sys.argv[3]) for e in r.get("evidence", [])) else 1)' \
		"$RUN" "$1" "$2"
}
show() { echo "#   got: $1"; tr ' ' '\n' <<<"$1" | grep -v '=PASS$' | sed 's/^/#   /'; }

# check NAME "GOT" id=VERDICT...
check() {
	local name=$1 got=$2 bad="" e v
	shift 2
	for e in "$@"; do
		v=$(tr ' ' '\n' <<<"$got" | sed -n "s/^${e%%=*}=//p")
		[ "$v" = "${e#*=}" ] || bad+=" ${e%%=*}=${v:-missing} (want ${e#*=})"
	done
	if [ -z "$bad" ]; then ok "$name"; else not_ok "$name:$bad"; show "$got"; fi
}
# Every result PASS.
all_pass() {
	local name=$1 got=$2
	if [ -n "$got" ] && ! tr ' ' '\n' <<<"$got" | grep -qv '=PASS$'; then ok "$name"
	else not_ok "$name"; show "$got"; fi
}
# The summary of probe $2 matches the pattern $3.
says() {
	local name=$1 s
	s=$(summary "$2")
	if [[ "$s" == $3 ]]; then ok "$name"; else not_ok "$name"; echo "#   $2: $s"; fi
}

# Bring the lab up in variant $1 and configure the appliance.
up() {
	lab/lab down >/dev/null 2>&1
	if ! lab/lab up --mode ipvpn6 --ipv6 "$1" >"$T/up.log" 2>&1; then
		sed 's/^/# /' "$T/up.log"
		return 1
	fi
	wait_for 20 wan_has 2001:db8:100:1: && wait_for 10 dad_done && tests/lab/lib/apply.sh
}

# ---- DHCPv6-PD: a /56 delegated, a /64 of it on the terminal segment
if up pd; then
	got=$(probe)
	all_pass "pd: every probe PASS over the IPv6 line" "$got"
	says "pd: address6 names the delegated prefix" address6 "line prefix 2001:db8:2000:*/56 (by DHCPv6-PD)"
	# a new delegation from a new /48: dhcpcd takes it at its next
	# renewal, which the lab's kea asks for every few seconds
	lab/lab fault prefix-change on >/dev/null
	if wait_for 20 term_has 2001:db8:3000:1: && wait_for 10 dad_done; then
		ok "pd, prefix-change: the terminal segment gets a /64 of the new /56"
	else
		not_ok "pd, prefix-change: the terminal segment gets a /64 of the new /56"
		on appliance ip -6 -o addr show dev term0 | sed 's/^/#   /'
	fi
	got=$(probe address6 lineauth)
	check "pd, prefix-change: address6 PASS, lineauth WARN" "$got" address6=PASS lineauth=WARN
	says "pd, prefix-change: lineauth names the old and the new delegation" lineauth \
		"the line prefix changed from 2001:db8:2000::/56 to 2001:db8:3000::/56: do line authentication again"
	lab/lab fault prefix-change off >/dev/null
else
	not_ok "pd: lab up and apply"; not_ok "pd: address6 (no lab)"
	not_ok "pd, prefix-change (no lab)"; not_ok "pd, prefix-change (no lab)"
	not_ok "pd, prefix-change (no lab)"
fi

# ---- RA only: the line's /64, by ND proxy on the terminal segment
if ! up ra; then
	while [ $n -lt $N ]; do not_ok "ra: lab up and apply failed"; done
	exit 1
fi
got=$(probe)
all_pass "ra: every probe PASS over the IPv6 line" "$got"
says "ra: address6 names the line's /64 from RA" address6 "line prefix 2001:db8:100:1::/64 (by RA)"
says "ra: dns says which answers needed EDNS" dns "*answers needed EDNS)"
if evidence_has tcp "hweb.oqs-st.onshikaku.org:443 (2001:db8:c0::*): connected in *"; then
	ok "ra: tcp connects to the names' AAAA addresses on an IPv6 line"
else not_ok "ra: tcp connects to the names' AAAA addresses on an IPv6 line"; fi
if evidence_has tls "hweb hweb.oqs-st.onshikaku.org:443 (2001:db8:c0::*): TLS*"; then
	ok "ra: mutual TLS over IPv6"
else not_ok "ra: mutual TLS over IPv6"; fi

lab/lab fault no-edns on >/dev/null
got=$(probe dns tcp lineauth)
check "no-edns: dns FAIL, dependants SKIP" "$got" dns=FAIL tcp=SKIP:dns lineauth=SKIP:dns
says "no-edns: dns says the large answers come back neither way" dns \
	"*answers are larger than 512 bytes and come back neither over EDNS nor TCP*"
lab/lab fault no-edns off >/dev/null

lab/lab fault ra-lost on >/dev/null
wait_for 15 no_default6
got=$(probe gateway6)
check "ra-lost: gateway6 FAIL" "$got" gateway6=FAIL
says "ra-lost: gateway6 says router lifetime 0" gateway6 "*advertises router lifetime 0"
lab/lab fault ra-lost off >/dev/null
wait_for 15 default6

lab/lab fault icmpv6-blackhole on >/dev/null
got=$(probe reach pmtu)
check "icmpv6-blackhole: pmtu FAIL, reach PASS" "$got" pmtu=FAIL reach=PASS
says "icmpv6-blackhole: pmtu says no Packet Too Big" pmtu "*with no Packet Too Big: set MTU 1280 and MSS 1220"
lab/lab fault icmpv6-blackhole off >/dev/null

lab/lab fault prefix-change on >/dev/null
wait_for 20 wan_has 2001:db8:100:2:
wait_for 10 dad_done
got=$(probe address6 lineauth)
check "prefix-change: address6 PASS, lineauth WARN" "$got" address6=PASS lineauth=WARN
says "prefix-change: lineauth names the old and the new prefix" lineauth \
	"the line prefix changed from 2001:db8:100:1::/64 to 2001:db8:100:2::/64: do line authentication again"
lab/lab fault prefix-change off >/dev/null
