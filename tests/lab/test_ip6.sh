#!/bin/bash
# reach, pmtu and tcp over IPv6 against namespaces of this test's own
# (tests/lab/lib/ngn6.sh): ICMPv6 echo from the terminal side's IPv6
# address; the path MTU from ICMPv6 Packet Too Big (a smaller link behind
# the CE router: WARN with the MTU; Packet Too Big dropped: FAIL, a black
# hole); TCP to a literal [addr]:port and to a name with AAAA only.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
. tests/lib/tap.sh
. tests/lab/lib/ns.sh

. tests/lab/lib/ngn6.sh
ngn6_suite 8 oqi
sed -i 's/^ping_count = .*/tcp = [2001:db8:53::10]:443, v6only.oqs-st.onshikaku.org:443\n&/' "$tmp/site.conf"
sed -i 's/^dns_names = .*/&, v6only.oqs-st.onshikaku.org/' "$tmp/site.conf"
# A TCP listener on every address of cen, port 443.
setsid ip netns exec "$P-cen" python3 -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", 443)); s.listen(16)
while True:
    c, _ = s.accept(); c.close()' >/dev/null 2>&1 &
wait_for 5 ngn6_listening tcp ':443'

line() { grep "^$1 " <<<"$got"; }
show() { echo "#   got: $1" | cut -c1-1500; return 1; }

got=$(ngn6_probe reach pmtu tcp)
desc="healthy: reach PASS, ICMPv6 echo from the terminal side's IPv6 address"
l=$(line reach)
t eval '[[ "$l" == "reach PASS"*"ping 2001:db8:53::53 from 2001:db8:20::1: 10/10"*"ping 192.0.2.53 from 192.168.20.1: 10/10"* ]]' || show "$l"
desc="healthy: pmtu PASS over IPv6 (1500 bytes unfragmented)"
l=$(line pmtu)
t eval '[[ "$l" == "pmtu PASS 1500-byte"*"to 2001:db8:53::53 from 2001:db8:20::1, not fragmented"* ]]' || show "$l"
desc="healthy: tcp PASS to [2001:db8:53::10]:443 and to a name with AAAA only"
l=$(line tcp)
t eval '[[ "$l" == "tcp PASS"*"2001:db8:53::10:443 (2001:db8:53::10): connected"*"v6only.oqs-st.onshikaku.org:443 (2001:db8:53::10): connected"* ]]' || show "$l"

# A smaller link behind the CE router: it says Packet Too Big.
in_ns ngn ip link set core0 mtu 1400
in_ns cen ip link set up0 mtu 1400
got=$(ngn6_probe pmtu)
l=$(line pmtu)
desc="MTU 1400 behind the CE router: pmtu WARN 1400 with Packet Too Big seen"
t eval '[[ "$l" == "pmtu WARN path MTU 1400 bytes (configured 1500)"*"ICMPv6 packet too big: MTU 1400"* ]]' || show "$l"

# And the CE router's Packet Too Big never leaves it: a black hole.
in_ns ngn nft -f - <<'NFT'
table inet fault {
	chain out {
		type filter hook output priority 0;
		icmpv6 type packet-too-big drop
	}
}
NFT
got=$(ngn6_probe pmtu)
l=$(line pmtu)
desc="Packet Too Big dropped: pmtu FAIL, a black hole at 1400 bytes"
t eval '[[ "$l" == "pmtu FAIL path MTU 1400 bytes (configured 1500) with no Packet Too Big: set MTU 1400 and MSS 1340"* ]]' || show "$l"
got=$(in_ns app "$O" --lang en --config "$tmp/site.conf" probe --json pmtu 2>/dev/null |
	python3 -c 'import json,sys; print([r for r in json.load(sys.stdin)["results"] if r["id"]=="pmtu"][0]["remedy"]["ja"])')
desc="Packet Too Big dropped: the remedy (ja) says to let Packet Too Big pass"
t eval '[[ "$got" == *"ICMPv6 Packet Too Big を通す"* ]]' || show "$got"

# The IPv6 target unreachable: reach fails for it, the IPv4 one still passes.
in_ns ngn ip -6 route del 2001:db8:53::/48
got=$(ngn6_probe reach)
l=$(line reach)
desc="no route to the IPv6 target: reach FAIL names it"
t eval '[[ "$l" == "reach FAIL 2001:db8:53::53 is not reachable well enough (loss 100%)"* ]]' || show "$l"
desc="no route to the IPv6 target: the ICMPv6 error is in the evidence, IPv4 still answered"
t eval '[[ "$l" == *"ICMPv6 type 1 code 0 from 2001:db8:1::1"* && "$l" == *"ping 192.0.2.53 from 192.168.20.1: 10/10"* ]]' || show "$l"
exit $failed
