# A small IPv6 closed network in namespaces of the calling test's own, for
# the probes over IPv6 (sourced; needs P, tmp, O, wait_for and
# tests/lab/lib/ns.sh):
#   app  the appliance: wan0 (2001:db8:1::2, 198.51.100.2) to the CE router,
#        lan0 and term0 (2001:db8:20::1, 192.168.20.1) veths with their
#        peers beside them; configured by hand, so only the probes speak
#   ngn  the CE router (2001:db8:1::1, 198.51.100.1), forwarding to cen
#   cen  the central side: DNS (dnsmasq), ping targets and a TCP listener
#        on 2001:db8:53::53 and 192.0.2.53, 2001:db8:53::10 and 192.0.2.10,
#        2001:db8:53::20 (www.lineauth.mnw, AAAA only) for a page
# ngn6_up writes $tmp/site.conf (IP-VPN, IPv4 and IPv6 DNS servers).
#
# ngn6_suite N PREFIX [COMMAND...]: the start of a suite of N tests on this
# network: the plan, all N skipped unless root, network namespaces,
# dnsmasq and each COMMAND are there; then P=PREFIX$$, a new tmp, the
# cleanup on exit and ngn6_up.
ngn6_suite() {
	local n=$1 prefix=$2 c; shift 2
	echo "1..$n"
	if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
		for _ in $(seq 1 "$n"); do skip "needs root and network namespaces"; done
		exit 0
	fi
	for c in dnsmasq "$@"; do
		command -v "$c" >/dev/null && continue
		for _ in $(seq 1 "$n"); do skip "needs $c"; done
		exit 0
	done
	P=$prefix$$
	tmp=$(mktemp -d)
	trap 'ngn6_down; rm -rf "$tmp"' EXIT
	ngn6_up
}

ngn6_up() {
	local ns l
	ns_add app ngn cen
	for ns in app ngn cen; do
		in_ns $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	done
	ip -n "$P-app" link add wan0 type veth peer name ce0 netns "$P-ngn"
	ip -n "$P-app" link add lan0 type veth peer name lan0p
	ip -n "$P-app" link add term0 type veth peer name term0p
	ip -n "$P-ngn" link add core0 type veth peer name up0 netns "$P-cen"
	in_ns app ip addr add 198.51.100.2/24 dev wan0
	in_ns app ip addr add 2001:db8:1::2/64 dev wan0 nodad
	in_ns app ip addr add 192.168.10.1/24 dev lan0
	in_ns app ip addr add 192.168.20.1/24 dev term0
	in_ns app ip addr add 2001:db8:20::1/64 dev term0 nodad
	for l in wan0 lan0 lan0p term0 term0p; do in_ns app ip link set $l up; done
	in_ns app ip route add 192.0.2.0/24 via 198.51.100.1
	in_ns app ip route add 2001:db8:53::/48 via 2001:db8:1::1
	in_ns ngn sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	in_ns ngn ip addr add 198.51.100.1/24 dev ce0
	in_ns ngn ip addr add 2001:db8:1::1/64 dev ce0 nodad
	in_ns ngn ip addr add 10.9.0.1/30 dev core0
	in_ns ngn ip addr add 2001:db8:9::1/64 dev core0 nodad
	in_ns ngn ip link set ce0 up
	in_ns ngn ip link set core0 up
	in_ns ngn ip route add 192.168.20.0/24 via 198.51.100.2
	in_ns ngn ip route add 2001:db8:20::/64 via 2001:db8:1::2
	in_ns ngn ip route add 192.0.2.0/24 via 10.9.0.2
	in_ns ngn ip route add 2001:db8:53::/48 via 2001:db8:9::2
	in_ns cen ip addr add 10.9.0.2/30 dev up0
	in_ns cen ip addr add 2001:db8:9::2/64 dev up0 nodad
	in_ns cen ip link set up0 up
	for l in 192.0.2.53/32 192.0.2.10/32 2001:db8:53::53/128 2001:db8:53::10/128 \
		2001:db8:53::20/128; do
		in_ns cen ip addr add $l dev lo
	done
	in_ns cen ip route add default via 10.9.0.1
	in_ns cen ip route add default via 2001:db8:9::1
	# Neighbour discovery works once no address is tentative any more; a
	# first echo each way fills the neighbour caches, so that the probes
	# measure the path rather than the first resolution.
	for ns in app ngn cen; do wait_for 10 ngn6_settled $ns; done
	wait_for 5 in_ns app ping -6 -q -c 1 -W 1 -I 2001:db8:20::1 2001:db8:53::53 >/dev/null

	# Forty addresses of each family make pweb's answers about 700 and
	# 1200 bytes: more than plain UDP carries, less than EDNS offers.
	{
		echo "192.0.2.10 hweb.oqs-st.onshikaku.org"
		echo "2001:db8:53::10 hweb.oqs-st.onshikaku.org"
		echo "2001:db8:53::10 v6only.oqs-st.onshikaku.org"
		echo "2001:db8:53::20 www.lineauth.mnw"
		for l in $(seq 1 40); do
			echo "192.0.2.$((100 + l)) pweb.base.oqs-pdl.org"
			echo "2001:db8:53::$((100 + l)) pweb.base.oqs-pdl.org"
		done
	} > "$tmp/hosts"
	chmod 755 "$tmp"	# dnsmasq reads the hosts file as nobody
	in_ns cen setsid dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--addn-hosts="$tmp/hosts" --bind-interfaces --listen-address=192.0.2.53 \
		--listen-address=2001:db8:53::53 --port=53 --pid-file="$tmp/dnsmasq.pid" \
		--log-facility="$tmp/dnsmasq.log" >/dev/null 2>&1 &
	wait_for 5 ngn6_listening udp '\[2001:db8:53::53\]:53'

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
ping = 2001:db8:53::53, 192.0.2.53
ping_count = 10
ping_interval_ms = 20
timeout_ms = 5000

[paths]
state_dir = $tmp/state
run_dir = $tmp/run
report_dir = $tmp/reports
CONF
}

ngn6_settled() { ! ip -n "$P-$1" -6 addr show | grep -q tentative; }
ngn6_listening() { in_ns cen ss -Hln --"$1" | grep -q "$2"; }

ngn6_down() { ns_del app ngn cen; }

# oqlink probe ID... on the appliance with $O and $tmp/site.conf, one line
# per probe asked: "id VERDICT summary | remedy | evidence ; evidence".
ngn6_probe() {
	in_ns app "$O" --lang en --config "$tmp/site.conf" probe --json "$@" 2>"$tmp/err" |
		python3 -c '
import json, sys
for r in json.load(sys.stdin)["results"]:
    print(r["id"], r["verdict"], r["summary"]["en"], "|", (r.get("remedy") or {}).get("en", ""),
          "|", " ; ".join(r.get("evidence", [])))'
}
