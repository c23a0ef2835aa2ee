#!/bin/bash
# oqlink test in the lab: the real probe suite against the lab's real peers
# writes the report and the pcap; the lab's secrets (the IKE private key, the
# PKCS#12 password, the pre-shared key) never appear in any output.
# Root and lab/lab are needed; it skips without them.
set -u
cd "$(dirname "$0")/../.."
O=$(realpath "${OQLINK:-build/asan/oqlink}")
. tests/lib/tap.sh
if [ "$(id -u)" -ne 0 ] || [ ! -x lab/lab ]; then
	echo "1..0 # SKIP needs root and lab/lab"
	exit 0
fi
export OQL_LAB=oqrt$$
tmp=$(mktemp -d)
export OQL_LAB_OUT=$tmp/lab
trap 'lab/lab down >/dev/null 2>&1; rm -rf "$tmp"' EXIT
echo "1..26"

# The appliance configured as the lab's site.conf says, by oqlink apply.
configure() {
	OQLINK=$O bash tests/lab/lib/apply.sh
}

# The lines of the site's secret files (longer than 6 characters, PEM armour
# left out), one per line, for grep -F.
secrets() {
	local key f
	for key in private_key psk_file password_file; do
		f=$(sed -n "s/^$key *= *//p" "$OQL_LAB_OUT/site.conf")
		[ -n "$f" ] && [ -r "$f" ] || continue
		grep -v -- '-----' "$f" | awk 'length($0) > 6'
	done
}

for auth in pubkey psk; do
	lab/lab down >/dev/null 2>&1
	if ! lab/lab up --mode ipsec --auth "$auth" >"$tmp/up.log" 2>&1; then
		for i in $(seq 9); do n=$((n+1)); echo "not ok $n - lab up --auth $auth failed"; done
		failed=1; continue
	fi
	configure
	rep=$tmp/reports-$auth
	# umask 000: the modes below must not follow it.
	(umask 000; lab/lab exec appliance "$O" --lang ja --config "$OQL_LAB_OUT/site.conf" test \
		--report-dir "$rep" --witness "立会 花子" --terminal "受付の端末" --checked operation \
		>"$tmp/out-$auth" 2>"$tmp/err-$auth")
	rc=$?
	json=$(ls "$rep"/oqlink-report-1312345678-*.json 2>/dev/null | head -1)

	desc="$auth: oqlink test exits 0 or 1 and writes html, json, txt"
	t bash -c "[ $rc -le 1 ] && [ -s '${json%.json}.html' ] && [ -s '$json' ] && [ -s '${json%.json}.txt' ]"
	desc="$auth: the visit: report number 1, the work from the run's start to the report, the terminal"
	t python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); v=d['visit']
op=[c for c in d['checklist'] if c['id']=='operation'][0]
assert v['report_number']==1 and v['terminal']=='受付の端末', v
assert v['work']['start'] < v['work']['end'] <= d['generated']['time'], v['work']
assert v['work']['start'].endswith('+09:00') and op['manual_done'] is True, (v, op)" "$json"
	desc="$auth: the exit code follows the overall verdict"
	t python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if (d['overall'] in ('PASS','SKIP')) == (int(sys.argv[2]) == 0) else 1)" "$json" $rc
	desc="$auth: the tunnel probes passed (ike, child, reach, tls)"
	t python3 -c "
import json,sys; d=json.load(open(sys.argv[1])); v={p['id']:p['verdict'] for p in d['probes']}
bad=[i for i in ('ike','child','reach','tls') if v.get(i)!='PASS']
print('# verdicts:', v) if bad else None; sys.exit(1 if bad else 0)" "$json"
	desc="$auth: the pcap is in the report directory with the SHA-256 the report names"
	t python3 -c "
import json,sys,hashlib,os; d=json.load(open(sys.argv[1])); c=d['capture']
p=os.path.join(os.path.dirname(sys.argv[1]), c['file'])
sys.exit(0 if hashlib.sha256(open(p,'rb').read()).hexdigest()==c['sha256'] else 1)" "$json"
	desc="$auth: the report lists the appliance's real MAC addresses"
	mac=$(ip -n "$OQL_LAB-appliance" -o link show wan0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
	t python3 -c "
import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if any(i['name']=='wan0' and i['mac']==sys.argv[2] for i in d['generated']['interfaces']) else 1)" "$json" "$mac"
	desc="$auth: stdout shows the verdict table and the report paths"
	t bash -c "grep -q '総合判定' '$tmp/out-$auth' && grep -q '$json' '$tmp/out-$auth'"
	desc="$auth: the lab's secrets appear in no output file, stdout or stderr"
	secrets > "$tmp/secrets-$auth"
	t bash -c "[ \$(wc -l < '$tmp/secrets-$auth') -ge 1 ] &&
		! grep -rqF -f '$tmp/secrets-$auth' '$rep'/*.html '$rep'/*.json '$rep'/*.txt '$tmp/out-$auth' '$tmp/err-$auth'"
	desc="$auth: the secrets are shown as redacted file references"
	t grep -q '"redacted": true' "$json"
	if [ "$auth" = pubkey ]; then
		desc="under umask 000 the report files are 0640 and the pcap 0600"
		t bash -c "[ \"\$(stat -c %a '$rep'/*.json '$rep'/*.txt '$rep'/*.html | sort -u)\" = 640 ] &&
			[ \"\$(stat -c %a '$rep'/*.pcap)\" = 600 ]"
		# A report directory on a full tmpfs (its own mount namespace).
		full=$tmp/full; mkdir -p "$full"
		unshare -m bash -c "mount -t tmpfs -o size=64k tmpfs '$full' &&
			{ dd if=/dev/zero of='$full/filler' bs=4k 2>/dev/null; true; } &&
			lab/lab exec appliance '$O' --lang en --config '$OQL_LAB_OUT/site.conf' test \
				--report-dir '$full' >'$tmp/out-full' 2>'$tmp/err-full'; echo \$? > '$tmp/rc-full';
			ls -A '$full' > '$tmp/ls-full'"
		desc="disk full: oqlink test exits 3"
		t grep -qx 3 "$tmp/rc-full"
		desc="disk full: the capture probe fails with disk full, not PASS"
		t grep -qE 'disk full while writing the capture|取得ファイルの書き込み中にディスクが一杯' "$tmp/out-full"
		desc="disk full: the text report still goes to stdout"
		t grep -qE 'OVERALL VERDICT|総合判定' "$tmp/out-full"
		desc="disk full: stderr names the report file and the error"
		t grep -q "cannot write $full/oqlink-report-.*json: No space left on device" "$tmp/err-full"
		desc="disk full: no temporary file is left in the report directory"
		t bash -c "! grep -v -e '^filler\$' -e '^capture-.*\\.pcap\$' '$tmp/ls-full'"
		desc="oqlink probe --json gives a run that report render turns into a report"
		lab/lab exec appliance "$O" --json --config "$OQL_LAB_OUT/site.conf" probe >"$tmp/run.json" 2>/dev/null
		t bash -c "'$O' --config '$OQL_LAB_OUT/site.conf' report render '$tmp/run.json' --report-dir '$tmp/rendered' >/dev/null 2>&1; [ \$? -le 1 ] && ls '$tmp'/rendered/*.html >/dev/null"
		desc="compare of the test's report with the rendered one: the same probes on both sides"
		t bash -c "'$O' --json report compare '$json' '$tmp'/rendered/*.json | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"probes\"] and all(p[\"old\"] and p[\"new\"] for p in d[\"probes\"]) else 1)'"
	fi
done
exit $failed
