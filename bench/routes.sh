#!/bin/bash
# Benchmark: installing 1000 central prefixes. oqlink apply of an IP-VPN site
# whose [central] holds 1000 prefixes (routes through the CE router, plus the
# firewall sets and everything else apply does) against a baseline that adds
# the same 1000 routes with an `ip route add` loop, in two fresh namespaces
# side by side in one run. Prints both times and the ratio oqlink / baseline
# (below 1: oqlink is faster). Each side runs ROUNDS times; medians count.
set -u
cd "$(dirname "$0")/.."
OQLINK=${OQLINK:-$PWD/oqlink}
case "$OQLINK" in /*) ;; *) OQLINK=$PWD/$OQLINK ;; esac
ROUNDS=${ROUNDS:-3}
N=${N:-1000}
if [ "$(id -u)" != 0 ] || [ ! -x "$OQLINK" ]; then
	echo "skipped: needs root and $OQLINK"
	exit 0
fi
P=oqbr$(( $$ % 10000 ))
tmp=$(mktemp -d /tmp/oqlink-routes.XXXXXX)
trap 'ip netns del $P-a 2>/dev/null; ip netns del $P-b 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/lib.sh

# A namespace with wan0 and lan0 (veth pairs whose peers stay in it: routes
# to a next hop on a connected subnet install without the CE router there).
mkns() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1"
	ip -n "$1" link add wan0 type veth peer name wanp
	ip -n "$1" link add lan0 type veth peer name lanp
	local l
	for l in wan0 wanp lan0 lanp; do ip -n "$1" link set "$l" up; done
}

# The prefixes: N /24s from 100.64.0.0 up, in lines of 8.
prefixes() {
	local i
	for ((i = 0; i < N; i++)); do
		printf '%d.%d.%d.0/24' 100 $((64 + i / 256)) $((i % 256))
		if ((i == N - 1)); then echo; elif ((i % 8 == 7)); then printf ',\n  '; else printf ', '; fi
	done
}

cat > "$tmp/site.conf" <<CONF
[site]
facility_code = 1312345678
facility_name = ベンチマーク医院

[uplink]
type = ipvpn
interface = wan0
address = 198.51.100.2/24

[ipvpn]
ce_router = 198.51.100.1

[lan]
interface = lan0
address = 192.168.10.1/24

[terminal]
host = 192.168.10.10

[central]
prefixes = $(prefixes)

[paths]
state_dir = $tmp/state
run_dir = $tmp/run
report_dir = $tmp/reports
CONF
"$OQLINK" --lang en config check "$tmp/site.conf" >/dev/null || { echo "bench config is invalid"; exit 1; }

prefixes | tr -d ' \n' | tr ',' '\n' > "$tmp/list"

oq_round() {
	mkns "$P-a"
	local t0 t1
	t0=$(ms)
	ip netns exec "$P-a" "$OQLINK" --config "$tmp/site.conf" apply >/dev/null 2>&1 || { echo fail; return; }
	t1=$(ms)
	local n
	n=$(ip -n "$P-a" route show via 198.51.100.1 | grep -c '^100\.')
	[ "$n" -eq "$N" ] || { echo "fail-$n"; return; }
	echo $((t1 - t0))
	rm -rf "$tmp/state" "$tmp/run"
}

base_round() {
	mkns "$P-b"
	ip -n "$P-b" addr add 198.51.100.2/24 dev wan0
	local t0 t1 p
	t0=$(ms)
	while read -r p; do
		ip -n "$P-b" route add "$p" via 198.51.100.1 dev wan0 || { echo fail; return; }
	done < "$tmp/list"
	t1=$(ms)
	echo $((t1 - t0))
}

for ((r = 0; r < ROUNDS; r++)); do
	a=$(oq_round); b=$(base_round)
	case "$a" in fail*) echo "oqlink apply did not install the $N routes ($a)"; exit 1 ;; esac
	case "$b" in fail*) echo "the baseline could not add the routes"; exit 1 ;; esac
	echo "$a" >> "$tmp/oq"; echo "$b" >> "$tmp/base"
	echo "round $((r + 1)): oqlink apply $a ms, ip route add loop $b ms"
done
oq=$(median < "$tmp/oq"); base=$(median < "$tmp/base")
echo "routes: $N prefixes: oqlink apply ${oq} ms, ip route add loop ${base} ms," \
	"ratio oqlink/baseline $(awk -v a="$oq" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
