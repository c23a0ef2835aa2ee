#!/bin/bash
# oqlink ipsec ... without a charon: the table, usage errors, exit codes,
# --json purity, the export, and the message when charon is not running.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
n=0; failed=0
t() { n=$((n+1)); if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; failed=1; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..12"

# a valid config whose files exist (empty stand-ins) and whose charon does not
for f in ike.crt ca.crt central-ca.crt terminal.p12; do : > "$tmp/$f"; done
for f in ike.key terminal.p12.pass; do : > "$tmp/$f"; chmod 600 "$tmp/$f"; done
sed -e "s|/etc/oqlink|$tmp|; s|/var/run/charon.vici|$tmp/none.vici|" \
    -e "s|/var/lib/oqlink|$tmp/state|; s|/run/oqlink|$tmp/run|" examples/site-ipsec.conf > "$tmp/site.conf"
C="--config $tmp/site.conf"

desc="help lists the six ipsec commands"
t bash -c "[ \$($O --lang en help | grep -cE '^  ipsec (diagnose|down|export-swan|log|status|up)') -eq 6 ]"
desc="'oqlink ipsec' alone lists its commands"
t bash -c "$O --lang en ipsec 2>&1 | grep -q 'ipsec status'"
desc="an unknown option exits 2"
t bash -c "$O --lang en $C ipsec up --bogus 2>/dev/null; [ \$? -eq 2 ]"
desc="--level out of range exits 2 and quotes it"
t bash -c "$O --lang en $C ipsec log --level 9 2>$tmp/e; [ \$? -eq 2 ] && grep -q \"0 to 4: '9'\" $tmp/e"
desc="an extra argument exits 2"
t bash -c "$O --lang en $C ipsec status extra 2>/dev/null; [ \$? -eq 2 ]"
desc="status without charon exits 3: 'charon is not running at PATH'"
t bash -c "$O --lang en $C ipsec status 2>$tmp/e; [ \$? -eq 3 ] && grep -q \"charon is not running at $tmp/none.vici\" $tmp/e"
desc="the same in Japanese"
t bash -c "$O --lang ja $C ipsec status 2>$tmp/e; grep -q \"charon が $tmp/none.vici で動いていません\" $tmp/e"
desc="status --json without charon: exit 3, stdout one JSON error document"
t bash -c "$O --lang en $C --json ipsec status >$tmp/o 2>/dev/null; [ \$? -eq 3 ] && python3 -c 'import json; d=json.load(open(\"$tmp/o\")); assert \"not running\" in d[\"error\"]'"
desc="diagnose --json without charon: exit 3, cause 'charon'"
t bash -c "$O --lang en $C --json ipsec diagnose >$tmp/o 2>/dev/null; [ \$? -eq 3 ] && python3 -c 'import json; d=json.load(open(\"$tmp/o\")); assert d[\"cause\"] == \"charon\" and not d[\"ok\"]'"
desc="up and down without charon exit 3"
t bash -c "$O $C ipsec up -q 2>/dev/null; a=\$?; $O $C ipsec down -q 2>/dev/null; b=\$?; [ \$a -eq 3 ] && [ \$b -eq 3 ]"
desc="export-swanctl needs no charon and names files, not secrets"
t bash -c "$O $C ipsec export-swanctl >$tmp/x && grep -q '^connections {' $tmp/x && grep -qF 'certs = \"$tmp/ike.crt\"' $tmp/x && grep -qF 'cacert = \"$tmp/ca.crt\"' $tmp/x"
desc="a config with errors exits 2 before talking to charon"
t bash -c "sed 's/^peer = .*/peer =/' $tmp/site.conf > $tmp/bad.conf; $O --config $tmp/bad.conf ipsec status 2>/dev/null; [ \$? -eq 2 ]"
exit $failed
