#!/bin/bash
# Stand-in for `oqlink apply` in the probe tests: address the appliance's
# interfaces and route as the lab's site.conf says, and bring the tunnel up.
# Uses OQL_LAB, OQL_LAB_OUT and OQLINK.
set -u
ap=${OQL_LAB:-oql}-appliance
conf=${OQL_LAB_OUT:-lab/out}/site.conf
ipn() { ip -n "$ap" "$@"; }
src=192.168.10.1
ipn addr replace 198.51.100.2/24 dev wan0
ipn addr replace 192.168.10.1/24 dev lan0
ipn link set wan0 up
ipn link set lan0 up
if grep -q '^segment = separate' "$conf"; then
	ipn addr replace 192.168.20.1/24 dev term0
	ipn link set term0 up
	src=192.168.20.1
fi
ip netns exec "$ap" sysctl -qw net.ipv4.ip_forward=1
ipn route replace default via 198.51.100.1 dev wan0
if grep -q '^type = ipvpn' "$conf"; then
	# IP-VPN: the central prefixes through the carrier's CE router.
	ipn route replace 192.0.2.0/24 via 198.51.100.1 dev wan0 src "$src"
else
	ip netns exec "$ap" "${OQLINK:-./oqlink}" --config "$conf" ipsec up --quiet --timeout 15 >/dev/null 2>&1
fi
