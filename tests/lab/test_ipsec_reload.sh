#!/bin/bash
# A key of [ipsec] changed in site.conf reaches charon: for each of
# ike_proposals, esp_proposals, local_id and dpd_delay, `plan` shows one
# reload step naming that key (from the record of what oqlink loaded, since
# charon's list-conns does not report proposals), `apply` makes charon hold
# the new value, and `rollback` brings the old one back. Two namespaces
# with a charon each (tests/lab/lib/charon_pair.sh); the gateway accepts
# both sets of proposals and any clinic identity its CA signed.
set -u
cd "$(dirname "$0")/../.."
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
. tests/lib/tap.sh
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

# key, new value, how to see it in charon: "conn FIELD VALUE" (list-conns)
# or "sa FIELD VALUE" (the SAs negotiated after the tunnel is brought up again)
CHANGES=(
	"ike_proposals|aes128-sha256-x25519|sa ike dh-group CURVE_25519"
	"esp_proposals|aes128gcm16-x25519|sa child encr-keysize 128"
	"local_id|clinic-1312345678.example|conn local id clinic-1312345678.example"
	"dpd_delay|10|conn ike dpd_delay 10"
)
TOTAL=$((3 + 5 * ${#CHANGES[@]}))
echo "1..$TOTAL"
if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null ||
   ! command -v python3 >/dev/null; then
	for i in $(seq "$TOTAL"); do echo "ok $i # SKIP needs root, charon, swanctl and python3"; done
	exit 0
fi

# --- set-up: the pair, a LAN link, the gateway on the WAN's next hop ---
. tests/lab/lib/charon_pair.sh
pair_setup oqr$$ || exit 1
ip -n "$A" link add lan0 type veth peer name lan0p
ip -n "$G" addr add 198.51.100.1/24 dev wan0
sed -i -e 's|proposals = aes256-sha256-modp2048|proposals = aes256-sha256-modp2048, aes128-sha256-x25519|' \
	-e 's|esp_proposals = aes256gcm16-modp2048|esp_proposals = aes256gcm16-modp2048, aes128gcm16-x25519|' \
	-e 's|id = "CN=clinic-1312345678.example"|id = %any|' "$D/gw/swanctl.conf"
pair_start
oq() { ip netns exec "$A" "$OQLINK" --config "$D/site.conf" "$@"; }
sw() { ip netns exec "$A" swanctl "$@" --uri "unix://$D/a.vici"; }
up() { oq --json ipsec status 2>/dev/null | grep -q '"ESTABLISHED"'; }
# plan_steps: "kind|from" of each step of the plan
plan_steps() {
	oq --json plan | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    print("%s|%s" % (s["kind"], s["from"]))'
}
# holds "conn|sa" WHERE FIELD VALUE: does charon hold it now?
holds() {
	local how=$1 where=$2 field=$3 value=$4
	if [ "$how" = conn ]; then
		sw --list-conns --raw | python3 tests/lab/lib/raw_field.py "oqlink" "$where" "$field" "$value"
	else
		oq ipsec down --quiet >/dev/null 2>&1
		oq ipsec up --quiet --timeout 15 >/dev/null 2>&1 || return 1
		sw --list-sas --raw | python3 tests/lab/lib/raw_field.py "oqlink" "$where" "$field" "$value"
	fi
}

out=$(oq --lang en apply 2>&1); rc=$?
check "apply loads the connection" '[ $rc = 0 ] && [[ "$out" == *"load connection oqlink into charon"* ]]'
check "the tunnel comes up" 'wait_for 20 up'
check "plan right after apply: nothing to change" '[ -z "$(plan_steps)" ]'

for c in "${CHANGES[@]}"; do
	IFS='|' read -r key value seen <<< "$c"
	read -r how where field want <<< "$seen"
	old=$(grep "^$key = " "$D/site.conf")
	if [ -n "$old" ]; then
		sed -i "s|^$key = .*|$key = $value|" "$D/site.conf"
	else
		sed -i "s|^\[ipsec\]|[ipsec]\n$key = $value|" "$D/site.conf"
	fi
	steps=$(plan_steps)
	check "$key changed: plan shows one reload naming it" \
		'[ "$steps" = "charon-load|differs: $key" ]'
	[ "$steps" = "charon-load|differs: $key" ] || echo "$steps" | sed 's/^/# /'
	out=$(oq --lang en apply 2>&1); rc=$?
	check "$key: apply reloads, then plan is empty" '[ $rc = 0 ] && [ -z "$(plan_steps)" ]'
	check "$key: charon holds the new value ($field = $want)" 'holds $how $where $field $want'
	out=$(oq --lang en rollback 2>&1); rc=$?
	check "$key: rollback succeeds" '[ $rc = 0 ]'
	[ $rc = 0 ] || echo "$out" | sed 's/^/# /'
	# back to the old line: the site matches charon again
	if [ -n "$old" ]; then
		sed -i "s|^$key = .*|$old|" "$D/site.conf"
	else
		sed -i "/^$key = /d" "$D/site.conf"
	fi
	check "$key: after rollback charon holds the old value again and plan is empty" \
		'! holds $how $where $field $want && [ -z "$(plan_steps)" ]'
done
exit $failed
