#!/bin/bash
# Stand-in for `oqlink apply` in the probe tests: address the appliance's
# interfaces and route as the lab's site.conf says, and bring the tunnel up.
# Usage (sourced or run): probe_setup.sh  (uses OQL_LAB, OQL_LAB_OUT, OQLINK)
set -u
ap=${OQL_LAB:-oql}-appliance
ipn() { ip -n "$ap" "$@"; }
ipn addr replace 198.51.100.2/24 dev wan0
ipn addr replace 192.168.10.1/24 dev lan0
ipn addr replace 192.168.20.1/24 dev term0
ipn link set wan0 up; ipn link set lan0 up; ipn link set term0 up
ipn route replace default via 198.51.100.1 dev wan0
ip netns exec "$ap" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$ap" "${OQLINK:-./oqlink}" --config "${OQL_LAB_OUT:-lab/out}/site.conf" ipsec up --quiet --timeout 15 >/dev/null 2>&1
