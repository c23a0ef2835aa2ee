#!/bin/bash
# The options of every command: one parser from the command table. A bad
# value is refused with exit 2 and a sentence naming the option and the
# value (in both languages); --help of each command lists every option its
# usage line names; what each command accepted before it still accepts; the
# options for oqlink's own use are taken but shown by no help.
# "CMD ARGS --help" parses ARGS in full and then prints the help (exit 0)
# instead of running, so acceptance is tested without root's effects.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The commands of the table, from 'oqlink help': a name is one word or two,
# as the usage line of 'oqlink help W1 W2' tells.
cmds=()
while read -r w1 w2 _; do
	case "$($O --lang en help "$w1" "$w2" 2>/dev/null | head -1)" in
	"usage: oqlink $w1 $w2"*) cmds+=("$w1 $w2") ;;
	*) cmds+=("$w1") ;;
	esac
done < <($O --lang en help | awk '/^Commands:/{on=1; next} /^$/{on=0} on && /^  [a-z]/')

# Bad values: command words, option, value, what the message must say.
bad=(
	"ipsec up|--timeout|abc|--timeout takes a length of time from 1s to 10m"
	"ipsec up|--level|9|--level takes a whole number from 0 to 4: '9'"
	"ipsec down|--timeout|601|from 1s to 10m"
	"ipsec log|--timeout|0|from 1s to 10m"
	"ipsec log|--level|-1|0 to 4: '-1'"
	"ipsec diagnose|--timeout|5x|a bare number is seconds"
	"probe|--timeout|abc|a bare number is milliseconds"
	"probe|--total-timeout|-5|from 0s to 1d"
	"probe|--out||--out needs a path"
	"test|--timeout|0|--timeout takes a length of time from 1s to 24d"
	"report render|--number|0|--number takes a whole number from 1 to 999999: '0'"
	"report render|--print|pdf|--print takes one of html, json, text: 'pdf'"
	"report export|--report-dir||--report-dir needs a path"
	"apply|--confirm|4|--confirm takes a length of time from 5s to 1d"
	"tui|--refresh|2d|--refresh takes a length of time from 0s to 1d"
	"history probes|--since|24|with its unit"
	"monitor|--db||--db needs a path"
)
echo "1..$(( ${#bad[@]} + ${#cmds[@]} * 2 + 14 ))"

for b in "${bad[@]}"; do
	IFS='|' read -r cmd opt val msg <<< "$b"
	desc="$cmd $opt '$val' exits 2 and names the option and the value"
	# shellcheck disable=SC2086
	$O --lang en $cmd "$opt" "$val" >"$tmp/o" 2>"$tmp/e"
	rc=$?
	t eval "[ $rc -eq 2 ] && grep -qF -- \"\$msg\" $tmp/e && grep -qF -- \"'\$val'\" $tmp/e || grep -qF -- 'needs a path' $tmp/e && [ $rc -eq 2 ] && [ ! -s $tmp/o ]"
done

for c in "${cmds[@]}"; do
	desc="$c: an unknown option exits 2 and names the command and the option"
	# shellcheck disable=SC2086
	$O --lang en $c --no-such-option >/dev/null 2>"$tmp/e"
	rc=$?
	t eval "[ $rc -eq 2 ] && grep -qF \"'$c' has no option '--no-such-option'; see 'oqlink help $c'\" $tmp/e"

	desc="$c --help lists every option of its usage line, as help does"
	# shellcheck disable=SC2086
	$O --lang en $c --help >"$tmp/h" 2>&1
	rc=$?
	$O --lang en help $c >"$tmp/h2" 2>&1
	usage=$(head -1 "$tmp/h")
	ok=1
	[ $rc -eq 0 ] && [ "${usage#usage: oqlink $c}" != "$usage" ] && cmp -s "$tmp/h" "$tmp/h2" || ok=0
	for o in $(grep -oE '\[--[a-z-]+' <<< "$usage" | cut -c2-); do
		grep -qE "^  (-[a-zA-Z], )? *$o( |$)" "$tmp/h" || { ok=0; echo "# $c: $o not listed"; }
	done
	t [ $ok -eq 1 ]
done

# The options each command's usage named before the table, still listed.
desc="every option the old usage lines named is in the help of its command"
missing=""
while IFS='|' read -r cmd opts; do
	# shellcheck disable=SC2086
	h=$($O --lang en $cmd --help)
	for o in $opts; do grep -qE "^  (-[a-zA-Z], )? *$o( |$)" <<< "$h" || missing="$missing $cmd:$o"; done
done <<'EOF'
apply|--confirm
history probes|--since --probe --db
ipsec diagnose|--ping --timeout --level --quiet --yes
ipsec down|--unload --level --quiet --timeout
ipsec log|--level --group --timeout
ipsec proposals|--ike --esp
ipsec up|--level --quiet --timeout
monitor|--db --no-restore
probe|--list --timeout --total-timeout --out
report export|--report-dir
report render|--report-dir --engineer --witness --time --hostname --pcap --print --number --start --terminal --checked --note --followup
test|--report-dir --engineer --witness --timeout --start --terminal --checked --note --followup
tui|--screen --no-color --refresh
help|--man
EOF
t [ -z "$missing" ]
[ -n "$missing" ] && echo "# missing:$missing"

# What the commands accepted before (the forms scripts and tests use), and
# the new lengths of time with a unit.
accept() { $O --lang en "$@" --help >/dev/null 2>"$tmp/e"; }
desc="ipsec up/down/log/diagnose accept their old options and short letters"
t eval 'accept ipsec up --quiet --timeout 15 && accept ipsec up -q -l 3 -t 20 &&
	accept ipsec down --unload --level 1 -q --timeout 10 &&
	accept ipsec log --level 2 --group IKE,CFG --timeout 5 && accept ipsec log -g IKE -t5 &&
	accept ipsec diagnose --yes --timeout 8 --ping 192.0.2.1 && accept ipsec diagnose -y -p 192.0.2.1 -l 2 -q'
desc="ipsec proposals accepts --ike, --esp, -i and -e with proposals"
t eval 'accept ipsec proposals --ike aes128-sha256-x25519 && accept ipsec proposals aes128gcm128 --esp && accept ipsec proposals -i x && accept ipsec proposals -e x'
desc="probe accepts ids, --list, bare milliseconds, -t/-T/-o"
t eval 'accept probe link dns --timeout 3000 --total-timeout 60000 --out /tmp && accept probe -l && accept probe -t 500 -T 1000 -o /tmp ike && accept probe --timeout 0'
desc="test and report render accept every option of the day"
t eval 'accept test --report-dir /tmp --engineer E --witness W --timeout 60 --start @0 --terminal T --checked install --note N --followup F &&
	accept report render run.json --report-dir /tmp --engineer E --witness W --time @1 --hostname h --pcap p.pcap --print html --number 5 --start @0 --terminal T --checked install --note N --followup F &&
	accept report export /tmp --report-dir /tmp && accept report compare a.json b.json'
desc="apply accepts --confirm alone, --confirm SECONDS and --confirm=SECONDS"
t eval 'accept apply --confirm && accept apply --confirm 60 && accept apply --confirm=300 && accept apply'
desc="tui, monitor, history probes and help accept their options"
t eval 'accept tui --screen setup --no-color --refresh 0 && accept tui -s probes -n -r 60 &&
	accept monitor --db /tmp/m.db --no-restore && accept history probes --since 24h --probe ike --db /tmp/m.db &&
	accept history probes --since 5m && accept help --man'
desc="lengths of time take a unit: 300ms, 5s, 2m, 1h, 7d"
t eval 'accept ipsec up --timeout 2m && accept ipsec up --timeout 1500ms && accept probe --timeout 5s --total-timeout 1h &&
	accept test --timeout 10m && accept apply --confirm 2m && accept tui --refresh 5m && accept history probes --since 7d'
desc="global options may follow the command words, and a bad --lang is refused"
t eval "$O config show examples/site-ipvpn.conf -j --lang en | python3 -c 'import json,sys; json.load(sys.stdin)' &&
	! $O --lang fr version 2>$tmp/e && grep -qF \"'fr'\" $tmp/e"
desc="the same mistakes in Japanese name the option and the value"
$O --lang ja probe --timeout abc >/dev/null 2>"$tmp/e"
rc=$?
t eval "[ $rc -eq 2 ] && grep -qF -- \"--timeout は 0s から 1h の時間です\" $tmp/e && grep -qF \"'abc'\" $tmp/e"
desc="a missing value names the option and what it takes"
$O --lang en ipsec up --timeout >/dev/null 2>"$tmp/e"
rc=$?
t eval "[ $rc -eq 2 ] && grep -qF -- '--timeout needs a value (DURATION)' $tmp/e"
desc="nic identify's SECONDS is a length of time too: 5s and 7 are taken, 3m and 2x refused (exit 2)"
if [ "$(id -u)" -eq 0 ]; then
	# a NIC that does not exist: taken values get as far as looking for it (exit 3)
	$O --lang en nic identify oqlnonic0 5s >/dev/null 2>"$tmp/e"; a=$?
	$O --lang en nic identify oqlnonic0 7 >/dev/null 2>>"$tmp/e"; b=$?
	$O --lang en nic identify oqlnonic0 3m >/dev/null 2>"$tmp/e2"; c=$?
	$O --lang en nic identify oqlnonic0 2x >/dev/null 2>>"$tmp/e2"; d=$?
	t eval "[ $a -eq 3 ] && [ $b -eq 3 ] && [ $c -eq 2 ] && [ $d -eq 2 ] && grep -q 'no interface oqlnonic0' $tmp/e && grep -qF '1s to 2m' $tmp/e2"
else
	n=$((n+1)); echo "ok $n # SKIP nic identify needs root"
fi
desc="monitor --child and --certs (the keeper's children) are taken, yet no help, usage or man page shows them"
shown() {
	$O --lang en help monitor; $O --lang ja help monitor; $O --lang en monitor --help
	$O --lang en help; $O --lang en help --man
}
hidden() {
	accept monitor --child probes --certs && accept monitor --child=restore || return 1
	shown > "$tmp/h" 2>&1
	grep -q -- '--no-restore' "$tmp/h" && grep -qF -- '\-\-no\-restore' "$tmp/h" || return 1
	! grep -qE -- '--child|--certs' "$tmp/h" && ! grep -qF -e '\-\-child' -e '\-\-certs' "$tmp/h"
}
t hidden
desc="the help of an option says its range and a bare number's unit"
t eval "$O --lang en probe --help | grep -qE -- '--timeout DURATION +.*a bare number is milliseconds' &&
	$O --lang en test --help | grep -qE -- '--timeout DURATION +.*a bare number is seconds' &&
	$O --lang ja ipsec up --help | grep -qE -- '--timeout DURATION +.*単位のない数は秒'"
exit $failed
