#!/bin/bash
# oqlink config template, through the real binary: a commented site.conf
# for each line type, whose empty keys are exactly the ones config check
# asks for, and that becomes a valid config once they are filled in.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..10"

"$O" --lang en config template > "$tmp/default.conf"
"$O" --lang en config template --mode ipsec > "$tmp/ipsec.conf"
"$O" --lang ja config template --mode ipvpn > "$tmp/ipvpn.conf"

desc="without --mode the template is the ipsec one"
t cmp -s "$tmp/default.conf" "$tmp/ipsec.conf"
desc="each mode keeps its own keys and leaves out the other's"
t bash -c "grep -q '^peer =' '$tmp/ipsec.conf' && ! grep -q 'ce_router' '$tmp/ipsec.conf' &&
	   grep -q '^ce_router =' '$tmp/ipvpn.conf' && ! grep -q -e '^\[ipsec\]' -e 'psk_file' '$tmp/ipvpn.conf'"
desc="every key comes with its label and hint in the language asked for"
t bash -c "grep -q '^# Facility code: 10 digits' '$tmp/ipsec.conf' &&
	   grep -q '^# 医療機関コード: 10 桁' '$tmp/ipvpn.conf' &&
	   grep -B1 '^type = ipvpn' '$tmp/ipvpn.conf' | grep -q 'ipsec: IPsec+IKE 接続方式'"
desc="a key with a default is commented out with it"
t grep -q '^# mtu = 1500$' "$tmp/ipsec.conf"
desc="a key that does not apply to the defaults says when it is used"
t grep -q '^# Pre-shared key: .*(used with auth = psk)$' "$tmp/ipsec.conf"

# The problems config check finds are the empty keys, one each.
empties() { grep -c '^[a-z_0-9]* =$' "$1"; }
problems() { "$O" --lang en config show "$1" 2>&1 >/dev/null | grep -c "has an empty value"; }
desc="config check names exactly the keys left to fill in (ipsec)"
t test "$(empties "$tmp/ipsec.conf")" -gt 0 -a "$(empties "$tmp/ipsec.conf")" = "$(problems "$tmp/ipsec.conf")"
desc="config check names exactly the keys left to fill in (ipvpn)"
t test "$(empties "$tmp/ipvpn.conf")" -gt 0 -a "$(empties "$tmp/ipvpn.conf")" = "$(problems "$tmp/ipvpn.conf")"

fill() {
	sed -e 's|^facility_code =$|facility_code = 1312345678|' \
	    -e 's|^facility_name =$|facility_name = さくら内科クリニック|' \
	    -e '/^\[uplink\]/,/^\[/s|^address =$|address = 198.51.100.2/24|' \
	    -e 's|^# gateway =$|gateway = 198.51.100.1|' \
	    -e 's|^peer =$|peer = 203.0.113.1|' \
	    -e 's|^ce_router =$|ce_router = 198.51.100.1|' \
	    -e '/^\[lan\]/,/^\[/s|^address =$|address = 192.168.10.1/24|' \
	    -e 's|^host =$|host = 192.168.10.10|' \
	    -e 's|^prefixes =$|prefixes = 192.0.2.0/24|' "$1"
}
valid() { fill "$1" > "$tmp/filled.conf" && "$O" --lang en config show "$tmp/filled.conf" >/dev/null; }
desc="filled in, the ipsec template is a valid config"
t valid "$tmp/ipsec.conf"
desc="filled in, the ipvpn template is a valid config"
t valid "$tmp/ipvpn.conf"

desc="an unknown --mode is a usage error (exit 2) naming it"
"$O" --lang en config template --mode ipv6 > "$tmp/out" 2>&1
t bash -c "[ $? -eq 2 ] && grep -q \"'ipv6'\" '$tmp/out'"
exit $failed
