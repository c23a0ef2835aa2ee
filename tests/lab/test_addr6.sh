#!/bin/bash
# address6, gateway6 and lineauth against namespaces of this test's own
# (tests/lab/lib/ngn6.sh) with a real radvd on the CE router: the line's
# prefix learnt by RA, the router's lifetime and echo; the line
# authentication page over IPv6, the prefix recorded at the first success
# and a new prefix by RA that asks for line authentication again; router
# lifetime 0 (the RA lost) fails gateway6; an address whose DAD failed or
# that stays tentative fails address6 with what to do.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
. tests/lib/tap.sh
. tests/lab/lib/ns.sh

. tests/lab/lib/ngn6.sh
ngn6_suite 17 oqa radvd
sed -i -e 's/^ce_router = .*/&\nipv6 = ipoe/' -e 's/^address6 = none$/address6 = ra/' \
	-e 's|^timeout_ms = .*|&\nlineauth_url = http://www.lineauth.mnw/|' "$tmp/site.conf"
mkdir -p "$tmp/state"
# The line authentication page, over IPv6 only: authenticated unless
# $tmp/unregistered exists.
setsid ip netns exec "$P-cen" python3 -c '
import http.server, os, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = not os.path.exists(sys.argv[1])
        body = ("<p>%s</p>" % ("認証済みです" if ok else "未認証です")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(http.server.HTTPServer):
    address_family = socket.AF_INET6
    def server_bind(self):
        http.server.socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "www.lineauth.mnw", 80
S(("2001:db8:53::20", 80), H).serve_forever()' "$tmp/unregistered" >/dev/null 2>&1 &
wait_for 5 ngn6_listening tcp '\[2001:db8:53::20\]:80'


# The CE router advertises the prefix $2 (2001:db8:a::/64) with the
# router lifetime $1.
radvd_start() {
	local p=${2:-2001:db8:a::/64}
	in_ns ngn ip addr replace "${p%::/64}::1/64" dev ce0 nodad	# on-link here too
	cat > "$tmp/radvd.conf" <<CONF
interface ce0 {
	AdvSendAdvert on;
	MinRtrAdvInterval 3;
	MaxRtrAdvInterval 10;
	AdvDefaultLifetime $1;
	prefix ${2:-2001:db8:a::/64} { AdvOnLink on; AdvAutonomous on; };
};
CONF
	chmod 644 "$tmp/radvd.conf"
	setsid ip netns exec "$P-ngn" radvd -n -C "$tmp/radvd.conf" -p "$tmp/radvd.pid" \
		-m logfile -l "$tmp/radvd.log" >/dev/null 2>&1 &
	radvd_pid=$!
}
# The appliance's WAN takes RA although it forwards (accept_ra=2).
in_ns app sysctl -qw net.ipv6.conf.wan0.accept_ra=2 net.ipv6.conf.wan0.autoconf=1 \
	net.ipv6.conf.all.forwarding=1 net.ipv6.conf.wan0.forwarding=1
radvd_start 1800
slaac() { in_ns app ip -6 addr show dev wan0 | grep -q '2001:db8:a:'; }
defroute() { in_ns app ip -6 route show default | grep -q 'proto ra'; }
wait_for 15 slaac
wait_for 10 defroute

line() { grep "^$1 " <<<"$got"; }
show() { echo "#   got: $1" | cut -c1-1500; return 1; }

got=$(ngn6_probe address6 gateway6)
l=$(line address6)
desc="RA: address6 PASS, the line prefix 2001:db8:a::/64 learnt by RA"
t eval '[[ "$l" == "address6 PASS line prefix 2001:db8:a::/64 (by RA)"* && "$l" == *"wan0: 2001:db8:a:"*"learnt, dad ok, valid "* ]]' || show "$l"
l=$(line gateway6)
desc="RA: gateway6 PASS, the router answers with lifetime 1800 s"
t eval '[[ "$l" == "gateway6 PASS the IPv6 router fe80::"*"answers ("*"router lifetime 1800 s)"* && "$l" == *"default route via fe80::"*"dev wan0 proto ra"* ]]' || show "$l"
desc="RA: gateway6 quotes the advertised prefix"
t eval '[[ "$l" == *"RA prefix 2001:db8:a::/64 (autonomous), valid 86400 s"* ]]' || show "$l"
desc="RA: gateway6 quotes the router's neighbour entry (a router, with its MAC)"
t eval '[[ "$l" =~ "neighbour fe80::"[0-9a-f:]+"%wan0: "[a-z]+", lladdr "([0-9a-f]{2}:){5}[0-9a-f]{2}", router" ]]' || show "$l"

# A router that answers neighbour discovery but not ping.
in_ns ngn nft -f - <<'NFT'
table inet noecho {
	chain in {
		type filter hook input priority 0;
		icmpv6 type echo-request drop
	}
}
NFT
got=$(ngn6_probe gateway6)
l=$(line gateway6)
desc="router drops echo: gateway6 WARN, it answers neighbour discovery but not ping"
t eval '[[ "$l" == "gateway6 WARN the IPv6 router fe80::"*"answers neighbour discovery but not ping"* ]]' || show "$l"
in_ns ngn nft delete table inet noecho

# Line authentication over IPv6: the first success records the prefix.
got=$(ngn6_probe lineauth)
l=$(line lineauth)
desc="lineauth over IPv6: PASS, the prefix recorded at the first success"
t eval '[[ "$l" == "lineauth PASS"*"line prefix 2001:db8:a::/64 by RA; at the last line authentication none recorded"*"prefix 2001:db8:a::/64 recorded"* ]]' || show "$l"
desc="lineauth: the record holds the prefix, mode 0644"
t eval '[ "$(cat "$tmp/state/lineauth-prefix")" = "2001:db8:a::/64" ] && [ "$(stat -c %a "$tmp/state/lineauth-prefix")" = 644 ]'
got=$(ngn6_probe lineauth)
l=$(line lineauth)
desc="lineauth again: PASS, the prefix as recorded"
t eval '[[ "$l" == "lineauth PASS"*"at the last line authentication 2001:db8:a::/64"* ]]' || show "$l"

# A new prefix by RA (the old address gone): do line authentication again.
kill "$radvd_pid"; wait "$radvd_pid" 2>/dev/null
radvd_start 1800 2001:db8:b::/64
newprefix() { in_ns app ip -6 addr show dev wan0 | grep -q '2001:db8:b:'; }
wait_for 15 newprefix
for a in $(in_ns app ip -6 -o addr show dev wan0 | grep -o '2001:db8:a:[^ ]*'); do
	in_ns app ip addr del "$a" dev wan0
done
got=$(ngn6_probe lineauth)
l=$(line lineauth)
desc="prefix changed: lineauth WARN names the old and the new prefix"
t eval '[[ "$l" == "lineauth WARN the line prefix changed from 2001:db8:a::/64 to 2001:db8:b::/64: do line authentication again"* ]]' || show "$l"
got=$(in_ns app "$O" --config "$tmp/site.conf" probe --json lineauth 2>/dev/null | python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin)["results"] if r["id"] == "lineauth"][0]
print(r["verdict"], r["summary"]["ja"])')
desc="the page said authenticated: the new prefix is the recorded one (ja summary of the next run)"
t eval '[ "$(cat "$tmp/state/lineauth-prefix")" = "2001:db8:b::/64" ] && [[ "$got" == "PASS 回線認証ページ: 認証済みです" ]]' || show "$got"

# Another prefix and the page says not authenticated: FAIL, not recorded.
touch "$tmp/unregistered"
kill "$radvd_pid"; wait "$radvd_pid" 2>/dev/null
radvd_start 1800 2001:db8:c::/64
newprefix() { in_ns app ip -6 addr show dev wan0 | grep -q '2001:db8:c:'; }
wait_for 15 newprefix
for a in $(in_ns app ip -6 -o addr show dev wan0 | grep -o '2001:db8:b:[^ ]*'); do
	in_ns app ip addr del "$a" dev wan0
done
got=$(ngn6_probe lineauth)
l=$(line lineauth)
desc="prefix changed, page not authenticated: lineauth FAIL, do line authentication again"
t eval '[[ "$l" == "lineauth FAIL the line prefix changed from 2001:db8:b::/64 to 2001:db8:c::/64 and the line is not authenticated: do line authentication again"* ]]' || show "$l"
desc="page not authenticated: the record keeps the last authenticated prefix"
t eval '[ "$(cat "$tmp/state/lineauth-prefix")" = "2001:db8:b::/64" ]'

# The RA lost: the router says it is no default router any more.
kill "$radvd_pid"; wait "$radvd_pid" 2>/dev/null
radvd_start 0 2001:db8:c::/64
noroute() { ! in_ns app ip -6 route show default | grep -q 'proto ra'; }
wait_for 10 noroute
got=$(ngn6_probe gateway6)
l=$(line gateway6)
desc="router lifetime 0: gateway6 FAIL, the router advertises lifetime 0"
t eval '[[ "$l" == "gateway6 FAIL the router fe80::"*"on wan0 advertises router lifetime 0"* ]]' || show "$l"
desc="router lifetime 0: the remedy points at the ONU/home gateway and the carrier"
t eval '[[ "$l" == *"| The line'"'"'s router no longer acts as default router"*"call the carrier. |"* ]]' || show "$l"

# A duplicate: the CE router's own address on the appliance's WAN.
in_ns app sysctl -qw net.ipv6.conf.wan0.accept_dad=1
in_ns app ip addr add 2001:db8:1::1/64 dev wan0
dadfailed() { in_ns app ip -6 addr show dev wan0 | grep -q dadfailed; }
wait_for 10 dadfailed
got=$(ngn6_probe address6)
l=$(line address6)
desc="DAD failed: address6 FAIL names the interface and says duplicate"
t eval '[[ "$l" == "address6 FAIL an IPv6 address on wan0 is a duplicate (DAD failed)"*"wan0: 2001:db8:1::1/64 permanent, dad dadfailed"* ]]' || show "$l"
in_ns app ip addr del 2001:db8:1::1/64 dev wan0

# Tentative: DAD that waits 30 s for an answer has not finished during
# the probe.
in_ns app sysctl -qw net.ipv6.conf.term0.accept_dad=1 net.ipv6.neigh.term0.retrans_time_ms=30000
in_ns app ip addr add 2001:db8:21::1/64 dev term0
got=$(ngn6_probe address6)
l=$(line address6)
desc="tentative: address6 FAIL says DAD has not finished"
t eval '[[ "$l" == "address6 FAIL an IPv6 address on term0 is still tentative"*"Duplicate address detection has not finished"* ]]' || show "$l"

in_ns app ip addr del 2001:db8:21::1/64 dev term0

# IPv6 not configured: both say so and are left out of the verdict.
sed -i -e '/^ipv6 = ipoe/d' -e 's/^address6 = ra$/address6 = none/' "$tmp/site.conf"
got=$(ngn6_probe address6 gateway6)
desc="IPv6 not configured: address6 and gateway6 SKIP"
t eval '[[ "$(line address6)" == "address6 SKIP IPv6 is not configured"* && "$(line gateway6)" == "gateway6 SKIP IPv6 is not configured"* ]]' || show "$got"
exit $failed
