#!/bin/bash
# oqlink monitor and a stale CHILD_SA: the gateway's charon is killed (-9)
# and started again, forgetting every SA while the appliance's IKE_SA and CHILD_SA stay
# "installed" (dead-peer detection set far off, so that only the keeper can
# notice). Nothing passes; reach fails, the CHILD_SA's packets-in counter
# stands still, and the keeper closes the SAs and initiates again, saying
# so once. The recovery time (from the gateway's restart to a ping through
# the tunnel) is measured and printed. TAP; needs root.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
CENTRAL=192.0.2.10	# a central host that answers ping through the tunnel
GOAL=60			# seconds from the stale SA to traffic again
. tests/lib/tap.sh
NT=6
echo "1..$NT"

if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	for _ in $(seq 1 $NT); do skip "needs root and network namespaces"; done
	exit 0
fi

export OQL_LAB=oms$$
. tests/lab/lib/keeper.sh
trap keeper_cleanup EXIT

passes() { ip netns exec "$A" ping -c 1 -W 1 "$CENTRAL" >/dev/null 2>&1; }
# reach results recorded by the keeper so far
reach_results() {
	ox --json history probes --probe reach --since 1h 2>/dev/null | grep -c '"verdict"'
}
STALE='the CHILD_SA is installed but nothing has come in'

keeper_lab_up $NT
sed -i 's/^dpd_delay = .*/dpd_delay = 900/' "$CONF"
cat >> "$CONF" <<EOF

[monitor]
light_interval = 10
reinitiate_after = 5
EOF
OQLINK=$O tests/lab/lib/apply.sh || echo "# apply did not bring the tunnel up"
keeper_start
up_and_passing() { logged 'the keeper has started' && installed && passes; }
desc="the keeper runs and traffic passes through the tunnel"
t wait_for 30 up_and_passing
reach_seen() { [ "$(reach_results)" -ge "$1" ]; }
wait_for 30 reach_seen 1

t0=$(now)
# kill -9: the gateway says nothing to the appliance; started again with its
# connections loaded, it has no SA at all
gw=$(cat "$OQL_LAB_OUT/run/pid.charon-gateway")
kill -9 "$gw"
gone() { ! kill -0 "$gw" 2>/dev/null; }
wait_for 5 gone
lab/lab fault gateway-down on >/dev/null && lab/lab fault gateway-down off >/dev/null
stale_now() { installed && ! passes; }
desc="the gateway forgot its SAs; the appliance's CHILD_SA is still installed and nothing passes"
t stale_now

desc="the keeper finds the stale CHILD_SA and says so"
t wait_for 90 logged "$STALE"
t1=$(now)
echo "# stale CHILD_SA: found $(secs "$t0" "$t1") s after the gateway lost its SAs"

desc="traffic passes again within $GOAL s of the gateway losing its SAs"
wait_for $GOAL passes
t2=$(now)
took=$(secs "$t0" "$t2")
echo "# stale CHILD_SA: traffic again $took s after the gateway lost its SAs"
passed_in_time() { passes && le "$took" "$GOAL"; }
t passed_in_time

desc="a CHILD_SA is installed again"
t installed

# two more light rounds over the new CHILD_SA, then count what was said
r=$(reach_results)
wait_for 60 reach_seen $((r + 2))
desc="said once for the one stale CHILD_SA, not again while the new one works"
t [ "$(count "$STALE")" -eq 1 ]

if [ $failed -ne 0 ]; then
	echo "# monitor log:"; sed 's/^/# /' "$LOG" | tail -40
	echo "# reach and child in the history:"
	ox history probes --since 10m | grep -E ' (reach|child) ' | sed 's/^/# /' | tail -20
fi
exit $failed
