#!/bin/bash
# The probes screen and the dashboard against the real probe runner, in a
# network namespace of its own (unshare -n: only a loopback, so nothing
# leaves the machine and every probe fails fast and honestly). The verdicts
# on the screen must be exactly those `oqlink --json probe` gives.
. "$(dirname "$0")/tmux.lib"
C=$T/site.conf
cp tests/data/config/valid/ipvpn.conf "$C"
printf '\n[paths]\nstate_dir = %s/state\nrun_dir = %s/run\nreport_dir = %s/reports\n' "$T" "$T" "$T" >> "$C"
if ! unshare -n true 2>/dev/null; then
	n=$((n+1)); echo "ok $n # SKIP unshare -n is not allowed here"; done_tests
fi

TM new-session -d -s ui -x 80 -y 24 "unshare -n $O --lang ja --config $C tui --refresh 0 --screen probes; echo EXIT=\$?; sleep 600"
wait_for "oqlink" 50
t "before a run the screen lists the registry" has "lineauth"
shot probes-ja-before
k a
wait_for "[完了" 100
t "a runs every probe and the header says when it is done" has "[完了 全体: ERROR"
shot probes-ja-done
rows_ok() { cap | grep -qE '^link +リンク +FAIL'; }
t "link is FAIL in a namespace without wan0" rows_ok
aligned() {
	local out; out=$(columns 5 17 | awk '{print $1, $2, $3}' | sort -u)
	[ "$(wc -l <<<"$out")" -eq 1 ]
}
t "id, title and verdict columns line up by display width" aligned

# the same verdicts as the command line, probe by probe
unshare -n $O --json --lang en --config "$C" probe > "$T/cli.json" 2>/dev/null
cap > "$T/screen.txt"
same() {
	python3 - "$T/cli.json" "$T/screen.txt" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
screen = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) >= 3 and f[0].isidentifier():
        screen[f[0]] = line
bad = [r["id"] for r in d["results"] if r["id"] not in screen or r["verdict"] not in screen[r["id"]]]
sys.exit(1 if bad or not d["results"] else 0)
PY
}
t "each verdict on the screen is the one 'oqlink --json probe' gives" same

k Down; k Enter
details() { has "対処:" && has "wan0: missing"; }
t "Enter shows the details: the remedy and the evidence" details
shot probes-ja-details
k Escape
k l
t "the list in English after l" has "[DONE overall: ERROR"
shot probes-en-done
k l

k d
t "the dashboard shows the link layer from the same run" matches '^リンク +FAIL'
t "the dashboard says the overall state in words" has "全体: ERROR 異常があります"
nomatch() { ! matches "$1"; }
t "IKE, which an IP-VPN line does not use, is not among its layers" nomatch '^IKE '
t "every probe of the registry that applies is a layer (IPv6 too)" matches '^IPv6 アドレス +[A-Z-]+'
whole_link() { has "リンク: インターフェース wan0 が存在しないか、リンクが上がっていません" && has "対処:"; }
t "below the layers, the selected layer's whole summary and remedy" whole_link
shot dashboard-ja-probed
k Down
t "Down selects the next layer" has "アドレス: "
before=$(cap | grep -o '確認 [0-9:]*' | head -1)
sleep 1.2
k e
# the run ends when a newer check time shows (bounded: 10 s)
for ((i = 0; i < 100; i++)); do
	after=$(cap | grep -o '確認 [0-9:]*' | head -1)
	[ -n "$after" ] && [ "$after" != "$before" ] && break
	sleep 0.1
done
again() { [ -n "$before" ] && [ -n "$after" ] && [ "$before" != "$after" ]; }
t "e on the dashboard checks again ($before, then $after)" again
k q
wait_for "EXIT=0" 50
t "q quits with exit 0" has "EXIT=0"
done_tests
