#!/bin/bash
# oqlink's VICI client against real charons, without the full lab: two
# network namespaces (appliance, gateway) joined by a veth pair, each with
# its own charon (kernel-libipsec), the gateway configured with swanctl.
# Checks: charon not running (ja/en), up, traffic through the tunnel,
# status --json against swanctl --list-sas --raw field by field, diagnose
# (refusing to close a working tunnel unasked; phase, IKE or ESP proposals,
# time and addresses), down,
# unload of only what oqlink loaded, export-swanctl loading with swanctl.
set -u
cd "$(dirname "$0")/../.."
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
. tests/lib/tap.sh
# check WHAT 'SHELL CONDITION'
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

echo "1..23"
if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null ||
   ! command -v python3 >/dev/null; then
	for i in $(seq 23); do echo "ok $i # SKIP needs root, charon, swanctl and python3"; done
	exit 0
fi

# --- set-up (tests/lab/lib/charon_pair.sh): namespaces, PKI, charons ---
. tests/lab/lib/charon_pair.sh
pair_setup oqv$$ || exit 1
oq() { ip netns exec "$A" "$OQLINK" --config "$D/site.conf" "$@"; }
sw() { swanctl "$@" --uri "unix://$D/$1.vici"; }

# --- 1-2: charon not running, in both languages ---
out=$("$OQLINK" --lang en --config "$D/site.conf" ipsec status 2>&1); rc=$?
check "status without charon: exit 3 and 'charon is not running at PATH'" \
	'[ $rc = 3 ] && [[ "$out" == *"charon is not running at $D/a.vici"* ]]'
out=$("$OQLINK" --lang ja --config "$D/site.conf" ipsec status 2>&1)
check "the same in Japanese" '[[ "$out" == *"charon が $D/a.vici で動いていません"* ]]'

pair_start
# a connection oqlink did not load, which it must leave alone
cat > "$D/other.conf" <<EOF
connections {
    other {
        remote_addrs = 192.0.2.99
        local {
            auth = psk
        }
        remote {
            auth = psk
        }
        children {
            other {
                remote_ts = 10.99.0.0/16
            }
        }
    }
}
EOF
swanctl --load-conns --file "$D/other.conf" --uri "unix://$D/a.vici" >/dev/null 2>&1

# --- 3: up ---
out=$(oq --lang en ipsec up 2>&1); rc=$?
check "ipsec up establishes the tunnel" '[ $rc = 0 ]'
[ $rc = 0 ] || echo "$out" | sed 's/^/# /'

# --- 4: traffic from the terminal side through the tunnel ---
check "ping from the terminal side through the tunnel" \
	'ip netns exec "$A" ping -c 2 -W 2 -I 192.168.20.1 192.0.2.1 >/dev/null'

# --- 5-6: status --json agrees with swanctl --list-sas --raw ---
oq --json ipsec status > "$D/status.json"; rc=$?
check "status --json exits 0 when up" '[ $rc = 0 ]'
sw a --list-sas --raw > "$D/raw.txt" 2>&1
check "status --json agrees field by field with swanctl --list-sas --raw" \
	'python3 tests/lab/lib/vici_compare.py "$D/status.json" "$D/raw.txt"'

# --- 7: status (text) names the SAs ---
out=$(oq --lang en ipsec status)
check "status shows ESTABLISHED, INSTALLED and the loaded connection matching the config" \
	'[[ "$out" == *"ESTABLISHED"* && "$out" == *"INSTALLED"* && "$out" == *"192.0.2.0/24"* &&
	   "$out" == *"loaded, matches the site config"* ]]'

# --- 8-10: diagnose on a working tunnel: refused without a terminal, asks on
# one,
# then ok with --yes, with timings, the time (JST) and the addresses ---
spi=$(sw a --list-sas 2>/dev/null | grep -o '[0-9a-f]\{16\}_i' | head -1)
out=$(oq --lang en ipsec diagnose --ping 192.0.2.1 </dev/null 2>&1); rc=$?
spi2=$(sw a --list-sas 2>/dev/null | grep -o '[0-9a-f]\{16\}_i' | head -1)
check "diagnose of a working tunnel without a terminal or --yes: exit 2, says why, tunnel untouched" \
	'[ $rc = 2 ] && [[ "$out" == *"the tunnel is up"*"--yes"* ]] && [ -n "$spi" ] && [ "$spi" = "$spi2" ]'
# on a terminal it asks; "n" leaves the tunnel alone (script(1) gives it a pty)
out=$(printf 'n\n' | script -qec "ip netns exec $A $OQLINK --config $D/site.conf --lang en ipsec diagnose" /dev/null 2>&1); rc=$?
spi2=$(sw a --list-sas 2>/dev/null | grep -o '[0-9a-f]\{16\}_i' | head -1)
check "on a terminal diagnose asks first; 'n': exit 2, tunnel untouched" \
	'[ $rc = 2 ] && [[ "$out" == *"Go on? [y/N]"* ]] && [ "$spi" = "$spi2" ]'
out=$(oq --lang en --json ipsec diagnose --yes --ping 192.0.2.1); rc=$?
check "diagnose --yes on a working tunnel: ok, traffic answered, stamped (+09:00) with the addresses" \
	'[ $rc = 0 ] && printf "%s" "$out" | python3 -c "
import json, re, sys
d = json.load(sys.stdin)
assert d[\"cause\"] == \"ok\" and any(\"3 replies\" in e for e in d[\"evidence\"])
assert re.fullmatch(r\"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00\", d[\"started\"]), d[\"started\"]
assert d[\"ended\"] >= d[\"started\"] and d[\"phase\"] is None
assert re.fullmatch(r\"198\.51\.100\.2:(500|4500)\", d[\"local\"]), d[\"local\"]
assert re.fullmatch(r\"203\.0\.113\.1:(500|4500)\", d[\"remote\"]), d[\"remote\"]
"'

# --- 11: down ---
oq --lang en ipsec down -q >/dev/null 2>&1; rc=$?
left=$(sw a --list-sas 2>/dev/null | grep -c '^oqlink')
check "ipsec down closes the tunnel" '[ $rc = 0 ] && [ "$left" = 0 ]'

# --- 12: down --unload removes only what oqlink loaded ---
oq --lang en ipsec down --unload -q >/dev/null 2>&1
conns=$(sw a --list-conns 2>/dev/null | grep -E '^[a-z]' | cut -d: -f1 | sort | tr '\n' ' ')
auths=$(sw a --list-authorities 2>/dev/null | grep -c oqlink-ca)
check "unload leaves the foreign connection and removes ours (conns: $conns)" \
	'[ "$conns" = "other " ] && [ "$auths" = 0 ]'

# --- 13-14: export-swanctl loads with swanctl and gives the same connection ---
oq ipsec export-swanctl > "$D/export.conf"
# as the export says: swanctl takes the key from private/ next to the file
mkdir -p "$D/private" && cp "$D/pki/ike.key" "$D/private/"
out=$(swanctl --load-all --file "$D/export.conf" --uri "unix://$D/a.vici" 2>&1)
check "swanctl --load-all --file of the export loads" \
	'[[ "$out" == *"loaded connection"*"oqlink"* && "$out" != *"failed to load"* ]]'
# start_action = start: loading it brings the tunnel up by itself
for i in $(seq 50); do
	sw a --list-sas 2>/dev/null | grep -q 'INSTALLED' && break
	sleep 0.2
done
check "the exported connection (start_action = start) brings the tunnel up" \
	'sw a --list-sas 2>/dev/null | grep -q INSTALLED'


# --- 15: a gateway that does not answer is named as such ---
swanctl --terminate --ike oqlink --uri "unix://$D/a.vici" >/dev/null 2>&1
ip -n "$G" link set wan0 down
out=$(oq --lang en --json ipsec diagnose --timeout 6); rc=$?
ip -n "$G" link set wan0 up
ip -n "$G" route add 198.51.100.2/32 dev wan0
check "diagnose names an unreachable gateway (exit 1)" \
	'[ $rc = 1 ] && [[ "$out" == *"\"cause\":\"peer-unreachable\""* ]]'
# --- 16-23: diagnose names the cause of each fault made here ---
# diag NAME WANT [SITE-EDIT] [NFT-RULE-ON-GATEWAY]
diag() {
	local what=$1 want=$2 edit=${3:-} rule=${4:-} got
	sed -e "$edit" "$D/site.conf" > "$D/fault.conf"
	[ -n "$rule" ] && echo "table inet oqfault { chain c { type filter hook input priority 0; $rule; }; }" |
		ip netns exec "$G" nft -f -
	ip netns exec "$A" "$OQLINK" --config "$D/fault.conf" --json ipsec diagnose \
		--yes --timeout 8 --ping 192.0.2.1 > "$D/diag.json"
	got=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["cause"])' < "$D/diag.json")
	[ -n "$rule" ] && ip netns exec "$G" nft delete table inet oqfault
	ip netns exec "$A" "$OQLINK" --config "$D/fault.conf" ipsec down -q >/dev/null 2>&1
	check "diagnose: $what is '$want' (got '$got')" '[ "$got" = "$want" ]'
}
# diag_is WHAT: python assertions (stdin) about the last diagnosis, d
diag_is() {
	local py
	py="import json, sys; d = json.load(open(sys.argv[1]))"$'\n'$(cat)
	check "$1" 'python3 -c "$py" "$D/diag.json" 2>/dev/null'
}
diag "IKE proposal mismatch" no-proposal 's|^ike_proposals = .*|ike_proposals = aes128-sha1-modp1024|'
diag_is "IKE proposal mismatch: phase IKE_SA_INIT, the IKE proposals, no CHILD_SA evidence" <<'EOF'
assert d["phase"] == "IKE_SA_INIT" and d["proposal"] == "ike"
assert "IKE" in d["title"]["en"] and "aes128-sha1-modp1024" in d["detail"]
assert not any("CHILD_SA" in e for e in d["evidence"]), d["evidence"]
assert d["local"] == "198.51.100.2:500" and d["remote"] == "203.0.113.1:500"
EOF
diag "ESP proposal mismatch" no-proposal 's|^esp_proposals = .*|esp_proposals = aes128gcm16-x25519|'
diag_is "ESP proposal mismatch: phase CHILD_SA, the ESP proposals, stamped +09:00" <<'EOF'
assert d["phase"] == "CHILD_SA" and d["proposal"] == "esp"
assert "ESP" in d["title"]["en"] and "aes128gcm16-x25519" in d["detail"]
assert d["started"].endswith("+09:00") and d["remote"].startswith("203.0.113.1:")
EOF
diag "wrong remote ID" remote-id 's|^remote_id = .*|remote_id = CN=other.carrier.example|'
diag "terminal segment the gateway does not know" ts-unacceptable \
	's|^address = 192.168.20.1/24|address = 192.168.30.1/24|; s|^host = 192.168.20.10|host = 192.168.30.10|'
diag "UDP 4500 blocked" udp4500-blocked '' 'udp dport 4500 drop'
diag "ESP in UDP dropped" no-traffic '' 'udp dport 4500 @th,64,32 != 0 drop'
exit $failed
