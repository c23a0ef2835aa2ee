#!/bin/bash
# oqlink ipsec ... without a charon: the table, usage errors, exit codes,
# --json purity, the export, the message when charon is not running, and
# the proposal keywords (ipsec proposals, config check without charon).
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..17"

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
desc="ipsec proposals lists strongSwan's keywords with type, algorithm and key size"
t bash -c "$O --lang en ipsec proposals >$tmp/k && [ \$(wc -l < $tmp/k) -gt 150 ] && grep -qE '^aes128gcm128 +ENCR +ENCR_AES_GCM_ICV16 +128' $tmp/k && grep -qE '^modp2048s256 +KE ' $tmp/k"
desc="ipsec proposals --esp: strongSwan's own net2net-cert ESP proposal is valid (exit 0)"
t bash -c "$O --lang en ipsec proposals --esp aes128gcm128-x25519 >$tmp/o && grep -qx 'aes128gcm128-x25519: ok' $tmp/o"
desc="ipsec proposals --ike: a typo exits 1 with did-you-mean; --json says the same"
t bash -c "$O --lang en ipsec proposals --ike aes257-sha256-modp2048 >$tmp/o; [ \$? -eq 1 ] && grep -q \"did you mean 'aes256'\" $tmp/o && $O --json ipsec proposals --ike aes257-sha256-modp2048 | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0][\"valid\"] is False and d[0][\"problem\"]'"
desc="ipsec proposals with a proposal but no --ike/--esp exits 2"
t bash -c "$O --lang en ipsec proposals aes128 2>/dev/null; [ \$? -eq 2 ]"
desc="config check: net2net-cert proposals pass; without charon it says the table alone checked them"
t bash -c "sed -e 's/^ike_proposals = .*/ike_proposals = aes128-sha256-x25519/' -e 's/^esp_proposals = .*/esp_proposals = aes128gcm128-x25519/' $tmp/site.conf > $tmp/n2n.conf && $O --lang en config check $tmp/n2n.conf >$tmp/o 2>&1 && grep -q \"checked against strongSwan 5.9's table only\" $tmp/o"
exit $failed
