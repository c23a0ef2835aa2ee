#!/bin/bash
# PPPoE pass-through ([lan] pppoe_passthrough = yes): real PADI, PADO and
# session frames cross between a LAN host and a WAN-side node through the
# appliance, an IPv4 frame does not, the LAN address keeps working, and
# nothing crosses before apply or after rollback. TAP; needs root; builds
# its own namespaces (appliance, LAN host, WAN node).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
ETHER=$ROOT/tests/lab/lib/ether.py
. tests/lib/tap.sh
. tests/lab/lib/ns.sh

N=12
echo "1..$N"
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	for _ in $(seq 1 $N); do skip "needs root and network namespaces"; done
	exit 0
fi

P=oqp$$
tmp=$(mktemp -d)
cleanup() { ns_del app lanh wanh term; rm -rf "$tmp"; }
trap cleanup EXIT

ox() { in_ns app "$O" --lang en --config "$tmp/site.conf" "$@"; }

ns_add app lanh wanh term
ip -n "$P-app" link add wan0 type veth peer name eth0 netns "$P-wanh"
ip -n "$P-app" link add lan0 type veth peer name eth0 netns "$P-lanh"
ip -n "$P-app" link add term0 type veth peer name eth0 netns "$P-term"
for ns in lanh wanh term; do in_ns "$ns" ip link set eth0 up; done
in_ns lanh ip addr add 192.168.10.20/24 dev eth0
in_ns wanh ip addr add 198.51.100.1/24 dev eth0

sed -e '/^\[probe.tls.hweb\]/,/^password_file/d' \
    -e "s#^state_dir = .*#state_dir = $tmp/state#; s#^run_dir = .*#run_dir = $tmp/run#" \
    -e "s#^report_dir = .*#report_dir = $tmp/reports#" \
    -e 's#^\[lan\]$#[lan]\npppoe_passthrough = yes#' examples/site-ipvpn.conf > "$tmp/site.conf"

mac() { in_ns "$1" cat /sys/class/net/eth0/address; }
LMAC=$(mac lanh)
BCAST=ff:ff:ff:ff:ff:ff

# Does a frame of KIND sent by FROM to DST arrive at TO's eth0?
# crosses FROM TO DST KIND
crosses() {
	local from=$1 to=$2 dst=$3 kind=$4 mark out=$tmp/recv.$RANDOM pid rc
	mark=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	in_ns "$to" python3 "$ETHER" recv eth0 "$kind" "$mark" 2 > "$out" &
	pid=$!
	wait_for 5 grep -q ready "$out" || { kill "$pid" 2>/dev/null; return 2; }
	in_ns "$from" python3 "$ETHER" send eth0 "$dst" "$kind" "$mark"
	wait "$pid"
	rc=$?
	rm -f "$out"
	return $rc
}
# Not crossing counts only when the receiver listened for the whole time.
not_crosses() { crosses "$@"; [ $? -eq 1 ]; }

desc="before apply, a PADI from the LAN does not reach the WAN side"
t not_crosses lanh wanh "$BCAST" padi

desc="config check takes pppoe_passthrough = yes"
t eval '"$O" --lang en config check "$tmp/site.conf" >/dev/null'

desc="apply"
t eval 'ox apply > "$tmp/apply.out" 2>&1 || { cat "$tmp/apply.out"; false; }'

desc="the netdev table forwards PPPoE between lan0 and wan0"
t eval 'in_ns app nft list table netdev oqlink | grep -q "fwd to \"wan0\"" &&
	in_ns app nft list table netdev oqlink | grep -q "fwd to \"lan0\""'

desc="a PADI (broadcast, 0x8863) from the LAN host reaches the WAN side"
t crosses lanh wanh "$BCAST" padi

desc="a PADO (0x8863) from the WAN side reaches the LAN host"
t crosses wanh lanh "$LMAC" pado

desc="a session frame (0x8864) crosses both ways"
t eval 'crosses lanh wanh "$BCAST" session && crosses wanh lanh "$LMAC" session'

desc="an IPv4 frame from the LAN host does not cross"
t not_crosses lanh wanh "$BCAST" ipv4

desc="an IPv4 frame from the WAN side does not cross"
t not_crosses wanh lanh "$LMAC" ipv4

desc="the LAN address still answers the LAN host"
t eval 'in_ns lanh ping -c 1 -W 2 192.168.10.1 >/dev/null'

desc="rollback removes the netdev table"
t eval 'ox rollback >/dev/null && ! in_ns app nft list table netdev oqlink >/dev/null 2>&1'

desc="after rollback a PADI does not cross"
t not_crosses lanh wanh "$BCAST" padi

[ "$n" -eq "$N" ] || { echo "# planned $N, ran $n"; exit 1; }
exit $failed
