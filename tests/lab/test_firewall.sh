#!/bin/bash
# The firewall as loaded, judged by what it does: interface names that are
# odd but valid (quotes of nft's own syntax inside them) reach nftables as
# names, and ICMPv6 from the uplink is neighbour discovery and errors only,
# never an echo request, while the LAN may ping the appliance; the monitor's
# metrics port opens from the LAN to the management address only.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
. tests/lib/tap.sh
. tests/lab/lib/ns.sh

N=11
echo "1..$N"
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	for _ in $(seq 1 $N); do skip "needs root and network namespaces"; done
	exit 0
fi

P=oqf$$
WAN='w;n{0}'		# valid for the kernel and the grammar, nft syntax inside
LAN='l#a$n@'
TERM='t~e{r}m'
MPORT=9101		# [monitor] metrics_listen's port
tmp=$(mktemp -d)
cleanup() { ns_del app isp lan term; rm -rf "$tmp"; }
trap cleanup EXIT

ox() { in_ns app "$O" --lang en --config "$tmp/site.conf" "$@"; }

ns_add app isp lan term
ip -n "$P-app" link add "$WAN" type veth peer name up0 netns "$P-isp"
ip -n "$P-app" link add "$LAN" type veth peer name eth0 netns "$P-lan"
ip -n "$P-app" link add "$TERM" type veth peer name eth0 netns "$P-term"
in_ns isp ip addr add 198.51.100.1/24 dev up0; in_ns isp ip link set up0 up
in_ns lan ip addr add 192.168.10.20/24 dev eth0; in_ns lan ip link set eth0 up
in_ns term ip addr add 192.168.20.10/24 dev eth0; in_ns term ip link set eth0 up
in_ns term ip route add default via 192.168.20.1
in_ns isp ip route add 192.168.0.0/16 via 198.51.100.2

sed -e '/^\[probe.tls.hweb\]/,/^password_file/d' \
    -e "/^\[terminal\]/,/^interface/s|^interface = .*|interface = $TERM|" \
    -e "/^\[uplink\]/,/^interface/s|^interface = .*|interface = $WAN|" \
    -e "/^\[lan\]/,/^interface/s|^interface = .*|interface = $LAN|" \
    -e "s#^state_dir = .*#state_dir = $tmp/state#; s#^run_dir = .*#run_dir = $tmp/run#" \
    -e "s#^report_dir = .*#report_dir = $tmp/reports#" examples/site-ipvpn.conf > "$tmp/site.conf"
printf '\n[monitor]\nmetrics_listen = 192.168.10.1:%s\n' "$MPORT" >> "$tmp/site.conf"

desc="a quote in an interface name is refused by config check (exit 2)"
bad_name() {
	sed "s|^interface = $WAN|interface = w\";accept;#0|" "$tmp/site.conf" > "$tmp/bad.conf"
	"$O" --lang en config check "$tmp/bad.conf" >/dev/null 2>"$tmp/bad.err"
	[ $? = 2 ] && grep -q "bad.conf:[0-9]*:13: bad value 'w\";accept;#0' for 'interface'" "$tmp/bad.err"
}
t bad_name

desc="apply loads the ruleset for interfaces named $WAN, $LAN and $TERM"
t eval 'ox apply >"$tmp/apply.out" 2>&1 || { cat "$tmp/apply.out"; false; }'

# Every interface match of the loaded table names one of our links.
names_only() {
	in_ns app nft -j list table inet oqlink | WAN=$WAN LAN=$LAN TERM=$TERM python3 -c '
import json, os, sys
ok = {os.environ["WAN"], os.environ["LAN"], os.environ["TERM"], "lo", "ipsec*"}
seen = set()
for item in json.load(sys.stdin)["nftables"]:
    for e in item.get("rule", {}).get("expr", []):
        m = e.get("match", {})
        if m.get("left", {}).get("meta", {}).get("key") in ("iifname", "oifname", "iif"):
            seen.add(m["right"])
sys.exit(0 if seen and seen <= ok and os.environ["WAN"] in seen else 1)'
}
desc="the loaded ruleset matches those names as names, nothing else"
t names_only

ll() { ip -n "$P-$1" -6 -o addr show dev "$2" scope link | awk '{print $4}' | cut -d/ -f1; }
ll_ready() { [ -n "$(ll app "$1")" ] && ! ip -n "$P-app" -6 addr show dev "$1" | grep -q tentative; }
wait_for 10 ll_ready "$WAN"
wait_for 10 ll_ready "$LAN"
APP_WAN=$(ll app "$WAN"); APP_LAN=$(ll app "$LAN")

desc="ICMPv6 echo request from the uplink is dropped"
t eval '! in_ns isp ping -6 -c 2 -W 1 "$APP_WAN%up0" >/dev/null 2>&1'
desc="neighbour discovery from the uplink is answered (the isp side learnt our address)"
t eval 'in_ns isp ip -6 neigh show dev up0 | grep -q "^$APP_WAN .*lladdr"'
desc="ICMPv6 echo request from the LAN is answered"
t eval 'wait_for 5 in_ns lan ping -6 -q -c 1 -W 1 "$APP_LAN%eth0" >/dev/null'
desc="IPv4 echo request from the uplink is dropped, from the LAN answered"
t eval '! in_ns isp ping -c 2 -W 1 198.51.100.2 >/dev/null 2>&1 && in_ns lan ping -c 1 -W 1 192.168.10.1 >/dev/null'
# A listener on every address of the appliance at the metrics port, so that
# only the firewall decides who reaches it.
in_ns app python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", '"$MPORT"')); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"metrics\n"); c.close()' &
# Does a TCP connection from namespace $1 to $2 port $3 get the listener's word?
reach() { in_ns "$1" timeout 3 bash -c 'exec 3<>/dev/tcp/$0/$1 && read -r w <&3 && [ "$w" = metrics ]' "$2" "$3" 2>/dev/null; }
desc="the LAN reaches the metrics port on the management address"
t wait_for 5 reach lan 192.168.10.1 "$MPORT"
desc="the uplink does not reach the metrics port (on the WAN or the LAN address)"
t eval '! reach isp 198.51.100.2 "$MPORT" && ! reach isp 192.168.10.1 "$MPORT"'
desc="the terminal segment does not reach the metrics port (on either address)"
t eval '! reach term 192.168.10.1 "$MPORT" && ! reach term 192.168.20.1 "$MPORT"'
desc="rollback removes our table"
t eval 'ox rollback >/dev/null 2>&1 && ! in_ns app nft list table inet oqlink >/dev/null 2>&1'
exit $failed
