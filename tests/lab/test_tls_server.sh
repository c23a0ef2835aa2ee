#!/bin/bash
# The TLS probe against each way the central server can be wrong: beside
# the lab's own server, more openssl s_server instances in the central
# namespace, each on a port of its own, with a server certificate for
# another name, expired, not yet valid, or from a CA the config does not
# name, and one that refuses the terminal's client certificate. A server
# that is right on the same kind of port passes, so each FAIL is the
# certificate's doing. Runs the real binary as the appliance against a lab
# of its own. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
case "$OQLINK" in /*) ;; *) OQLINK=$PWD/$OQLINK ;; esac
export OQLINK

N_TESTS=7
. tests/lib/tap.sh
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x lab/lab ] || skip_all "no lab/lab"
[ -x "$OQLINK" ] || skip_all "no $OQLINK"

export OQL_LAB=oqs$(( $$ % 10000 ))
export OQL_LAB_OUT
OQL_LAB_OUT=$(mktemp -d /tmp/oqlink-tls.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	lab/lab down >/dev/null 2>&1
	rm -rf "$OQL_LAB_OUT"
}
trap cleanup EXIT

echo "1..$N_TESTS"

if ! lab/lab up --mode ipsec >"$OQL_LAB_OUT.up.log" 2>&1 || ! tests/lab/lib/apply.sh; then
	sed 's/^/# /' "$OQL_LAB_OUT.up.log"
	while [ $n -lt $N_TESTS ]; do not_ok "lab up failed"; done
	exit 1
fi
rm -f "$OQL_LAB_OUT.up.log"
OUT=$OQL_LAB_OUT
CONF=$OUT/site.conf
T=$OUT/tls-cases
mkdir -p "$T"
NAMES="DNS:hweb.oqs-st.onshikaku.org, DNS:pweb.base.oqs-pdl.org, IP:192.0.2.10"

# A server certificate: name, CA work directory of the lab, SAN, start, end.
server_cert() {
	local name=$1 w=$2 san=$3 start=$4 end=$5
	LAB_SAN=$san openssl req -new -key "$OUT/central/server.key" -subj "/C=JP/O=oqlink lab/CN=$name" \
		-out "$T/$name.csr" -config "$w/ca.cnf" 2>/dev/null &&
	LAB_SAN=$san openssl ca -batch -notext -config "$w/ca.cnf" -extensions tlsserver \
		-startdate "$(date -u -d "$start" +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d "$end" +%Y%m%d%H%M%SZ)" \
		-in "$T/$name.csr" -out "$T/$name.crt" 2>/dev/null
}

# A server on port with certificate crt that trusts client certificates
# of clientca; waits (bounded) until it listens.
serve() {
	local port=$1 crt=$2 clientca=$3
	ip netns exec "$OQL_LAB-central" setsid openssl s_server -accept "192.0.2.10:$port" \
		-cert "$crt" -key "$OUT/central/server.key" -CAfile "$clientca" \
		-Verify 2 -verify_return_error -www -quiet </dev/null >"$T/$port.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		ip netns exec "$OQL_LAB-central" ss -H -ltn "src 192.0.2.10:$port" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# The tls probe against port: "VERDICT|evidence lines".
tls_on() {
	local port=$1 conf=$T/site-$1.conf
	sed "/^\[probe.tls.hweb\]/,/^\[/ s/^port = .*/port = $port/" "$CONF" > "$conf"
	ip netns exec "$OQL_LAB-appliance" "$OQLINK" --lang en --config "$conf" probe --json tls 2>/dev/null |
		python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin)["results"] if r["id"] == "tls"][0]
print(r["verdict"] + "|" + " / ".join(r.get("evidence", [])) + "|" + r["summary"]["en"])'
}

# case NAME PORT VERDICT TEXT: the probe gives VERDICT and TEXT shows in
# its evidence or summary.
case_() {
	local name=$1 port=$2 want=$3 text=$4 got
	got=$(tls_on "$port")
	if [ "${got%%|*}" = "$want" ] && [[ "$got" == *"$text"* ]]; then ok "$name: $want ($text)"
	else not_ok "$name: want $want with '$text'"; echo "#   got: $got"; fi
}

made=1
server_cert good "$OUT/pki/w-cen" "$NAMES" "-1 day" "+1 year" &&
server_cert wrongname "$OUT/pki/w-cen" "DNS:other.example, IP:192.0.2.99" "-1 day" "+1 year" &&
server_cert expired "$OUT/pki/w-cen" "$NAMES" "-2 years" "-1 day" &&
server_cert notyet "$OUT/pki/w-cen" "$NAMES" "+30 days" "+1 year" &&
server_cert otherca "$OUT/pki/w-ike-o" "$NAMES" "-1 day" "+1 year" || made=0
if [ $made = 1 ] &&
   serve 8443 "$T/good.crt" "$OUT/ca.crt" && serve 8444 "$T/wrongname.crt" "$OUT/ca.crt" &&
   serve 8445 "$T/expired.crt" "$OUT/ca.crt" && serve 8446 "$T/notyet.crt" "$OUT/ca.crt" &&
   serve 8447 "$T/otherca.crt" "$OUT/ca.crt" &&
   serve 8448 "$T/good.crt" "$OUT/pki/other/ca.crt"; then
	ok "six servers listen in the central namespace"
else
	not_ok "the servers did not start"
	while [ $n -lt $N_TESTS ]; do not_ok "no server"; done
	exit 1
fi

case_ "a server that is right" 8443 PASS "client certificate accepted"
case_ "a server certificate for another name" 8444 FAIL "hostname mismatch"
case_ "an expired server certificate" 8445 FAIL "certificate has expired"
case_ "a server certificate not yet valid" 8446 FAIL "certificate is not yet valid"
case_ "a server certificate from a CA the config does not name" 8447 FAIL "unable to get local issuer certificate"
case_ "a server that refuses the terminal's certificate" 8448 FAIL "client certificate not accepted"
exit $failed
