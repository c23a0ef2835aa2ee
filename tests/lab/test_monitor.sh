#!/bin/bash
# oqlink monitor against the lab: restore after a "reboot", the tunnel kept
# through an outage and a charon kill -9, verdict events without spam,
# certificate alarms once, a database that survives kill -9, one keeper per
# state dir, SIGHUP with a broken config, SIGTERM leaving the tunnel up.
#
# OUTAGE (seconds, default 60) is how long UDP 500/4500 is dropped: longer
# than the lab charon's dead-peer detection gives up (dpd_delay 30 s plus
# about 7 s of retransmissions), so that the keeper's watchdog has to act.
# The measured figures are printed as TAP comments ("# ...").
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
OUTAGE=${OUTAGE:-60}
. tests/lib/tap.sh
NT=28
echo "1..$NT"

if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	for _ in $(seq 1 $NT); do skip "needs root and network namespaces"; done
	exit 0
fi

export OQL_LAB=omn$$
. tests/lab/lib/keeper.sh
CONF=$tmp/mon.conf
SYSLOG=$tmp/syslog.txt
listener= listener_tcp=
cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	[ -n "$listener_tcp" ] && kill "$listener_tcp" 2>/dev/null
	keeper_cleanup
}
trap cleanup EXIT

not_installed() { ! installed; }

stop_monitor() {
	local p
	p=$(cat "$SUP" 2>/dev/null) || return 0
	kill "$p" 2>/dev/null
	wait_for 10 bash -c "! kill -0 $p 2>/dev/null"
	rm -f "$SUP"
}
started() { [ "$(count 'the keeper has started')" -ge "$1" ]; }
# charon was killed and its supervisor started a new one that answers
charon_new() {
	local now
	now=$(cat "$OQL_LAB_OUT/run/child.charon-appliance" 2>/dev/null)
	[ -n "$now" ] && [ "$now" != "$1" ] &&
		swanctl --stats --uri "unix://$OQL_LAB_OUT/appliance/charon.vici" >/dev/null 2>&1
}
restored() {
	ip netns exec "$A" nft list tables | grep -q oqlink &&
		ip -n "$A" -4 addr show wan0 | grep -q 198.51.100.2 && installed
}
history_has() {	# probe verdict since
	ip netns exec "$A" "$O" --config "$CONF" --json history probes --probe "$1" --since "$3" |
		grep -q "\"verdict\": *\"$2\""
}
running() { local p; p=$(mon_pid); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

keeper_lab_up $NT
OQLINK=$O tests/lab/lib/apply.sh || echo "# apply did not bring the tunnel up"
cp "$OQL_LAB_OUT/site.conf" "$CONF"
cat >> "$CONF" <<EOF

[monitor]
light_interval = 10
heavy_interval = 60
reinitiate_after = 5
syslog = udp://127.0.0.1:5514
EOF
# a syslog server on the appliance's loopback: one line per datagram
ip netns exec "$A" python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 5514))
while True:
    d = s.recv(65535)
    sys.stdout.write(d.decode("utf-8", "replace").replace("\n", " ") + "\n")
' > "$SYSLOG" 2>/dev/null &
listener=$!
# and one over TCP that checks the octet counting (RFC 6587) of each frame
ip netns exec "$A" python3 -u -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 5515))
s.listen(4)
while True:
    c, _ = s.accept()
    buf = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        buf += d
        while b" " in buf:
            n, rest = buf.split(b" ", 1)
            if not n.isdigit():
                print("BAD FRAME")
                buf = b""
                break
            if len(rest) < int(n):
                break
            print(rest[:int(n)].decode("utf-8", "replace"))
            buf = rest[int(n):]
' > "$SYSLOG.tcp" 2>/dev/null &
listener_tcp=$!

# ---------------------------------------------------------------- reboot
# Everything the host forgets at a power cut: addresses, routes, ruleset,
# charon's state (killed: its supervisor starts it empty) and /run.
for d in wan0 lan0 term0; do ip -n "$A" addr flush dev "$d"; done
ip -n "$A" route flush table main
ip netns exec "$A" nft flush ruleset
rm -rf "$OQL_LAB_OUT/state/run"
old=$(cat "$OQL_LAB_OUT/run/child.charon-appliance")
kill -9 "$old"
wait_for 10 charon_new "$old"
t0=$(now)
keeper_start
desc="after a reboot the monitor restores the confirmed apply, the firewall first"
t wait_for 20 logged 'the state of apply #1 is back'
desc="the firewall, the addresses and the tunnel are back"
t wait_for 30 restored
echo "# reboot: tunnel installed $(secs "$t0" "$(now)") s after the monitor started"

desc="probe results reach the history (oqlink history probes --json)"
t wait_for 60 history_has reach PASS 10m

desc="a second monitor on the same state dir is refused (exit 3)"
ox monitor >"$tmp/second.out" 2>&1
rc=$?
t [ $rc -eq 3 ] && grep -q 'another oqlink monitor runs' "$tmp/second.out"

# ---------------------------------------------------------------- outage
desc="while the path is cut the watchdog initiates again"
wait_for 30 installed
lab/lab fault block-ike on >/dev/null
t wait_for $((OUTAGE + 30)) logged 'initiating the tunnel again'
# keep the path cut for OUTAGE seconds in all
sleep_until=$((SECONDS + OUTAGE - 0))
while [ $SECONDS -lt $sleep_until ]; do sleep 1; done
desc="several light probe rounds ran during the outage (ike FAIL recorded more than once)"
fails=$(ip netns exec "$A" "$O" --config "$CONF" --json history probes --probe ike --since 5m |
	grep -c '"verdict": *"FAIL"')
t [ "$fails" -ge 2 ]
lab/lab fault block-ike off >/dev/null
t0=$(now)
desc="after an outage of $OUTAGE s the CHILD_SA is back within 30 s of the path returning"
wait_for 60 installed
back=$(secs "$t0" "$(now)")
echo "# outage $OUTAGE s: CHILD_SA installed $back s after the path returned"
t le "$back" 30
desc="ike and reach went PASS -> FAIL and back: one event each, not one per round"
wait_for 40 logged 'probe reach: FAIL -> PASS'
wait_for 20 logged 'probe ike: FAIL -> PASS'
t [ "$(count 'probe reach: PASS -> FAIL')" -eq 1 ] && [ "$(count 'probe reach: FAIL -> PASS')" -eq 1 ] &&
	[ "$(count 'probe ike: PASS -> FAIL')" -eq 1 ] && [ "$(count 'probe ike: FAIL -> PASS')" -eq 1 ]
desc="the events reached the remote syslog as RFC 5424 with structured data"
t grep -q '^<[0-9]*>1 [0-9T:.-]*Z [^ ]* oqlink [0-9]* verdict \[oqlink@32473 probe="reach" verdict="FAIL"\]' "$SYSLOG"

# ---------------------------------------------------------------- charon kill -9
old=$(cat "$OQL_LAB_OUT/run/child.charon-appliance")
kill -9 "$old"
t0=$(now)
wait_for 10 charon_new "$old"
tc=$(now)
desc="after charon kill -9 the tunnel is back within 10 s of charon"
wait_for 30 installed
back=$(secs "$tc" "$(now)")
echo "# charon kill -9: charon answered after $(secs "$t0" "$tc") s, CHILD_SA installed $back s later"
t le "$back" 10
desc="the monitor said that charon went away and came back"
t logged 'charon is back: loading the credentials'

# ---------------------------------------------------------------- SIGHUP
cp "$CONF" "$tmp/good.conf"
echo "pear = 1" >> "$CONF"
kill -HUP "$(mon_pid)"
desc="SIGHUP with a broken config keeps the old one and names the problem"
t wait_for 10 bash -c "grep -q 'keeping the old one' $LOG && grep -q \"unknown key 'pear'\" $LOG"
desc="the monitor is still the same process after the broken reload"
pid=$(mon_pid)
t kill -0 "$pid"

# ---------------------------------------------------------------- certificates
sed -e "s|^certificate = .*|certificate = $OQL_LAB_OUT/broken/ike-expiring.crt|" \
    -e "s|^syslog = .*|syslog = tcp://127.0.0.1:5515|" "$tmp/good.conf" > "$CONF"
kill -HUP "$pid"
desc="an IKE certificate that expires in 20 days raises one alarm"
t wait_for 20 logged 'IKE certificate .* expires in 19\|IKE certificate .* expires in 20'
desc="the alarm reached the syslog server over TCP, octet-counted"
t wait_for 10 grep -q '^<[0-9]*>1 [^ ]* [^ ]* oqlink [0-9]* cert \[oqlink@32473 probe="cert" verdict="WARN"\] .*IKE certificate' "$SYSLOG.tcp"
desc="the tunnel stays up with the renewed certificate"
t wait_for 30 installed
kill -TERM "$pid"	# the supervisor starts a new one
desc="after a restart the same alarm is not given again"
wait_for 30 started 2
# the new keeper checks the certificates before its first heavy round
wait_for 60 history_has cert PASS 30s
t [ "$(count 'expires in')" -eq 1 ]

# ---------------------------------------------------------------- kill -9 mid-write
desc="kill -9 of the monitor while it writes leaves an intact database"
c0=$(count 'the keeper has started')
for i in 1 2 3 4 5; do
	wait_for 20 running
	sleep "0.$((RANDOM % 9 + 1))"
	kill -9 "$(mon_pid)" 2>/dev/null
	sleep 0.6
done
wait_for 30 started $((c0 + 1))
wait_for 20 running
t [ "$(sqlite3 "$OQL_LAB_OUT/state/monitor.db" 'PRAGMA integrity_check')" = ok ]
desc="and the history is still readable by oqlink"
history_reads() { ip netns exec "$A" "$O" --config "$CONF" history probes --since 1h >/dev/null; }
t history_reads

# ---------------------------------------------------------------- confirm timer
# The keeper owns the countdown of apply --confirm: its watcher killed, the
# apply is reverted at the deadline all the same.
sed 's/^tunnel_mtu = .*/tunnel_mtu = 1380/' "$tmp/good.conf" > "$tmp/mtu.conf"
ip netns exec "$A" "$O" --lang en --config "$tmp/mtu.conf" apply --confirm 5 >/dev/null 2>&1
watcher=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$OQL_LAB_OUT/state/run/confirm.json" 2>/dev/null)
desc="apply --confirm 5 waits for confirmation; its watcher is killed"
t [ -n "$watcher" ] && kill -9 "$watcher"
desc="with its watcher killed, an unconfirmed apply is reverted by the monitor at the deadline"
t wait_for 15 logged 'was not confirmed in time and has been reverted'
desc="and the firewall is the confirmed one again"
same_fw() { ip netns exec "$A" "$O" --lang en --config "$tmp/good.conf" plan 2>/dev/null | grep -q 'nothing to change'; }
t wait_for 10 same_fw

# ---------------------------------------------------------------- SIGTERM
desc="SIGTERM ends the monitor cleanly and leaves the tunnel up"
stop_monitor
t logged 'the keeper stops (the tunnel stays up)' && installed

# ---------------------------------------------------------------- lost confirm window
# An apply waiting for confirmation when the power goes: at the next start
# it counts as not confirmed and the confirmed state comes back.
cp "$tmp/good.conf" "$CONF"
sed -i 's/^tunnel_mtu = .*/tunnel_mtu = 1380/' "$CONF"
ox apply --confirm 300 >/dev/null 2>&1
watcher=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$OQL_LAB_OUT/state/run/confirm.json" 2>/dev/null)
[ -n "$watcher" ] && kill -9 "$watcher"
rm -rf "$OQL_LAB_OUT/state/run"
cp "$tmp/good.conf" "$CONF"
: > "$LOG"
keeper_start
desc="a pending apply whose confirm window was lost is reverted at start"
t wait_for 30 logged 'counts as not confirmed and has been reverted'
desc="the history marks it reverted"
t bash -c "ip netns exec $A $O --lang en --config $CONF history | grep -q reverted"
stop_monitor

# ---------------------------------------------------------------- unwritable history
: > "$LOG"
keeper_start --db /nonexistent/dir/monitor.db --no-restore
desc="an unwritable history is said once and the keeper keeps going"
t wait_for 30 started 1
desc="the tunnel is still kept (back after charon kill -9) without a history"
old=$(cat "$OQL_LAB_OUT/run/child.charon-appliance")
kill -9 "$old"
wait_for 10 charon_new "$old"
t wait_for 30 installed
desc="the history failure was said exactly once"
t [ "$(count "cannot open the keeper's history")" -eq 1 ]
stop_monitor

[ $failed -eq 0 ] || { echo "# monitor log:"; sed 's/^/# /' "$LOG" | tail -40; }
exit $failed
