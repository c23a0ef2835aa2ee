#!/bin/bash
# The whole visit on the screens, against the lab's real peers: the setup
# wizard from nothing (the carrier's values typed in, the PSK and the
# PKCS#12 password typed without echo), apply with the confirm timer, the
# countdown confirmed on the dashboard, every layer PASS, then the
# operational test and its files copied to a "USB stick". Needs root and
# lab/lab; skips without them.
. "$(dirname "$0")/tmux.lib"
if [ "$(id -u)" -ne 0 ] || [ ! -x lab/lab ]; then
	echo "1..0 # SKIP needs root and lab/lab"; exit 0
fi
export OQL_LAB=oqtu$$ OQL_LAB_OUT=$T/lab
trap 'lab/lab down >/dev/null 2>&1; cleanup' EXIT
if ! lab/lab up --mode ipsec --auth psk > "$T/up.log" 2>&1; then
	n=$((n+1)); echo "not ok $n - lab up failed (see $T/up.log)"; tail -5 "$T/up.log" | sed 's/^/# /'; exit 1
fi
L=$OQL_LAB_OUT/site.conf
# a value of the lab's own site.conf: what the carrier's sheet would say
v() { python3 -c '
import configparser, sys
c = configparser.ConfigParser(interpolation=None); c.read(sys.argv[1], encoding="utf-8")
sec = sys.argv[2]
if sec == "probe.tls": sec = [s for s in c.sections() if s.startswith("probe.tls.")][0]
print(" ".join(c[sec][sys.argv[3]].split()))' "$L" "$1" "$2"; }

C=$T/etc/site.conf
mkdir -p "$T/etc"
printf '[paths]\nstate_dir = %s/state\nrun_dir = %s/run\nreport_dir = %s/reports\n' "$T" "$T" "$T" > "$C"

TM new-session -d -s ui -x 80 -y 24 "lab/lab exec appliance $O --lang ja --config $C tui --refresh 0 --screen setup; echo EXIT=\$?; sleep 600"
wait_for "設定 1/7" 80
fill "$(v site facility_code)"; fill "$(v site facility_name)"; fill "$(v site vendor)"
fill "$(v site engineer)"; fill "$(v site witness)"
k n; k Down
fill "$(v uplink interface)"; fill "$(v uplink address)"; fill "$(v uplink gateway)"
# the lab's line has no IPv6: address6 stays at its default
k Down
fill "$(v uplink mtu)"; fill "$(v uplink dns)"
k n
fill "$(v ipsec peer)"; fill "$(v ipsec local_id)"; fill "$(v ipsec remote_id)"
k Right; k Down; k Down
# secrets are typed twice
k Enter; lit "$(cat "$(v ipsec psk_file)")"; k Enter; lit "$(cat "$(v ipsec psk_file)")"; k Enter
fill "$(v ipsec ike_proposals)"; fill "$(v ipsec esp_proposals)"; fill "$(v ipsec dpd_delay)"
k Down; k Down
fill "$(v ipsec tunnel_mtu)"; fill "$(v ipsec vici_socket)"
shot lab-1-carrier
k n
fill "$(v lan interface)"; fill "$(v lan address)"; fill "$(v lan management)"
# past PPPoE pass-through, the segment starts at the config's default
# (lan): the lab's is separate
k Down; k Right; k Down
fill "$(v terminal interface)"; fill "$(v terminal address)"; fill "$(v terminal host)"
fill "$(v terminal lan_ports)"
k n
fill "$(v central prefixes)"; fill "$(v central dns)"; fill "$(v central ntp)"; fill "$(v central proxy)"
k n
fill "$(v probe dns_names)"; fill "$(v probe ping)"; fill "$(v probe tcp)"
k Down
fill "$(v probe.tls host)"; fill "$(v probe.tls port)"; fill "$(v probe.tls ca)"
fill "$(v probe.tls client_p12)"
fill "$(v probe.tls client_ca)"
k Down
k Enter; lit "$(cat "$(v probe.tls password_file)")"; k Enter; lit "$(cat "$(v probe.tls password_file)")"; k Enter
shot lab-2-probes
k n
t "the wizard filled from the carrier's values has no problem" has "OK 問題はありません"
shot lab-3-review
k w
wait_for "OK 保存しました" 30
checks() { $O --lang en config check "$C" >/dev/null 2>&1; }
t "oqlink config check accepts what the wizard wrote" checks
secret_ok() { [ "$(stat -c %a "$T/etc/ike.psk")" = 600 ] && cmp -s "$T/etc/ike.psk" "$(v ipsec psk_file)"; }
t "the PSK typed without echo is in a 0600 file" secret_ok

k a
wait_for "[完了" 300
t "apply from the review page succeeds" has "[完了 OK"
shot lab-4-applied
k d
wait_for "確認待ち" 50
t "the dashboard shows the confirm countdown" matches '確認待ち: あと [0-9]+ 秒'
shot lab-5-countdown
k y
wait_for "最後の適用: #" 100
t "y on the dashboard confirms the apply" matches '最後の適用: #[0-9]+ confirmed'
k e
wait_re '確認 [0-9]{2}:[0-9]{2}' 300
shot lab-6-dashboard-pass
nopcap() { ! ls "$T"/run/capture-*.pcap >/dev/null 2>&1; }
t "the dashboard's run writes no pcap into the run dir" nopcap
# the same run from the command line, in the same namespace
lab/lab exec appliance $O --json --lang en --config "$C" probe > "$T/cli.json" 2>/dev/null
cap > "$T/dash.txt"
# The layer rows on screen (the first ones, up to the blank line): the
# registry's probes in its order, as the command line's results are.
layers_as_cli() {	# each row carries the command line's verdict, in order
	python3 - "$T/cli.json" "$T/dash.txt" <<'PY'
import json, sys
res = [r for r in json.load(open(sys.argv[1]))["results"] if r["id"] != "capture"]
lines = open(sys.argv[2]).read().split("\n")[6:]
rows = lines[:lines.index("")] if "" in lines else lines
bad = [(r["id"], row) for r, row in zip(res, rows) if f" {r['verdict']} " not in row]
print("# differ:", bad) if bad else None
sys.exit(1 if bad or len(rows) < 10 else 0)
PY
}
t "every layer on the dashboard has the verdict oqlink --json probe gives" layers_as_cli
# on the IPv4 lab every row is PASS but the two IPv6 ones, which SKIP
all_pass() {
	local rows; rows=$(sed -n '7,$p' "$T/dash.txt" | sed '/^$/q')
	[ "$(grep -cE ' +PASS ' <<< "$rows")" -ge 10 ] &&
		[ "$(grep -E ' +(SKIP|WARN|FAIL|ERROR) ' <<< "$rows" | grep -cv '^IPv6 ')" -eq 0 ]
}
t "all layers from link to path MTU are PASS, the IPv6 ones SKIP" all_pass
overall_words() {
	local o; o=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["overall"])' "$T/cli.json")
	grep -q "全体: $o " "$T/dash.txt"
}
t "the overall state on the dashboard is the command line's, in words" overall_words
k l
shot lab-6-dashboard-pass-en
k l

k r
k Down; k Down; k Down
fill "$T/usb"
k t
wait_for "[完了" 600
ran() { matches '\[完了 (OK|NG 終了コード 1)'; }
t "the operational test runs to its end from the report screen (exit 0 or 1 by its verdict)" ran
t "the report screen counts the files it wrote" matches '書いたファイル: [0-9]+ 個'
shot lab-7-report
k u
wait_for "に写しました" 100
copied() { ls "$T/usb"/oqlink-report-*.html "$T/usb"/oqlink-report-*.json "$T/usb"/capture-*.pcap >/dev/null 2>&1; }
t "u copies the report and its pcap to the chosen directory" copied
cp "$T"/usb/oqlink-report-*.txt "$ART/lab-report.txt" 2>/dev/null
# long actions: live seconds, and cancel (the tunnel drops ESP, so the
# probes behind it wait for their timeouts)
lab/lab fault drop-esp on >/dev/null 2>&1
k p; k a; sleep 1.5
t "while the probes run the header counts the seconds in words" matches '\[実行中 [0-9]+ 秒'
shot lab-8-probes-running
k x
wait_for "[中止" 100
t "x cancels the probe run" has "[中止 全体:"
t "what had not finished is SKIP after the cancel" matches ' SKIP '
shot lab-9-probes-cancelled
lab/lab fault drop-esp off >/dev/null 2>&1

k i
wait_for "[完了" 100
t "the IPsec screen shows oqlink ipsec status" matches 'IKE_SA oqlink #[0-9]+: ESTABLISHED'
shot lab-10-ipsec-status
k o; sleep 1.5
t "o follows charon's log live" has "[実行中"
k x
wait_for "[中止しました]" 50
t "x stops the log" has "[中止しました]"
shot lab-11-ipsec-log
# the keys that act on the tunnel: n down, u up, g diagnose (which closes
# and re-opens it); each shows the command's own words
established() { lab/lab exec appliance $O --json --config "$C" ipsec status 2>/dev/null | grep -q '"ESTABLISHED"'; }
closed() { ! established; }
k n
wait_for "を閉じました" 150
t "n on the IPsec screen closes the tunnel" has "を閉じました"
t "... and charon has no IKE_SA left" closed
k u
wait_for "を確立しました" 300
t "u on the IPsec screen brings the tunnel up" has "を確立しました"
t "... and charon has it established" established
k g
wait_for "所要時間:" 300
t "g on the IPsec screen shows the diagnosis" matches '\[OK\] .*|次の手順:'
shot lab-12-ipsec-diagnose

k q; k y
wait_for "EXIT=" 50
t "quits with exit 0" has "EXIT=0"
done_tests
