#!/bin/bash
# Exit codes of a run by its verdict, with no lab: oqlink probe on the
# certificate probe (files made here: valid, expiring, key of another pair,
# none to check) and oqlink report render (the exit code of oqlink test)
# on recorded runs that pass, warn, fail, only skip, or could not run.
# 0 passed (SKIP counts as passed), 1 a check failed or warned, 2 usage or
# config error.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
D=tests/data/report
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..11"

# A CA and three leaf certificates with the usage IKE needs.
mk() { openssl "$@" >/dev/null 2>&1; }
mk req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/ca.key" \
	-out "$tmp/ca.crt" -days 3650 -subj "/CN=exit-ca" \
	-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign
printf 'keyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth, serverAuth\n' > "$tmp/leaf.ext"
leaf() {	# NAME DAYS
	mk req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/$1.key" \
		-out "$tmp/$1.csr" -subj "/CN=clinic.example"
	mk x509 -req -in "$tmp/$1.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial \
		-days "$2" -extfile "$tmp/leaf.ext" -out "$tmp/$1.crt"
	chmod 600 "$tmp/$1.key"
}
leaf good 400
leaf soon 20
leaf other 400
echo "psk-$$" > "$tmp/psk"; chmod 600 "$tmp/psk"

# site.conf for the IKE certificate CRT with key KEY (no TLS endpoint).
conf() {
	sed -e "s|^certificate = .*|certificate = $tmp/$1.crt|" -e "s|^private_key = .*|private_key = $tmp/$2.key|" \
	    -e "s|^ca = .*|ca = $tmp/ca.crt|" -e '/^\[probe.tls.hweb\]/,$d' \
	    tests/data/config/valid/ipsec-pubkey.conf > "$tmp/$3.conf"
}
conf good good pass
conf soon soon warn
conf good other fail
sed -e "s|^auth = pubkey|auth = psk\npsk_file = $tmp/psk|"  -e '/^certificate = /d' -e '/^private_key = /d' -e '/^ca = /d' \
    "$tmp/pass.conf" > "$tmp/skip.conf"

# probe cert on CONF: its exit code and its verdict as --json reports it.
probe() { "$O" --config "$tmp/$1.conf" probe --json cert > "$tmp/$1.json" 2> "$tmp/$1.err"; echo $?; }
verdict() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['overall'])" "$tmp/$1.json" 2>/dev/null; }
for c in pass:0:PASS warn:1:WARN fail:1:FAIL skip:0:PASS; do
	IFS=: read -r name rc v <<< "$c"
	got=$(probe "$name")
	desc="probe cert, $name: exit $rc, overall $v"; t [ "$got:$(verdict "$name")" = "$rc:$v" ]
done

# A recorded run with the results' verdicts set by a python expression.
run() {	# NAME EXPR(i, r) OVERALL
	python3 - "$D/run-ipsec-pass.json" "$tmp/run-$1.json" "$2" "$3" <<-'EOF'
	import json, sys
	d = json.load(open(sys.argv[1]))
	for i, r in enumerate(d["results"]):
	    v = eval(sys.argv[3])
	    if v != r["verdict"]:
	        r["verdict"] = v
	        r["summary"] = {"ja": "試験用", "en": "for the test"}
	        r["remedy"] = {"ja": "なし", "en": "none"}
	d["overall"] = sys.argv[4]
	json.dump(d, open(sys.argv[2], "w"), ensure_ascii=False)
	EOF
}
run pass '"PASS"' PASS
run warn '"WARN" if r["id"] == "pmtu" else "PASS"' WARN
run fail '"FAIL" if r["id"] == "reach" else "WARN" if r["id"] == "pmtu" else "PASS"' FAIL
run skip '"SKIP"' PASS
run error '"ERROR" if r["id"] == "capture" else "PASS"' ERROR
sed -e "s|/etc/oqlink/|$tmp/|g" -e "s|^state_dir = .*|state_dir = $tmp/state|" "$D/site-ipsec.conf" > "$tmp/site.conf"
render() {
	"$O" --config "$tmp/site.conf" report render "$tmp/run-$1.json" --report-dir "$tmp/r-$1" \
		--time 2026-04-01T11:00:00+09:00 --hostname oqlink-test --number 7 > "$tmp/r-$1.out" 2>&1
	echo $?
}
for c in pass:0 warn:1 fail:1 skip:0 error:1; do
	IFS=: read -r name rc <<< "$c"
	got=$(render "$name")
	desc="report render (as oqlink test) of a run that is $name: exit $rc"; t [ "$got" = "$rc" ]
done

desc="a probe run that cannot start (an unknown probe) exits 2"
"$O" --config "$tmp/pass.conf" probe nope > /dev/null 2>&1; rc=$?
t [ "$rc" = 2 ]
desc="a config error exits 2"
"$O" --config "$tmp/missing.conf" probe cert > /dev/null 2>&1; rc=$?
t [ "$rc" = 2 ]
exit $failed
