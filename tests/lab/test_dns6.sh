#!/bin/bash
# The dns probe over IPv4 and IPv6 servers, A and AAAA, against a real
# dnsmasq in namespaces of this test's own: an answer larger than 512 bytes
# passes and says it needed EDNS; with large UDP dropped on the path it
# needs TCP; with TCP 53 dropped as well it fails and says why. The
# appliance side is configured by hand (addresses and routes), so only the
# probes speak: link, address, gateway and dns.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
n=0
t() { n=$((n+1)); if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; return 1; fi; }
skip() { n=$((n+1)); echo "ok $n # SKIP $1"; }

N=8
echo "1..$N"
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1 || ! command -v dnsmasq >/dev/null; then
	for _ in $(seq 1 $N); do skip "needs root, network namespaces and dnsmasq"; done
	exit 0
fi

P=oqd$$
tmp=$(mktemp -d); chmod 755 "$tmp"	# dnsmasq reads the hosts file as nobody
cleanup() {
	local p
	for p in app ngn; do
		ip netns pids "$P-$p" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$P-$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
in_ns() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }

# Wait until a command succeeds, at most $1 seconds, polling every 0.2 s.
wait_for() {
	local limit=$1; shift
	local end=$((SECONDS + limit))
	while [ $SECONDS -lt $end ]; do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

# app: the appliance (wan0 to the carrier, lan0 and term0 veths with their
# peers beside them);
# ngn: the CE router with the closed network's DNS server behind it.
for ns in app ngn; do ip netns add "$P-$ns"; in_ns "$ns" ip link set lo up; done
ip -n "$P-app" link add wan0 type veth peer name ce0 netns "$P-ngn"
ip -n "$P-app" link add lan0 type veth peer name lan0p
ip -n "$P-app" link add term0 type veth peer name term0p
for ns in app ngn; do
	in_ns $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
in_ns app ip addr add 198.51.100.2/24 dev wan0
in_ns app ip addr add 2001:db8:1::2/64 dev wan0 nodad
in_ns app ip addr add 192.168.10.1/24 dev lan0
in_ns app ip addr add 192.168.20.1/24 dev term0
in_ns app ip addr add 2001:db8:20::1/64 dev term0 nodad
for l in wan0 lan0 lan0p term0 term0p; do in_ns app ip link set $l up; done
in_ns app ip route add 192.0.2.0/24 via 198.51.100.1
in_ns app ip route add 2001:db8:53::/48 via 2001:db8:1::1
in_ns ngn ip addr add 198.51.100.1/24 dev ce0
in_ns ngn ip addr add 2001:db8:1::1/64 dev ce0 nodad
in_ns ngn ip link set ce0 up
in_ns ngn ip addr add 192.0.2.53/32 dev lo
in_ns ngn ip addr add 2001:db8:53::53/128 dev lo
in_ns ngn ip route add 192.168.20.0/24 via 198.51.100.2
in_ns ngn ip route add 2001:db8:20::/64 via 2001:db8:1::2

# Forty addresses of each family make pweb's answers about 700 and
# 1100 bytes: more than plain UDP carries, less than EDNS offers.
{
	echo "192.0.2.10 hweb.oqs-st.onshikaku.org"
	echo "2001:db8:53::10 hweb.oqs-st.onshikaku.org"
	for i in $(seq 1 40); do
		echo "192.0.2.$((100 + i)) pweb.base.oqs-pdl.org"
		echo "2001:db8:53::$((100 + i)) pweb.base.oqs-pdl.org"
	done
} > "$tmp/hosts"
in_ns ngn setsid dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
	--addn-hosts="$tmp/hosts" --bind-interfaces --listen-address=192.0.2.53 \
	--listen-address=2001:db8:53::53 --port=53 --pid-file="$tmp/dnsmasq.pid" \
	--log-facility="$tmp/dnsmasq.log" --log-queries >/dev/null 2>&1 &
# Neighbour discovery works once no address is tentative any more.
settled() { ! ip -n "$P-$1" -6 addr show | grep -q tentative; }
wait_for 10 settled app
wait_for 10 settled ngn
listening() { in_ns ngn ss -Hlun | grep -q '\[2001:db8:53::53\]:53'; }
wait_for 5 listening

cat > "$tmp/site.conf" <<CONF
[site]
facility_code = 1312345678
facility_name = test

[uplink]
type = ipvpn
interface = wan0
address = 198.51.100.2/24
address6 = none

[ipvpn]
ce_router = 198.51.100.1

[lan]
interface = lan0
address = 192.168.10.1/24

[terminal]
segment = separate
interface = term0
address = 192.168.20.1/24
host = 192.168.20.10

[central]
prefixes = 192.0.2.0/24, 2001:db8:53::/48
dns = 192.0.2.53, 2001:db8:53::53

[probe]
dns_names = hweb.oqs-st.onshikaku.org, pweb.base.oqs-pdl.org
timeout_ms = 5000

[paths]
state_dir = $tmp/state
run_dir = $tmp/run
report_dir = $tmp/reports
CONF

# The dns result of one run as "VERDICT|summary|remedy|evidence lines|values".
dns_run() {
	in_ns app "$O" --lang en --config "$tmp/site.conf" probe --json dns 2>"$tmp/err" |
		python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin)["results"] if r["id"] == "dns"][0]
v = {x["key"]: x["value"] for x in r.get("values", [])}
print(r["verdict"], r["summary"]["en"], "|", (r.get("remedy") or {}).get("en", ""), "|",
      " ; ".join(r.get("evidence", [])), "|", "edns=%d tcp=%d lost=%d" % (
      v.get("needed_edns", -1), v.get("needed_tcp", -1), v.get("large_lost", -1)))'
}
show() { echo "#   got: $1" | cut -c1-2000; }

got=$(dns_run)
desc="healthy: dns PASS, A and AAAA through the IPv4 and the IPv6 server"
t eval '[[ "$got" == PASS* && "$got" == *"@2001:db8:53::53 hweb.oqs-st.onshikaku.org AAAA: NOERROR 2001:db8:53::10"* && "$got" == *"@192.0.2.53 hweb.oqs-st.onshikaku.org A: NOERROR 192.0.2.10"* ]]' || show "$got"
desc="healthy: the large answers say they needed EDNS (4 of them), none TCP"
t eval '[[ "$got" == *"pweb.base.oqs-pdl.org AAAA: NOERROR"*"bytes: needed EDNS"* && "$got" == *"edns=4 tcp=0 lost=0" && "$got" == *"needed EDNS)"* ]]' || show "$got"
desc="healthy: the small answers say nothing about EDNS"
t eval '! [[ "$got" =~ hweb[^\;]*needed ]]' || show "$got"

# The path drops UDP DNS messages over 512 bytes (IP and UDP headers aside).
in_ns ngn nft -f - <<'NFT'
table inet fault {
	chain out {
		type filter hook output priority 0;
		udp sport 53 udp length > 520 drop
	}
}
NFT
got=$(dns_run)
desc="large UDP dropped: dns PASS, the large answers needed TCP"
t eval '[[ "$got" == PASS* && "$got" == *"bytes: needed TCP"* && "$got" == *"edns=0 tcp=4 lost=0" ]]' || show "$got"

in_ns ngn nft add rule inet fault out tcp sport 53 drop
start=$SECONDS
got=$(dns_run)
took=$((SECONDS - start))
desc="large UDP and TCP 53 dropped: dns FAIL, larger than 512 bytes, neither EDNS nor TCP"
t eval '[[ "$got" == FAIL*"larger than 512 bytes and come back neither over EDNS nor TCP (first: pweb.base.oqs-pdl.org)"* && "$got" == *"edns=0 tcp=0 lost=4" ]]' || show "$got"
desc="large UDP and TCP 53 dropped: the remedy names EDNS and TCP port 53"
t eval '[[ "$got" == *"|"*"(EDNS) and TCP port 53"*"|"* && "$got" == *"pweb.base.oqs-pdl.org A: NOERROR "*"truncated at "*" bytes without EDNS"* ]]' || show "$got"
desc="large UDP and TCP 53 dropped: the small names still resolve (hweb over UDP)"
t eval '[[ "$got" == *"@2001:db8:53::53 hweb.oqs-st.onshikaku.org AAAA: NOERROR 2001:db8:53::10"* ]]' || show "$got"
desc="large UDP and TCP 53 dropped: the probe ends within its 5 s ($took s)"
t [ "$took" -le 6 ]
