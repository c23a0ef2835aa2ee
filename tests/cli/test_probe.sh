#!/bin/bash
# oqlink probe without a lab: the registry listing, argument errors, and the
# JSON document of a run whose interfaces do not exist (link FAIL, its
# dependants SKIP), the same on any host.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..8"
CONF=tests/data/config/valid/ipvpn.conf
# Interfaces that do not exist anywhere, so the run is the same on any host.
sed 's/^interface = .*/interface = oqnone0/' "$CONF" > "$tmp/site.conf"

desc="--list shows every probe"; t bash -c "[ \$($O --lang en probe --list | wc -l) -ge 15 ] && $O --lang en probe --list | grep -q '^tls .*deps: dns'"
desc="--list --json is one array with deps"; t bash -c "$O probe --list --json | python3 -c 'import json,sys; a=json.load(sys.stdin); assert any(p[\"id\"]==\"pmtu\" and p[\"deps\"]==[\"reach\"] for p in a)'"
desc="an unknown probe exits 2 and names it"; t bash -c "$O --lang en --config $tmp/site.conf probe nope 2>$tmp/e; [ \$? -eq 2 ] && grep -q \"unknown probe 'nope'\" $tmp/e"
desc="a probe of the other line type exits 2"; t bash -c "$O --lang en --config $tmp/site.conf probe ike 2>$tmp/e; [ \$? -eq 2 ] && grep -q 'does not apply' $tmp/e"
desc="a bad config exits 2"; t bash -c "$O --lang en --config $tmp/missing.conf probe 2>/dev/null; [ \$? -eq 2 ]"
desc="--json prints exactly one document of schema oqlink.probes/1"; t bash -c "$O --config $tmp/site.conf probe --json link gateway > $tmp/out.json 2>/dev/null; [ \$? -eq 1 ] && python3 -c 'import json; d=json.load(open(\"$tmp/out.json\")); assert d[\"schema\"]==\"oqlink.probes/1\"'"
desc="a missing interface is link FAIL with a remedy in both languages"; t python3 -c "
import json; d=json.load(open('$tmp/out.json')); r={x['id']: x for x in d['results']}
assert r['link']['verdict']=='FAIL' and r['link']['remedy']['ja'] and r['link']['remedy']['en']"
desc="its dependant is SKIP naming link"; t python3 -c "
import json; d=json.load(open('$tmp/out.json')); r={x['id']: x for x in d['results']}
assert r['gateway']['verdict']=='SKIP' and r['gateway']['skip_reason']=='link' and d['overall']=='FAIL'"
exit $failed
