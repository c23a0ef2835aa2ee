# The keeper (oqlink monitor) against the lab, for the monitor suites
# (sourced from the top of the tree after tests/lib/tap.sh; needs O and
# OQL_LAB). It makes $tmp, puts the lab's output in it and sets
#   A    the appliance's namespace
#   SUP  the pid file of the supervisor (ours)
#   MON  the pid file of the monitor now running (the supervisor writes it)
#   LOG  the monitor's log
#   CONF the site.conf (the lab's; a suite may name another)
# and offers
#   ox ARGS...            oqlink in the appliance with $CONF
#   installed             our CHILD_SA is INSTALLED
#   logged TEXT, count TEXT  TEXT in the monitor's log, how many times
#   mon_pid               the pid of the monitor now running
#   now, secs T0 T1, le A B  wall clock, T1 - T0, A <= B (fractions)
#   keeper_start ARGS...  the keeper under lab/supervise, as systemd runs it
#   keeper_lab_up N       lab/lab up; when it fails, the end of its log as
#                         TAP comments, N tests skipped, and exit
#   keeper_cleanup        stop the supervisor, take the lab down, remove
#                         $tmp (kept with KEEP set)

tmp=$(mktemp -d)
export OQL_LAB_OUT=$tmp/lab
A=$OQL_LAB-appliance
SUP=$tmp/sup.pid
MON=$tmp/mon.pid
LOG=$tmp/mon.log
CONF=$OQL_LAB_OUT/site.conf
: > "$LOG"

ox() { ip netns exec "$A" "$O" --lang en --config "$CONF" "$@"; }
installed() { ox --json ipsec status 2>/dev/null | grep -q '"INSTALLED"'; }
logged() { grep -q -- "$1" "$LOG"; }
count() { grep -c -- "$1" "$LOG"; }
mon_pid() { cat "$MON" 2>/dev/null; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
le() { [ "$(echo "$1 <= $2" | bc)" = 1 ]; }

keeper_start() {
	ip netns exec "$A" setsid lab/supervise "$MON" "$O" --lang en --config "$CONF" monitor "$@" \
		>>"$LOG" 2>&1 </dev/null &
	echo $! > "$SUP"
}

keeper_lab_up() {
	lab/lab up >"$tmp/up.log" 2>&1 && return 0
	sed 's/^/# /' "$tmp/up.log" | tail -20
	for _ in $(seq 1 "$1"); do skip "the lab did not come up"; done
	exit 0
}

keeper_cleanup() {
	[ -s "$SUP" ] && kill "$(cat "$SUP")" 2>/dev/null
	lab/lab down >/dev/null 2>&1
	[ -n "${KEEP:-}" ] && { echo "# kept $tmp"; return; }
	rm -rf "$tmp"
}
