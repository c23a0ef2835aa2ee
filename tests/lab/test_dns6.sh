#!/bin/bash
# The dns probe over IPv4 and IPv6 servers, A and AAAA, against a real
# dnsmasq in namespaces of this test's own (tests/lab/lib/ngn6.sh): an
# answer larger than 512 bytes passes and says it needed EDNS; with large
# UDP dropped on the path it needs TCP; with TCP 53 dropped as well it
# fails and says why.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
. tests/lib/tap.sh
. tests/lab/lib/ns.sh

. tests/lab/lib/ngn6.sh
ngn6_suite 8 oqd

# The dns result of one run as "VERDICT|summary|remedy|evidence lines|values".
dns_run() {
	in_ns app "$O" --lang en --config "$tmp/site.conf" probe --json dns 2>"$tmp/err" |
		python3 -c '
import json, sys
r = [r for r in json.load(sys.stdin)["results"] if r["id"] == "dns"][0]
v = {x["key"]: x["value"] for x in r.get("values", [])}
print(r["verdict"], r["summary"]["en"], "|", (r.get("remedy") or {}).get("en", ""), "|",
      " ; ".join(r.get("evidence", [])), "|", "edns=%d tcp=%d lost=%d" % (
      v.get("needed_edns", -1), v.get("needed_tcp", -1), v.get("large_lost", -1)))'
}
show() { echo "#   got: $1" | cut -c1-2000; }

got=$(dns_run)
desc="healthy: dns PASS, A and AAAA through the IPv4 and the IPv6 server"
t eval '[[ "$got" == PASS* && "$got" == *"@2001:db8:53::53 hweb.oqs-st.onshikaku.org AAAA: NOERROR 2001:db8:53::10"* && "$got" == *"@192.0.2.53 hweb.oqs-st.onshikaku.org A: NOERROR 192.0.2.10"* ]]' || show "$got"
desc="healthy: the large answers say they needed EDNS (4 of them), none TCP"
t eval '[[ "$got" == *"pweb.base.oqs-pdl.org AAAA: NOERROR"*"bytes: needed EDNS"* && "$got" == *"edns=4 tcp=0 lost=0" && "$got" == *"needed EDNS)"* ]]' || show "$got"
desc="healthy: the small answers say nothing about EDNS"
t eval '! [[ "$got" =~ hweb[^\;]*needed ]]' || show "$got"

# The path drops UDP DNS messages over 512 bytes (IP and UDP headers aside).
in_ns cen nft -f - <<'NFT'
table inet fault {
	chain out {
		type filter hook output priority 0;
		udp sport 53 udp length > 520 drop
	}
}
NFT
got=$(dns_run)
desc="large UDP dropped: dns PASS, the large answers needed TCP"
t eval '[[ "$got" == PASS* && "$got" == *"bytes: needed TCP"* && "$got" == *"edns=0 tcp=4 lost=0" ]]' || show "$got"

in_ns cen nft add rule inet fault out tcp sport 53 drop
start=$SECONDS
got=$(dns_run)
took=$((SECONDS - start))
desc="large UDP and TCP 53 dropped: dns FAIL, larger than 512 bytes, neither EDNS nor TCP"
t eval '[[ "$got" == FAIL*"larger than 512 bytes and come back neither over EDNS nor TCP (first: pweb.base.oqs-pdl.org)"* && "$got" == *"edns=0 tcp=0 lost=4" ]]' || show "$got"
desc="large UDP and TCP 53 dropped: the remedy names EDNS and TCP port 53"
t eval '[[ "$got" == *"|"*"(EDNS) and TCP port 53"*"|"* && "$got" == *"pweb.base.oqs-pdl.org A: NOERROR "*"truncated at "*" bytes without EDNS"* ]]' || show "$got"
desc="large UDP and TCP 53 dropped: the small names still resolve (hweb over UDP)"
t eval '[[ "$got" == *"@2001:db8:53::53 hweb.oqs-st.onshikaku.org AAAA: NOERROR 2001:db8:53::10"* ]]' || show "$got"
desc="large UDP and TCP 53 dropped: the probe ends within its 5 s ($took s)"
t [ "$took" -le 6 ]
exit $failed
