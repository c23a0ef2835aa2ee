#!/bin/bash
# oqlink ipsec against the lab's real gateway (lab/lab, ipsec mode): up, a
# ping from the terminal through the tunnel, status --json against
# swanctl --list-sas --raw on the same charon, down; then diagnose must
# name the right cause for each lab fault.
#
# The appliance's addresses and routes are normally set by `oqlink apply`;
# here the test sets them itself with ip (test set-up, marked below) so that
# it depends on the lab and on ipsec/ only.
set -u
cd "$(dirname "$0")/../.."
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
LAB=$PWD/lab/lab
export OQL_LAB=${OQL_LAB:-oqi$$}

# cause expected from `diagnose` for each fault, the auth mode it needs, and
# words its detail must hold (optional, "_" for spaces)
FAULTS=(
	"proposal-mismatch no-proposal pubkey"
	"wrong-remote-id remote-id pubkey"
	"gateway-down peer-unreachable pubkey nothing_listens_on_UDP_500"
	"block-ike peer-unreachable pubkey filtered_on_the_way"
	"block-natt udp4500-blocked pubkey"
	"drop-esp no-traffic pubkey"
	"mtu-blackhole mtu-blackhole pubkey"
	"expired-gw-cert peer-cert-expired pubkey"
	"wrong-psk psk-mismatch psk"
)
TOTAL=$((6 + ${#FAULTS[@]}))
. tests/lib/tap.sh
# check WHAT 'SHELL CONDITION'
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

echo "1..$TOTAL"
if [ ! -x "$LAB" ] || [ "$(id -u)" != 0 ] || ! command -v python3 >/dev/null; then
	for i in $(seq "$TOTAL"); do echo "ok $i # SKIP needs lab/lab, root and python3"; done
	exit 0
fi
export OQL_LAB_OUT=${OQL_LAB_OUT:-$(mktemp -d /tmp/oqi.XXXXXX)}
OUT=$OQL_LAB_OUT
UPLOG=$(mktemp /tmp/oqi-up.XXXXXX)
trap '"$LAB" down >/dev/null 2>&1; rm -rf "$OUT" "$UPLOG"' EXIT

oq() { "$LAB" exec appliance "$OQLINK" --config "$OUT/site.conf" "$@"; }
sw() { swanctl "$@" --uri "unix://$OUT/appliance/charon.vici"; }

# Bring the lab up and address the appliance (test set-up, in place of
# `oqlink apply`).
lab_up() {
	"$LAB" down >/dev/null 2>&1
	"$LAB" up --mode ipsec --layout separate --auth "$1" > "$UPLOG" 2>&1 || return 1
	"$LAB" exec appliance sh -c '
		ip addr add 198.51.100.2/24 dev wan0 && ip link set wan0 up &&
		ip route add default via 198.51.100.1 &&
		ip addr add 192.168.10.1/24 dev lan0 && ip link set lan0 up &&
		ip addr add 192.168.20.1/24 dev term0 && ip link set term0 up &&
		sysctl -qw net.ipv4.ip_forward=1'
}

if ! lab_up pubkey; then
	tail -5 "$UPLOG" | sed 's/^/# /'
	for i in $(seq "$TOTAL"); do echo "not ok $i - lab up failed"; done
	exit 1
fi

# --- the tunnel ---
oq --lang en ipsec up -q > "$OUT/up.log" 2>&1; rc=$?
check "ipsec up against the lab gateway" '[ $rc = 0 ]'
[ $rc = 0 ] || sed 's/^/# /' "$OUT/up.log"
check "ping from the terminal through the tunnel to the central network" \
	'"$LAB" exec terminal ping -c 3 -W 2 192.0.2.53 >/dev/null'
oq --json ipsec status > "$OUT/status.json"; rc=$?
sw --list-sas --raw > "$OUT/raw.txt" 2>&1
check "status --json exits 0 when up" '[ $rc = 0 ]'
check "status --json agrees field by field with swanctl --list-sas --raw" \
	'python3 tests/lab/lib/vici_compare.py "$OUT/status.json" "$OUT/raw.txt"'
out=$(oq --lang en --json ipsec diagnose --yes); rc=$?
check "diagnose of the working tunnel says ok" \
	'[ $rc = 0 ] && [[ "$out" == *"\"cause\":\"ok\""* ]]'
oq ipsec down -q >/dev/null 2>&1; rc=$?
check "ipsec down closes the tunnel" \
	'[ $rc = 0 ] && ! sw --list-sas 2>/dev/null | grep -q ESTABLISHED'

# --- diagnose, one fault at a time ---
auth=pubkey
for f in "${FAULTS[@]}"; do
	read -r fault want mode words <<< "$f"
	words=${words//_/ }
	if [ "$mode" != "$auth" ]; then
		auth=$mode
		lab_up "$auth" || { not_ok "lab up --auth $auth"; continue; }
	fi
	"$LAB" fault "$fault" on >/dev/null 2>&1
	out=$(oq --lang en --json ipsec diagnose --yes --timeout 25 2>/dev/null)
	"$LAB" fault "$fault" off >/dev/null 2>&1
	got=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cause"])' 2>/dev/null)
	detail=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["detail"] or "")' 2>/dev/null)
	check "diagnose with $fault names '$want'${words:+ ($words)}" \
		'[ "$got" = "$want" ] && [[ "$detail" == *"$words"* ]]'
	[ "$got" = "$want" ] || printf '%s' "$out" | python3 -c \
		'import json,sys; d=json.load(sys.stdin); print("\n".join(["got " + d["cause"]] + d["evidence"]))' \
		2>/dev/null | sed 's/^/# /'
	oq ipsec down -q >/dev/null 2>&1
done
exit $failed
