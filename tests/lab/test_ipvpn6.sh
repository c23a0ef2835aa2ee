#!/bin/bash
# IPv6 IPoE on the NGN, both ways a line gives its prefix: an RA-only /64
# (ND proxy) and a /56 by DHCPv6-PD. For each: the lab comes up, oqlink
# plans and applies the daemons, the terminal takes an address and reaches
# central over IPv6, the clinic LAN and the NGN cannot reach each other,
# the terminal reaches nothing but central, and rollback puts back the
# addresses, routes, sysctls, ruleset and daemons exactly. The lab's IPv6
# fault knobs. A prefix change on each kind of line: by RA, plan moves the
# route and restarts ndppd and radvd; by PD, dhcpcd and radvd follow by
# themselves; either way the terminal reaches central from the new prefix.
# TAP; needs root; runs its own lab.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
LAB=$ROOT/lab/lab
O=${OQLINK:-$ROOT/build/asan/oqlink}

N=55
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "1..$N"
	for i in $(seq 1 $N); do echo "ok $i # SKIP needs root and network namespaces"; done
	exit 0
fi
echo "1..$N"

T=$(mktemp -d /tmp/oql6.XXXXXX)
export OQL_LAB=oq6$$
export OQL_LAB_OUT=$T/out
OUT=$OQL_LAB_OUT
. tests/lib/tap.sh
fails=0

nok() { n=$((n+1)); fails=$((fails+1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'; return 0; }
check() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then ok "$what"; else nok "$what" "$out"; fi
}
on() { local node=$1; shift; ip netns exec "$OQL_LAB-$node" "$@"; }
ox() { on appliance "$O" --lang en --config "$OUT/site.conf" "$@"; }

cleanup() {
	"$LAB" down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# The first global address of a node's interface: node ifname.
addr6() { on "$1" ip -6 -o addr show dev "$2" scope global | awk '{sub("/.*", "", $4); print $4; exit}'; }
has_addr6_in() { on "$1" ip -6 -o addr show dev "$2" scope global -tentative | grep -q " $3"; }
# Duplicate address detection is over on every address of the appliance.
dad_done() { [ -z "$(on appliance ip -6 -o addr show tentative)" ]; }

# Everything rollback must put back, with lifetimes left out (they count down).
listing() {
	on appliance ip -o addr show | sed 's/ valid_lft.*//; s/\\ *$//'
	on appliance ip -4 route show table all
	on appliance ip -6 route show table all | sed 's/ expires [0-9]*sec//'
	on appliance sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding \
		net.ipv6.conf.wan0.accept_ra net.ipv6.conf.wan0.autoconf \
		net.ipv4.conf.lan0.rp_filter net.ipv4.conf.term0.rp_filter
	on appliance nft list ruleset
	daemons
}

# The IPv6 daemons running in the appliance (zombies left aside).
daemons() {
	local p comm state
	for p in $(ip netns pids "$OQL_LAB-appliance"); do
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		state=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
		case "$comm" in dhcpcd|radvd|ndppd) [ "$state" != Z ] && echo "daemon $comm" ;; esac
	done | sort -u
}

# A rule's packet counter in our table, found by a piece of its text.
counter() {
	on appliance nft list table inet oqlink | grep -F -- "$1" | head -1 |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
counter_grew() { [ "$(counter "$1")" -gt "$2" ]; }

ping6_ok() { on "$1" ping -6 -c 1 -W 1 "$2" >/dev/null 2>&1; }
tcp6_ok() { on "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }

# Is the plan text listing each of the given step texts?
plan_has() {
	local f=$1 s; shift
	for s in "$@"; do grep -qF -- "$s" "$f" || { cat "$f"; return 1; }; done
}

same_file() { diff -u "$1" "$2"; }
plan_clean() { ox plan | grep -q 'nothing to change'; }
no_daemons() { local d; d=$(daemons); [ -z "$d" ] || { echo "$d"; return 1; }; }

variant() {
	local v=$1 tprefix
	local before=$T/before.$v after=$T/after.$v plan=$T/plan.$v
	local c term lanv6 ngn_ll app_lan_ll app_wan_ll

	check "$v: lab up --mode ipvpn6 --ipv6 $v" "$LAB" up --mode ipvpn6 --ipv6 "$v"
	check "$v: the WAN took the line's /64 from the NGN's RA" \
		wait_for 20 has_addr6_in appliance wan0 2001:db8:100:1:
	wait_for 10 dad_done
	listing > "$before"

	ox plan > "$plan" 2>&1
	if [ "$v" = pd ]; then
		check "$v: plan starts dhcpcd and radvd" plan_has "$plan" "start dhcpcd-wan0" "start radvd-term0"
		tprefix=2001:db8:2000:1:
	else
		check "$v: plan routes the line's /64 to the terminal segment, starts ndppd and radvd" \
			plan_has "$plan" "add route 2001:db8:100:1::/64 dev term0" "start ndppd-wan0" "start radvd-term0"
		tprefix=2001:db8:100:1:
	fi
	check "$v: apply" ox apply
	check "$v: plan after apply has nothing to change" plan_clean
	check "$v: the terminal takes an address in $tprefix:/64" \
		wait_for 20 has_addr6_in terminal eth0 "$tprefix"
	check "$v: the terminal pings central's DNS over IPv6" wait_for 10 ping6_ok terminal 2001:db8:c0::53
	check "$v: the terminal opens TCP 443 on central over IPv6" wait_for 10 tcp6_ok terminal 2001:db8:c0::10 443

	# The clinic PC with an address of its own (the appliance gives the
	# LAN no IPv6) and the appliance as its router: forwarded, then dropped.
	app_lan_ll=$(on appliance ip -6 -o addr show dev lan0 scope link | awk '{sub("/.*", "", $4); print $4}')
	on clinic ip -6 addr add fd00:10::20/64 dev eth0 nodad 2>/dev/null
	on clinic ip -6 route replace default via "$app_lan_ll" dev eth0
	c=$(counter "ip6 daddr @central6 counter")
	if ! ping6_ok clinic 2001:db8:c0::53 && ! tcp6_ok clinic 2001:db8:c0::10 443 &&
	   wait_for 2 counter_grew "ip6 daddr @central6 counter" "$c"; then
		ok "$v: the clinic LAN does not reach the NGN (dropped by the LAN rule)"
	else
		nok "$v: the clinic LAN does not reach the NGN (dropped by the LAN rule)" "counter was $c, now $(counter "ip6 daddr @central6 counter")"
	fi

	# The NGN with a route to the clinic's LAN and the terminal's address.
	app_wan_ll=$(on appliance ip -6 -o addr show dev wan0 scope link | awk '{sub("/.*", "", $4); print $4}')
	on ngn ip -6 route replace fd00:10::/64 via "$app_wan_ll" dev down0
	term=$(addr6 terminal eth0)
	c=$(counter "opens a connection inward")
	if ! ping6_ok ngn fd00:10::20 && ! ping6_ok ngn "$term" && ! tcp6_ok ngn "$term" 22 &&
	   wait_for 2 counter_grew "opens a connection inward" "$c"; then
		ok "$v: the NGN reaches neither the clinic LAN nor the terminal ($term)"
	else
		nok "$v: the NGN reaches neither the clinic LAN nor the terminal ($term)"
	fi
	on ngn ip -6 route del fd00:10::/64 2>/dev/null

	# Somewhere on the NGN that is not central.
	on ngn ip -6 addr add 2001:db8:ff::1/128 dev lo 2>/dev/null
	c=$(counter "forward: dropped")
	if ! ping6_ok terminal 2001:db8:ff::1 && wait_for 2 counter_grew "forward: dropped" "$c"; then
		ok "$v: the terminal reaches nothing on the NGN but central"
	else
		nok "$v: the terminal reaches nothing on the NGN but central"
	fi
	on ngn ip -6 addr del 2001:db8:ff::1/128 dev lo 2>/dev/null
	on clinic ip -6 route del default 2>/dev/null
	on clinic ip -6 addr del fd00:10::20/64 dev eth0 2>/dev/null

	check "$v: rollback" ox rollback
	check "$v: no IPv6 daemon is left running" no_daemons
	listing > "$after"
	check "$v: addresses, routes, sysctls, ruleset and daemons are as before" same_file "$before" "$after"
	ox plan > "$plan.again" 2>&1
	check "$v: plan is the same as before apply" same_file "$plan" "$plan.again"
}

# ------------------------------------------------------------ the faults

dns_size() { on appliance dig +time=2 +tries=1 "$@" | sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p'; }
big_answer() { local s; s=$(dns_size "$@"); [ -n "$s" ] && [ "$s" -gt 512 ]; }
no_answer() { [ -z "$(dns_size "$@")" ]; }
default6() { on appliance ip -6 route show default | grep -q 'via fe80::1'; }
no_default6() { ! default6; }
kea_new_pool() { grep -q '"prefix": "2001:db8:3000::"' "$OUT/ngn/kea-dhcp6.conf" && "$LAB" status | grep -q 'kea: running'; }

# The lab's IPv6 fault knobs (in the pd lab, where kea runs).
lab_faults() {
	check "pweb's AAAA answer is over 512 bytes (EDNS)" big_answer @2001:db8:c0::53 AAAA pweb.base.oqs-pdl.org
	check "ntp's AAAA answer is over 512 bytes (TCP)" big_answer +tcp @2001:db8:c0::53 AAAA ntp.base.oqs-pdl.org
	check "fault no-edns on" "$LAB" fault no-edns on
	check "no-edns: the large answer does not come back over UDP" no_answer @2001:db8:c0::53 AAAA pweb.base.oqs-pdl.org
	check "no-edns: nor over TCP" no_answer +tcp @2001:db8:c0::53 AAAA pweb.base.oqs-pdl.org
	check "no-edns: a small answer still does" bash -c "ip netns exec $OQL_LAB-appliance dig +short +time=2 +tries=1 @2001:db8:c0::53 AAAA www.lineauth.mnw | grep -qx 2001:db8:c0::20"
	"$LAB" fault no-edns off >/dev/null

	check "the WAN has an IPv6 default route from the RA" wait_for 15 default6
	check "fault ra-lost on" "$LAB" fault ra-lost on
	check "ra-lost: the default route goes (router lifetime 0)" wait_for 15 no_default6
	"$LAB" fault ra-lost off >/dev/null

	check "fault prefix-change on" "$LAB" fault prefix-change on
	check "prefix-change: a new /64 comes by RA" wait_for 15 has_addr6_in appliance wan0 2001:db8:100:2:
	check "prefix-change: kea runs again, delegating from the new /48" kea_new_pool
	"$LAB" fault prefix-change off >/dev/null

	check "fault icmpv6-blackhole on" "$LAB" fault icmpv6-blackhole on
	check "icmpv6-blackhole: the far link's MTU is 1280 and Packet Too Big is dropped" bash -c \
		"ip -n $OQL_LAB-ngn link show cen0 | grep -q 'mtu 1280' && ip netns exec $OQL_LAB-ngn nft list ruleset | grep -q 'packet-too-big drop'"
	check "icmpv6-blackhole: a full-size packet does not get through" bash -c \
		"! ip netns exec $OQL_LAB-appliance ping -6 -c 2 -W 1 -M do -s 1400 2001:db8:c0::53"
	"$LAB" fault icmpv6-blackhole off >/dev/null
}

# ------------------------------------------------------------ prefix changes

# A semi-fixed prefix that changes on an RA-only line: plan follows it.
prefix_change_ra() {
	local plan=$T/plan.change new
	check "ra, prefix change: apply" ox apply
	"$LAB" fault prefix-change on >/dev/null
	check "ra, prefix change: the WAN takes the new /64" \
		wait_for 20 has_addr6_in appliance wan0 2001:db8:100:2:
	ox plan > "$plan" 2>&1
	check "ra, prefix change: plan moves the route and restarts ndppd and radvd" plan_has "$plan" \
		"remove route 2001:db8:100:1::/64 dev term0" "add route 2001:db8:100:2::/64 dev term0" \
		"restart ndppd-wan0 with its new config" "restart radvd-term0 with its new config"
	check "ra, prefix change: apply" ox apply
	check "ra, prefix change: the terminal takes an address in the new /64" \
		wait_for 20 has_addr6_in terminal eth0 2001:db8:100:2:
	new=$(on terminal ip -6 -o addr show dev eth0 scope global | awk '/2001:db8:100:2:/ {sub("/.*", "", $4); print $4; exit}')
	check "ra, prefix change: the terminal reaches central from it" \
		wait_for 10 on terminal ping -6 -c 1 -W 1 -I "$new" 2001:db8:c0::53
	"$LAB" fault prefix-change off >/dev/null
	ox rollback >/dev/null
	ox rollback >/dev/null
}

# A new delegation: dhcpcd takes it at its next renewal (the lab's kea
# asks for one every 2 s) and radvd advertises what is on the terminal
# segment, with no new apply.
prefix_change_pd() {
	local new
	check "pd, prefix change: apply" ox apply
	"$LAB" fault prefix-change on >/dev/null
	check "pd, prefix change: dhcpcd puts a /64 of the new /56 on the terminal segment" \
		wait_for 20 has_addr6_in appliance term0 2001:db8:3000:1:
	check "pd, prefix change: the terminal takes an address in it" \
		wait_for 20 has_addr6_in terminal eth0 2001:db8:3000:1:
	new=$(on terminal ip -6 -o addr show dev eth0 scope global | awk '/2001:db8:3000:1:/ {sub("/.*", "", $4); print $4; exit}')
	check "pd, prefix change: the terminal reaches central from it" \
		wait_for 10 on terminal ping -6 -c 1 -W 1 -I "$new" 2001:db8:c0::53
	"$LAB" fault prefix-change off >/dev/null
	ox rollback >/dev/null
}

variant ra
prefix_change_ra
variant pd
lab_faults
prefix_change_pd

[ "$n" -eq "$N" ] || { echo "# planned $N tests, ran $n"; exit 1; }
[ "$fails" -eq 0 ]
