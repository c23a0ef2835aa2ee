#!/bin/bash
# The dashboard with and without a running keeper. The keeper is the real
# `oqlink monitor`, in a network namespace of its own (unshare -n: only a
# loopback, nothing leaves the machine); its database is first given a day
# of history through monitor.h's own writers (build/asan/tools/mon_fill).
. "$(dirname "$0")/tmux.lib"
FILL=$PWD/build/asan/tools/mon_fill
C=$T/site.conf
S=$T/state
mkdir -p "$S"
if ! unshare -n true 2>/dev/null; then
	n=$((n+1)); echo "ok $n # SKIP unshare -n is not allowed here"; done_tests
fi
if [ ! -x "$FILL" ]; then
	n=$((n+1)); echo "not ok $n - $FILL is missing (make unit-bins)"; done_tests
fi

# the terminal's client certificate expires in 20 days (as the lab's
# expiring one); a second one in 5
cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$1" \
		-subj "/O=Example Clinic/CN=terminal-01" -keyout "$T/k$1.pem" -out "$T/c$1.pem" 2>/dev/null
	cat "$T/k$1.pem" "$T/c$1.pem" > "$T/terminal$1.pem"
}
cert 20; cert 5
conf() {
	cp tests/data/config/valid/ipvpn.conf "$1"
	printf '\n[paths]\nstate_dir = %s\nrun_dir = %s/run\nreport_dir = %s/reports\n' "$S" "$T" "$T" >> "$1"
	printf '\n[probe.tls.hweb]\nhost = hweb.example\nca = %s\nclient_p12 = %s\n' "$T/c$2.pem" "$T/terminal$2.pem" >> "$1"
}
conf "$C" 20
conf "$T/five.conf" 5

# --refresh 1: without a keeper the dashboard probes by itself every second
start 100 30 --lang ja --config "$C" tui --refresh 1 --screen dashboard
t "without a keeper the dashboard says so in one line" wait_for "見張り (oqlink monitor) は動いていません" 50
t "and runs its own probe loop as before" wait_re "全体: (確認中|ERROR|FAIL)" 50
shot monitor-ja-none
TM kill-session -t ui

# a day of reach, PASS every 30 min but FAIL between 4 and 5 h ago; an
# address result 20 min old (a probe the keeper does not run)
{
	for k in $(seq 0 47); do
		v=PASS; { [ "$k" = 8 ] || [ "$k" = 9 ]; } && v=FAIL
		echo "result $((15 + 30 * k)) reach $v 損失 0%, 平均 3.2 ms"
	done
	echo "result 20 address PASS the address is as expected"
} | "$FILL" "$S/monitor.db"
t "the history was written" test -s "$S/monitor.db"

unshare -n "$O" --lang en --config "$C" monitor --no-restore > "$T/monitor.log" 2>&1 &
KEEPER=$!
stop_keeper() { kill "$KEEPER" 2>/dev/null; wait "$KEEPER" 2>/dev/null; }
trap 'stop_keeper; cleanup' EXIT
# (flock(1) would create a missing lock file: wait for the keeper's own)
held() { [ -e "$S/monitor.lock" ] && ! flock -n "$S/monitor.lock" true 2>/dev/null; }
waited() { for ((i = 0; i < 100; i++)); do "$@" && return 0; sleep 0.1; done; return 1; }
t "the keeper holds its lock" waited held
started() { grep -q "keeper has started" "$T/monitor.log"; }
t "the keeper has started" waited started

start 100 30 --lang ja --config "$C" tui --refresh 1 --screen dashboard
t "with a keeper the dashboard says it runs and what it did last" wait_re "見張り: 動作中  最後の動作 [0-9-]+ [0-9:]+ \([0-9]+ 秒前\): 見張りを始めました" 50
shot monitor-ja-running
t "the reach strip shows the FAIL hour 4 h ago (24 cells of 60 min)" \
	matches "^到達性 +[A-Z]+ +[0-9]+ (秒|分)前 +o{19}Xo{3}.  "
t "the age of a result the keeper did not renew" matches "^アドレス +PASS +20 分前 "
t "the certificate banner at 20 days" matches "^! 証明書の期限まであと (19|20) 日: 端末のクライアント証明書"
t "reach's loss and round trip" matches "^到達性 \(損失・往復時間\): "
# the dashboard's own loop would show the overall row within a second
noloop() {
	for ((i = 0; i < 30; i++)); do
		has "全体:" && return 1
		sleep 0.1
	done
	return 0
}
t "no probe loop of its own while the keeper runs (--refresh 1, 3 s)" noloop
# oqlink status says the same
"$O" --lang en --config "$C" status > "$T/status.txt" 2>&1
t "oqlink status says the monitor runs" grep -q "^monitor: running" "$T/status.txt"
t "oqlink status gives its last action" grep -qE "^monitor's last action: .*\([0-9]+ s ago\) the keeper has started" "$T/status.txt"
t "oqlink status gives the latest verdicts with their ages" grep -qE "^  address +PASS +20 min ago +the address is as expected" "$T/status.txt"
"$O" --json --config "$C" status > "$T/status.json" 2>&1
status_json() {
	python3 - "$T/status.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["monitor"]
latest = {e["probe"]: e for e in m["latest"]}
ok = (m["running"] and m["last_action"]["kind"] == "start"
      and latest["address"]["verdict"] == "PASS" and 1200 <= latest["address"]["age_s"] < 1500
      and latest["reach"]["age_s"] < 60)
sys.exit(0 if ok else 1)
PY
}
t "oqlink --json status: running, last action, verdicts and ages" status_json

k Enter
t "Enter still runs the probes once" wait_re "全体: (確認中|ERROR|FAIL)" 50

# wide: 48 cells of 30 min
start 120 30 --lang en --config "$C" tui --refresh 0 --screen dashboard
t "in English, 48 cells of 30 min: the FAIL hour is two cells" \
	wait_re "^reachability +[A-Z]+ +[0-9]+ (s|min) ago +o{38}XXo{7}.  " 50
t "ages in English" matches "^addresses +PASS +20 min ago "
t "the banner in English" matches "^! Certificate expires in (19|20) days: the terminal's client certificate"
shot monitor-en-running

start 100 30 --lang ja --config "$T/five.conf" tui --refresh 0 --screen dashboard
t "a stronger banner from 7 days" wait_re "^!!! 証明書の期限まであと [45] 日: 端末のクライアント証明書" 50
shot monitor-ja-five

# not root: the keeper's 0600 lock cannot be opened, so the screen cannot tell
if command -v setpriv >/dev/null; then
	chmod 755 "$T" "$S"; chmod 644 "$C"
	O="env ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=65534 --regid=65534 --clear-groups $O" \
		start 100 30 --lang en --config "$C" tui --refresh 0 --screen dashboard
	t "not root, it says it cannot tell whether the monitor runs" \
		wait_for "Cannot tell whether the monitor (oqlink monitor) runs" 50
	t "rather than that it is not running" hasnt "is not running"
	shot monitor-en-not-root
fi

start 100 30 --lang ja --config "$C" tui --refresh 0 --screen dashboard
stop_keeper
t "a stopped keeper is seen within the reload time" wait_for "見張り (oqlink monitor) は動いていません" 100
"$O" --json --config "$C" status > "$T/status.json" 2>&1
stopped() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["monitor"]["running"])' "$T/status.json"; }
t "oqlink --json status: not running after it stopped" stopped
done_tests
