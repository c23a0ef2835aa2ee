#!/bin/bash
# The carrier's gateway starts the tunnel, not the appliance: after apply
# the appliance closes its own SA, the gateway's charon gets a connection
# that initiates to the appliance's WAN address, and the appliance as the
# responder must let IKE (and then ESP) in through its firewall, establish
# the SA and carry the terminal's traffic to central. Runs the real binary
# as the appliance against a lab of its own. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
case "$OQLINK" in /*) ;; *) OQLINK=$PWD/$OQLINK ;; esac
export OQLINK

N_TESTS=5
. tests/lib/tap.sh
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
[ -x lab/lab ] || skip_all "no lab/lab"
[ -x "$OQLINK" ] || skip_all "no $OQLINK"
command -v swanctl >/dev/null || skip_all "no swanctl"
command -v conntrack >/dev/null || skip_all "no conntrack (tools/deps)"

export OQL_LAB=oqg$(( $$ % 10000 ))
export OQL_LAB_OUT
OQL_LAB_OUT=$(mktemp -d /tmp/oqlink-gwinit.XXXXXX)
cleanup() { lab/lab down >/dev/null 2>&1; rm -rf "$OQL_LAB_OUT"; }
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
GW="unix://$OUT/gateway/charon.vici"
ap() { ip netns exec "$OQL_LAB-appliance" "$OQLINK" --config "$CONF" "$@"; }
key() { sed -n "s/^$1 = //p" "$CONF" | head -1; }
established() { ap --json ipsec status 2>/dev/null | grep -q '"ESTABLISHED"'; }

# Wait (bounded) until the appliance has no IKE_SA, then forget the
# connections of its own exchange: what comes in next is new, as when the
# gateway starts the tunnel hours later.
ap ipsec down --quiet >/dev/null 2>&1
for _ in $(seq 50); do established || break; sleep 0.2; done
ip netns exec "$OQL_LAB-appliance" conntrack -F >/dev/null 2>&1
if established; then not_ok "the appliance closed its own tunnel"; else ok "the appliance closed its own tunnel"; fi

wan=$(key address); wan=${wan%/*}
cat > "$OUT/gateway/initiate.conf" <<EOF
connections {
	initiate-clinic {
		version = 2
		local_addrs = 203.0.113.1
		remote_addrs = $wan
		proposals = $(key ike_proposals | cut -d, -f1)
		local {
			auth = pubkey
			certs = $OUT/gateway/gw.crt
			id = $(key remote_id)
		}
		remote {
			auth = pubkey
			cacerts = $OUT/ca.crt
			id = $(key local_id)
		}
		children {
			central {
				local_ts = 192.0.2.0/24
				remote_ts = 192.168.0.0/16
				esp_proposals = $(key esp_proposals | cut -d, -f1)
			}
		}
	}
}
EOF
if swanctl --load-conns --file "$OUT/gateway/initiate.conf" --uri "$GW" >"$OUT/load.log" 2>&1; then
	ok "the gateway loads a connection that initiates to $wan"
else
	not_ok "the gateway loads a connection that initiates to $wan"; sed 's/^/#   /' "$OUT/load.log"
fi
if swanctl --initiate --ike initiate-clinic --child central --timeout 20 --uri "$GW" >"$OUT/init.log" 2>&1; then
	ok "the gateway's IKE_SA_INIT and IKE_AUTH reach the appliance and succeed"
else
	not_ok "the gateway's initiation succeeds"; tail -5 "$OUT/init.log" | sed 's/^/#   /'
fi
for _ in $(seq 50); do established && break; sleep 0.2; done
if established; then ok "the appliance, as the responder, has the SA established"
else not_ok "the appliance, as the responder, has the SA established"; fi
got=$(ap --json probe reach 2>/dev/null | python3 -c '
import json, sys
print([r["verdict"] for r in json.load(sys.stdin)["results"] if r["id"] == "reach"][0])' 2>/dev/null)
if [ "$got" = PASS ]; then ok "the terminal side reaches central through the gateway's tunnel"
else not_ok "the terminal side reaches central through the gateway's tunnel (reach $got)"; fi
exit $failed
