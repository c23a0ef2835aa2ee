#!/bin/bash
# oqlink monitor with its history on a full disk: the history database on a
# small tmpfs of its own (a private mount namespace around the keeper), then
# the rest of that file system filled. The keeper says once that it cannot
# write the history and keeps the tunnel all the same (charon killed -9 is
# loaded and initiated again), probes and tells as before (a failure that
# lasts is told once, not every round); when space is freed it says the
# history can be written again. TAP; needs root.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
. tests/lib/tap.sh
NT=7
echo "1..$NT"

if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	for _ in $(seq 1 $NT); do skip "needs root and network namespaces"; done
	exit 0
fi

export OQL_LAB=omf$$
. tests/lab/lib/keeper.sh
SMALL=$tmp/small	# the tmpfs of the history, seen only by the keeper
mkdir -p "$SMALL"
trap keeper_cleanup EXIT

# A command in the keeper's mount namespace (where the small tmpfs is).
in_mon() { nsenter -t "$(mon_pid)" -m "$@"; }
FULL='cannot write the history (the tunnel is still kept)'

keeper_lab_up $NT
cat >> "$CONF" <<EOF

[monitor]
light_interval = 10
reinitiate_after = 5
EOF
OQLINK=$O tests/lab/lib/apply.sh || echo "# apply did not bring the tunnel up"
ip netns exec "$A" unshare -m --propagation private sh -c \
	"mount -t tmpfs -o size=1m oqlfull '$SMALL' && exec setsid lab/supervise '$MON' '$O' --lang en --config '$CONF' monitor --no-restore --db '$SMALL/monitor.db'" \
	>>"$LOG" 2>&1 </dev/null &
echo $! > "$SUP"
started() { logged 'the keeper has started' && [ -s "$MON" ] && in_mon test -s "$SMALL/monitor.db"; }
desc="the keeper runs with its history on a small file system of its own"
t wait_for 30 started

# fill it: what is left goes to one file (cat ends with ENOSPC)
in_mon sh -c "cat /dev/zero > '$SMALL/fill'" 2>/dev/null
desc="the history cannot be written: said, and the keeper goes on"
t wait_for 60 logged "$FULL"

told0=$(count 'probe ')
c0=$(cat "$OQL_LAB_OUT/run/child.charon-appliance")
kill -9 "$c0"
back() { installed && logged 'charon is back'; }
desc="charon killed -9 while the disk is full: the keeper brings the tunnel back"
t wait_for 30 back

# the probe rounds go on: what charon's death did to a verdict is told
told_after() { [ "$(count 'probe ')" -gt "$1" ]; }
desc="the probes still run and their verdicts are still told"
t wait_for 60 told_after "$told0"

desc="the full disk was said exactly once"
t [ "$(count "$FULL")" -eq 1 ]

# a failure that lasts: one event, though the database cannot keep it
d0=$(count 'probe dns: ')
lab/lab fault dns-down on >/dev/null
# three rounds of probes (each a child of the keeper) after the fault
seen=" "
rounds_seen() {
	local c
	for c in $(pgrep -P "$(mon_pid)"); do
		case "$seen" in *" $c "*) ;; *) seen="$seen$c " ;; esac
	done
	[ "$(echo $seen | wc -w)" -ge 4 ]
}
wait_for 90 rounds_seen
desc="a verdict that stays FAIL on a full disk is told once, not every round"
t [ "$(count 'probe dns: ')" -eq $((d0 + 1)) ]
lab/lab fault dns-down off >/dev/null

in_mon rm -f "$SMALL/fill"
desc="space freed: the keeper says the history can be written again"
t wait_for 60 logged 'the history can be written again'

[ $failed -eq 0 ] || { echo "# monitor log:"; sed 's/^/# /' "$LOG" | tail -40; }
exit $failed
