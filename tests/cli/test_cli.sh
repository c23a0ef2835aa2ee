#!/bin/bash
# The command line: table, help, prefixes, exit codes, --json purity, languages.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..23"

desc="--version prints the version"; t bash -c "$O --version | grep -qE '^oqlink [0-9]+\.[0-9]+'"
desc="help lists every command of the table"; t bash -c "$O --lang en help | grep -q 'config check' && $O --lang en help | grep -q 'version'"
desc="help CMD shows usage"; t bash -c "$O --lang en help config check | grep -q 'usage: oqlink config check \[FILE\]'"
desc="unique prefix runs the command"; t bash -c "$O --lang en vers | grep -q '^oqlink '"
desc="two-word prefix runs the command"; t bash -c "$O --lang en config sh examples/site-ipvpn.conf | grep -q '^type = ipvpn'"
desc="unknown command exits 2 and says so"; t bash -c "$O --lang en frobnicate 2>$tmp/e; [ \$? -eq 2 ] && grep -q \"unknown command 'frobnicate'\" $tmp/e"
desc="a mistyped command names the closest one"; t bash -c "$O --lang en tset 2>$tmp/e; [ \$? -eq 2 ] && grep -qF \"unknown command 'tset' (did you mean 'test'?)\" $tmp/e"
desc="a mistyped subcommand names the closest one"; t bash -c "$O --lang en ipsec stauts 2>$tmp/e; [ \$? -eq 2 ] && grep -qF \"(did you mean 'ipsec status'?)\" $tmp/e"
# a one-letter prefix shared by two top-level commands, from the table itself
amb=$($O --lang en help | awk '/^  [a-z]/{print $1}' | sort -u | awk '{c=substr($1,1,1); if (seen[c] && seen[c]!=$1) {print c; exit} seen[c]=$1}')
if [ -n "$amb" ]; then
	desc="ambiguous prefix '$amb' lists the candidates, exits 2"; t bash -c "$O --lang en $amb 2>$tmp/e; [ \$? -eq 2 ] && grep -q 'ambiguous command: $amb, could be: ' $tmp/e"
else
	n=$((n+1)); echo "ok $n # SKIP no two commands share a first letter yet"
fi
desc="unknown option exits 2"; t bash -c "$O --bogus 2>/dev/null; [ \$? -eq 2 ]"
desc="--lang rejects other languages"; t bash -c "$O --lang fr version 2>/dev/null; [ \$? -eq 2 ]"
desc="Japanese by default from LANG=ja_JP.UTF-8"; t bash -c "LANG=ja_JP.UTF-8 $O help | grep -q 'コマンド:'"
desc="Japanese from LANG=C.UTF-8, Debian's default"; t bash -c "LANG=C.UTF-8 LC_ALL= LANGUAGE= LC_MESSAGES= $O help | grep -q 'コマンド:'"
desc="Japanese from LC_ALL=C"; t bash -c "LC_ALL=C LANGUAGE= $O help | grep -q 'コマンド:'"
desc="Japanese errno sentences in Japanese output"
sed "s|/etc/oqlink/|$tmp/none/|g" examples/site-ipsec.conf > "$tmp/missing.conf"
t bash -c "$O --lang ja config check $tmp/missing.conf 2>&1 | grep -q 'ike.crt を読めません: ファイルまたはディレクトリがありません' &&
	! $O --lang ja config check $tmp/missing.conf 2>&1 | grep -q 'No such file'"
desc="English from LANG=en_US.UTF-8"; t bash -c "LANG=en_US.UTF-8 LC_ALL= LANGUAGE= $O help | grep -q 'Commands:'"
desc="--lang en overrides LANG"; t bash -c "LANG=ja_JP.UTF-8 $O --lang en help | grep -q 'Commands:'"
desc="config check of a valid file exits 0"; t bash -c "$O --lang en config check tests/data/config/valid/ipvpn.conf >/dev/null 2>&1"
desc="config check reports every problem, FILE:LINE:COL, exits 2"; t bash -c "$O --lang en config check tests/data/config/invalid/many-errors.conf 2>$tmp/e; [ \$? -eq 2 ] && [ \$(grep -c 'many-errors.conf:[0-9]*:[0-9]*: ' $tmp/e) -ge 5 ]"
I=tests/data/config/invalid
desc="an unnamed [probe.tls] is refused at its line and column, exit 2, and show prints nothing"; t bash -c "$O --lang en config check $I/hostile-tls-unnamed-host.conf 2>$tmp/e; [ \$? -eq 2 ] && grep -q 'hostile-tls-unnamed-host.conf:43:11: \[probe.tls\] needs a NAME' $tmp/e && ! $O --lang en config show $I/hostile-tls-unnamed-host.conf 2>/dev/null | grep -q 9912345678"
desc="no control byte of the config reaches the terminal from config check"; t bash -c "$O --lang en config check $I/hostile-osc-title.conf $I/control-char.conf >/dev/null 2>$tmp/e; for f in hostile-osc-title hostile-c1-csi hostile-raw-csi control-char hostile-utf8-invalid-byte; do $O --lang en config check $I/\$f.conf 2>>$tmp/e; done; grep -q 'holds the' $tmp/e && ! LC_ALL=C grep -q \$'[\\x01-\\x08\\x0b-\\x1f\\x7f\\x9b\\xff]' $tmp/e && iconv -f UTF-8 -t UTF-8 $tmp/e >/dev/null"
desc="config check --json with bytes that are not UTF-8 is still UTF-8 JSON"; t bash -c "for f in hostile-utf8-invalid-byte hostile-key-bad-byte hostile-section-bad-byte; do $O --json --lang en config check $I/\$f.conf >$tmp/o 2>/dev/null; python3 -c 'import json; d=json.loads(open(\"$tmp/o\",\"rb\").read().decode(\"utf-8\")); assert not d[\"valid\"]' || exit 1; done"
desc="--json stdout is exactly one JSON document (also with errors)"; t bash -c "$O --json --lang en config check tests/data/config/invalid/many-errors.conf >$tmp/o 2>/dev/null; python3 -c 'import json,sys; d=json.load(open(\"$tmp/o\")); sys.exit(0 if d[\"valid\"] is False and len(d[\"problems\"])>=5 else 1)'"
desc="--json after the command works too"; t bash -c "$O config show tests/data/config/valid/ipvpn.conf --json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"uplink\"][\"type\"]==\"ipvpn\" else 1)'"
desc="a command without --json output refuses --json"; t bash -c "$O --json help 2>/dev/null; [ \$? -eq 2 ]"
desc="man page matches the command table"; t bash -c "$O --lang en help --man | cmp -s - docs/oqlink.8"
exit $failed
