#!/bin/bash
# The lab itself: its peers are real and every fault knob does what it says.
# TAP. Needs root; runs its own lab (own prefix and output directory) and
# takes it down at the end. For the IKE path it addresses the appliance
# itself for a while, as oqlink would, and clears that again.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
LAB=$ROOT/lab/lab

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP the lab needs root"
	exit 0
fi

T=$(mktemp -d /tmp/oqlt.XXXXXX)
export OQL_LAB=oqt$$
export OQL_LAB_OUT=$T/out
O=$OQL_LAB_OUT
VA="unix://$O/appliance/charon.vici"
VG="unix://$O/gateway/charon.vici"
. tests/lib/tap.sh
fails=0

nok() { n=$((n+1)); fails=$((fails+1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /'; return 0; }
# check "what" cmd...: passes when cmd succeeds; its output is shown on failure.
check() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then ok "$what"; else nok "$what" "$out"; fi
}
# refute "what" cmd...: passes when cmd fails.
refute() {
	local what=$1 out; shift
	if out=$("$@" 2>&1); then nok "$what" "$out"; else ok "$what"; fi
}
on() { local node=$1; shift; ip netns exec "$OQL_LAB-$node" "$@"; }

cleanup() {
	"$LAB" down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# ------------------------------------------------------------ helpers

# Keys of an INI file as "section.key", sorted.
ini_keys() {
	awk '/^\[/{s=$0; gsub(/[][]/, "", s); next} /^[a-z_0-9]+ *=/{k=$1; sub(/ *=.*/, "", k); print s "." k}' "$1" | sort
}

# Curl the central TLS server from a node: node curl-args...
tls() {
	local node=$1; shift
	on "$node" curl -sS --max-time 5 --resolve hweb.oqs-st.onshikaku.org:443:192.0.2.10 \
		--cacert "$O/central-ca.crt" "$@" https://hweb.oqs-st.onshikaku.org/
}
p12() { echo "--cert-type P12 --cert $1:$(cat "$O/terminal.p12.pass")"; }

# Offset of the central NTP server's time, in whole seconds, seen from a node.
ntp_offset() {
	local out
	out=$(on "$1" timeout 15 chronyd -Q -f /dev/null "server 192.0.2.123 iburst maxsamples 1" 2>&1) || return 1
	echo "$out" | sed -n 's/.*System clock wrong by \(-\?[0-9]*\)\..*/\1/p' | head -1
}

# The appliance as oqlink would set it up, enough for IKE: wan0 and term0.
appliance_address() {
	on appliance ip addr add 198.51.100.2/24 dev wan0
	on appliance ip addr add 192.168.20.1/24 dev term0
	on appliance ip route add default via 198.51.100.1
}
appliance_clear() {
	on appliance ip route flush table main
	on appliance ip -4 addr flush dev wan0
	on appliance ip -4 addr flush dev term0 2>/dev/null
	on appliance ip -4 addr flush dev lan0
}

# A swanctl.conf for the appliance's charon: auth (pubkey|psk).
ike_conf() {
	local auth=$1 d=$T/ike lcl rmt secrets=""
	rm -rf "$d"; mkdir -p "$d/private"
	ln -s "$O/ike.key" "$d/private/ike.key"
	if [ "$auth" = pubkey ]; then
		lcl="auth = pubkey
			certs = $O/ike.crt
			id = CN=clinic-1312345678.example"
		rmt="auth = pubkey
			cacerts = $O/ca.crt
			id = CN=vpngw.carrier.example"
	else
		lcl="auth = psk
			id = clinic-1312345678.example"
		rmt="auth = psk
			id = vpngw.carrier.example"
		secrets="ike-t {
		id-1 = clinic-1312345678.example
		id-2 = vpngw.carrier.example
		secret = \"$(cat "$O/ike.psk")\"
	}"
	fi
	cat > "$d/swanctl.conf" <<EOF
connections {
	t {
		version = 2
		remote_addrs = 203.0.113.1
		proposals = aes256-sha256-modp2048
		local {
			$lcl
		}
		remote {
			$rmt
		}
		children {
			t {
				local_ts = 192.168.20.0/24
				remote_ts = 192.0.2.0/24
				esp_proposals = aes256gcm16-modp2048
			}
		}
	}
}
secrets {
	$secrets
}
EOF
	swanctl --load-all --clear --noprompt --file "$d/swanctl.conf" --uri "$VA" >/dev/null 2>&1
}

ike_down() {
	swanctl --terminate --ike t --force --timeout 3 --uri "$VA" >/dev/null 2>&1
	return 0
}
# Bring the tunnel up from scratch; prints swanctl's output.
ike_up() {
	ike_down
	swanctl --initiate --child t --timeout 20 --uri "$VA" 2>&1
}
ike_sas() { swanctl --list-sas --uri "$1" 2>&1; }
tunnel_ping() { on appliance ping -c 2 -W 2 -I 192.168.20.1 "$@" 192.0.2.10; }

# The last swanctl --initiate output must fail and mention a word.
initiate_fails_with() {
	local what=$1 word=$2 out
	if out=$(ike_up); then nok "$what" "$out"
	elif [ -n "$word" ] && ! grep -q -i -- "$word" <<<"$out"; then nok "$what (no '$word')" "$out"
	else ok "$what"; fi
}

# ------------------------------------------------------------ up

start=$(date +%s%N)
out=$("$LAB" up 2>&1)
rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
if [ $rc -ne 0 ]; then
	nok "lab up (ipsec, separate, pubkey)" "$out"
	echo "1..$n"
	exit 1
fi
ok "lab up (ipsec, separate, pubkey) in $ms ms"

if [ -x "${OQLINK:-}" ]; then
	check "site.conf passes oqlink config check" "$OQLINK" --config "$O/site.conf" config check
else
	skip "oqlink binary not built (\$OQLINK)"
fi
check "site.conf has exactly the keys of examples/site-ipsec.conf" \
	diff <(ini_keys examples/site-ipsec.conf) <(ini_keys "$O/site.conf")
check "site.conf files exist: certificate, key, CA, PKCS#12, password" \
	test -s "$O/ike.crt" -a -s "$O/ike.key" -a -s "$O/ca.crt" -a -s "$O/central-ca.crt" \
	-a -s "$O/terminal.p12" -a -s "$O/terminal.p12.pass" -a -s "$O/ike.psk"
modes=$(stat -c '%a' "$O/ike.key" "$O/ike.psk" "$O/terminal.p12.pass" | sort -u)
[ "$modes" = 600 ] && ok "secret files are mode 0600" || nok "secret files are mode 0600" "$modes"
check "paths of site.conf stay under the output directory" \
	bash -c "! grep -E '^(state_dir|run_dir|report_dir|vici_socket|certificate|private_key|ca|client_p12|client_ca|password_file) *= *' '$O/site.conf' | grep -v '= $O/'"

# ------------------------------------------------------------ PKI

check "IKE certificate verifies against the lab CA" openssl verify -CAfile "$O/ca.crt" "$O/ike.crt"
check "IKE key matches its certificate" \
	cmp <(openssl x509 -in "$O/ike.crt" -noout -pubkey) <(openssl pkey -in "$O/ike.key" -pubout)
p12dump=$(openssl pkcs12 -in "$O/terminal.p12" -passin "file:$O/terminal.p12.pass" -nokeys -clcerts 2>&1)
if [ $? -eq 0 ]; then ok "terminal PKCS#12 opens with its password"; else nok "terminal PKCS#12 opens with its password" "$p12dump"; fi
refute "terminal PKCS#12 refuses a wrong password" \
	openssl pkcs12 -in "$O/terminal.p12" -passin pass:wrong -nokeys -noout
nb=$(date -d "$(openssl x509 -noout -startdate <<<"$p12dump" | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -noout -enddate <<<"$p12dump" | cut -d= -f2)" +%s)
days=$(( (na - nb) / 86400 ))
if [ $days -ge 1180 ] && [ $days -le 1190 ]; then ok "terminal certificate is valid 3 years 3 months ($days days)"
else nok "terminal certificate is valid 3 years 3 months" "$days days"; fi
check "terminal certificate verifies against the lab CA" \
	openssl verify -CAfile "$O/ca.crt" -purpose sslclient <(echo "$p12dump")
v=$(openssl verify -CAfile "$O/ca.crt" "$O/broken/ike-expired.crt" 2>&1)
grep -q "certificate has expired" <<<"$v" && ok "broken: expired certificate is expired" || nok "broken: expired" "$v"
v=$(openssl verify -CAfile "$O/ca.crt" "$O/broken/ike-notyet.crt" 2>&1)
grep -q "not yet valid" <<<"$v" && ok "broken: not-yet-valid certificate is not yet valid" || nok "broken: not yet valid" "$v"
v=$(openssl verify -CAfile "$O/ca.crt" "$O/broken/ike-otherca.crt" 2>&1)
grep -q "unable to get local issuer" <<<"$v" && ok "broken: other-CA certificate does not verify" || nok "broken: other CA" "$v"
check "broken: other-CA certificate verifies against the other CA" \
	openssl verify -CAfile "$O/broken/other-ca.crt" "$O/broken/ike-otherca.crt"
if openssl x509 -in "$O/broken/ike-expiring.crt" -noout -checkend $((19*86400)) >/dev/null &&
   ! openssl x509 -in "$O/broken/ike-expiring.crt" -noout -checkend $((21*86400)) >/dev/null; then
	ok "broken: expiring certificate ends in 20 days"
else nok "broken: expiring certificate ends in 20 days" "$(openssl x509 -in "$O/broken/ike-expiring.crt" -noout -enddate)"; fi
refute "broken: mismatched key does not match the IKE certificate" \
	cmp <(openssl x509 -in "$O/ike.crt" -noout -pubkey) <(openssl pkey -in "$O/broken/ike-mismatch.key" -pubout)
for v in expired notyet expiring otherca; do
	check "broken: terminal-$v.p12 opens with the terminal password" \
		openssl pkcs12 -in "$O/broken/terminal-$v.p12" -passin "file:$O/terminal.p12.pass" -nokeys -noout
done

# ------------------------------------------------------------ topology

for i in wan0 lan0 term0; do
	a=$(on appliance ip -4 -o addr show dev "$i" 2>&1)
	if on appliance ip link show "$i" >/dev/null 2>&1 && [ -z "$a" ]; then ok "appliance has $i, not addressed"
	else nok "appliance has $i, not addressed" "$a"; fi
done
r=$(on appliance ip -4 route show table all 2>&1 | grep -v -E '^(local|broadcast) ')
[ -z "$r" ] && ok "appliance has no routes" || nok "appliance has no routes" "$r"
check "exec runs a command on a node" bash -c "'$LAB' exec clinic ip -4 -o addr show dev eth0 | grep -q 192.168.10.20/24"
check "terminal at 192.168.20.10 on its own segment" \
	bash -c "ip netns exec $OQL_LAB-terminal ip -4 -o addr show dev eth0 | grep -q 192.168.20.10/24"
check "status says up" bash -c "'$LAB' status | grep -q 'up, mode ipsec, layout separate, auth pubkey'"
refute "up with another output directory refuses a prefix in use" env OQL_LAB_OUT="$T/other" "$LAB" up
refute "down with another output directory refuses a prefix in use" env OQL_LAB_OUT="$T/other" "$LAB" down
check "the lab in use is untouched" swanctl --stats --uri "$VG"

# ------------------------------------------------------------ appliance charon

check "appliance charon answers on its VICI socket" swanctl --stats --uri "$VA"
c=$(swanctl --list-conns --uri "$VA" 2>&1)
[ -z "$c" ] && ok "appliance charon has nothing loaded" || nok "appliance charon has nothing loaded" "$c"
check "appliance charon uses kernel-libipsec" bash -c "swanctl --stats --uri '$VA' | grep -q kernel-libipsec"

# ------------------------------------------------------------ central peers (from the gateway)

for pair in www.lineauth.mnw=192.0.2.20 hweb.oqs-st.onshikaku.org=192.0.2.10 pweb.base.oqs-pdl.org=192.0.2.10 \
	ntp.base.oqs-pdl.org=192.0.2.123 crldownload.obn.managedpki.ne.jp=192.0.2.30 assv.asc.flets-east.jp=192.0.2.40; do
	a=$(on gateway dig +short +time=2 +tries=1 @192.0.2.53 "${pair%=*}" A 2>&1)
	[ "$a" = "${pair#*=}" ] && ok "DNS answers ${pair%=*} = $a" || nok "DNS answers ${pair%=*}" "$a"
done
a=$(on gateway dig +time=2 +tries=1 @192.0.2.53 no.such.name.example A 2>&1)
grep -q NXDOMAIN <<<"$a" && ok "DNS says NXDOMAIN for an unknown name" || nok "DNS NXDOMAIN" "$a"
a=$(on appliance ip addr add 198.51.100.2/24 dev wan0 && on appliance dig +short +time=2 +tries=1 @198.51.100.1 vpngw.carrier.example; on appliance ip -4 addr flush dev wan0)
[ "$a" = 203.0.113.1 ] && ok "ISP DNS answers vpngw.carrier.example" || nok "ISP DNS answers vpngw.carrier.example" "$a"

# shellcheck disable=SC2046
refute "TLS server refuses a handshake without a client certificate" tls gateway
# shellcheck disable=SC2046
check "TLS server accepts the terminal's client certificate" tls gateway $(p12 "$O/terminal.p12")
# shellcheck disable=SC2046
refute "TLS server refuses an expired client certificate" tls gateway $(p12 "$O/broken/terminal-expired.p12")
# shellcheck disable=SC2046
refute "TLS server refuses a client certificate of another CA" tls gateway $(p12 "$O/broken/terminal-otherca.p12")
s=$(on gateway openssl s_client -connect 192.0.2.10:443 -servername pweb.base.oqs-pdl.org \
	-CAfile "$O/central-ca.crt" -verify_hostname pweb.base.oqs-pdl.org -verify_return_error </dev/null 2>&1)
grep -q "Verify return code: 0" <<<"$s" && ok "TLS server certificate is valid for pweb.base.oqs-pdl.org" ||
	nok "TLS server certificate is valid for pweb.base.oqs-pdl.org" "$(tail -5 <<<"$s")"

page=$(on gateway curl -sS --max-time 5 -H 'Host: www.lineauth.mnw' http://192.0.2.20/ 2>&1)
grep -q 認証済みです <<<"$page" && ok "line auth page answers 認証済みです" || nok "line auth answers 認証済みです" "$page"
page=$(on gateway curl -sS --max-time 5 'http://192.0.2.20/?id=CAF1234567890' 2>&1)
grep -q 認証済みです <<<"$page" && ok "line auth: registered customer ID is authenticated" || nok "line auth registered ID" "$page"
page=$(on gateway curl -sS --max-time 5 'http://192.0.2.20/?id=CAF0000000000' 2>&1)
grep -q 未認証です <<<"$page" && ok "line auth: another customer ID is not" || nok "line auth other ID" "$page"

# shellcheck disable=SC2046
check "HTTP proxy tunnels CONNECT to the TLS server" tls gateway --proxy http://192.0.2.80:8080 $(p12 "$O/terminal.p12")
check "HTTP proxy forwards plain HTTP" bash -c "ip netns exec $OQL_LAB-gateway curl -sS --max-time 5 -x http://192.0.2.80:8080 http://192.0.2.20/ | grep -q 認証済みです"

off=$(ntp_offset gateway)
if [ -n "$off" ] && [ "${off#-}" -le 2 ]; then ok "NTP server answers with the right time (offset ${off}s)"
else nok "NTP server answers with the right time" "offset '$off'"; fi

# ------------------------------------------------------------ IKE, end to end

appliance_address
ike_conf pubkey
out=$(ike_up)
if grep -q "established" <<<"$out" && ike_sas "$VG" | grep -q "clinic-pubkey.*ESTABLISHED"; then
	ok "gateway answers IKE: pubkey SA established"
else nok "gateway answers IKE: pubkey SA established" "$out"; fi
check "CHILD SA carries traffic to the central prefix (libipsec ESP)" tunnel_ping
# shellcheck disable=SC2046
check "terminal's certificate works end to end through the tunnel" \
	tls appliance --interface 192.168.20.1 $(p12 "$O/terminal.p12")
check "central DNS answers through the tunnel" \
	bash -c "ip netns exec $OQL_LAB-appliance dig +short +time=2 -b 192.168.20.1 @192.0.2.53 hweb.oqs-st.onshikaku.org | grep -q 192.0.2.10"

pid_before=$(cat "$O/run/pid.charon-gateway")
start=$(date +%s%N)
out=$("$LAB" up 2>&1); rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $rc -eq 0 ] && ok "lab up again is fine ($ms ms)" || nok "lab up again" "$out"
[ "$pid_before" = "$(cat "$O/run/pid.charon-gateway")" ] && ike_sas "$VG" | grep -q ESTABLISHED &&
	ok "lab up again keeps the gateway and its SA" || nok "lab up again keeps the gateway and its SA"

old=$(cat "$O/run/pid.s_server")
kill -9 "$old"
for i in $(seq 1 40); do [ -e "/proc/$old" ] || break; sleep 0.05; done
out=$("$LAB" up 2>&1); rc=$?
new=$(cat "$O/run/pid.s_server" 2>/dev/null)
# shellcheck disable=SC2046
if [ $rc -eq 0 ] && [ "$new" != "$old" ] && tls gateway $(p12 "$O/terminal.p12") >/dev/null 2>&1; then
	ok "lab up again restarts a daemon that died"
else nok "lab up again restarts a daemon that died" "$out"; fi

# ------------------------------------------------------------ faults

fault() { "$LAB" fault "$@" >/dev/null; }

fault dns-down on
refute "dns-down: central DNS does not answer" on gateway dig +short +time=1 +tries=1 @192.0.2.53 hweb.oqs-st.onshikaku.org
fault dns-down off
check "dns-down off: central DNS answers again" bash -c "ip netns exec $OQL_LAB-gateway dig +short +time=2 @192.0.2.53 hweb.oqs-st.onshikaku.org | grep -q 192.0.2.10"

fault tls-down on
# shellcheck disable=SC2046
refute "tls-down: TLS server does not answer" tls gateway $(p12 "$O/terminal.p12")
fault tls-down off
# shellcheck disable=SC2046
check "tls-down off: TLS server answers again" tls gateway $(p12 "$O/terminal.p12")

fault clock-skew on
off=$(ntp_offset gateway)
if [ -n "$off" ] && [ "$off" -ge 3590 ] && [ "$off" -le 3610 ]; then ok "clock-skew: NTP time is an hour ahead (${off}s)"
else nok "clock-skew: NTP time is an hour ahead" "offset '$off'"; fi
fault clock-skew off
off=$(ntp_offset gateway)
if [ -n "$off" ] && [ "${off#-}" -le 2 ]; then ok "clock-skew off: NTP time is right again (${off}s)"
else nok "clock-skew off: NTP time is right again" "offset '$off'"; fi

fault lineauth-unregistered on
page=$(on gateway curl -sS --max-time 5 http://192.0.2.20/ 2>&1)
grep -q 未認証です <<<"$page" && ok "lineauth-unregistered: page answers 未認証です" || nok "lineauth-unregistered" "$page"
fault lineauth-unregistered off
page=$(on gateway curl -sS --max-time 5 http://192.0.2.20/ 2>&1)
grep -q 認証済みです <<<"$page" && ok "lineauth-unregistered off: 認証済みです again" || nok "lineauth-unregistered off" "$page"

fault drop-esp on
check "drop-esp: IKE still comes up" ike_up
refute "drop-esp: no traffic through the tunnel" tunnel_ping
fault drop-esp off
check "drop-esp off: traffic flows again" tunnel_ping

big() { on appliance ping -c 2 -W 2 -M "do" -s 1372 "$@" 2>&1; }
check "mtu: 1400-byte DF packets reach the gateway" big 203.0.113.1
fault mtu-blackhole on
b=$(big 203.0.113.1)
if [ $? -ne 0 ] && ! grep -q -i "frag needed\|message too long" <<<"$b"; then ok "mtu-blackhole: big DF packets vanish without ICMP"
else nok "mtu-blackhole: big DF packets vanish without ICMP" "$b"; fi
check "mtu-blackhole: small packets pass" on appliance ping -c 2 -W 2 -s 1200 -M "do" 203.0.113.1
refute "mtu-blackhole: big packets through the tunnel vanish" tunnel_ping -s 1300 -M "do"
fault mtu-blackhole off
check "mtu-blackhole off: big DF packets pass again" big 203.0.113.1

fault loss 50
l=$(on appliance ping -q -c 60 -i 0.02 -W 1 203.0.113.1 2>&1 | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
l=${l%.*}
if [ -n "$l" ] && [ "$l" -ge 40 ] && [ "$l" -le 97 ]; then ok "loss 50: round-trip loss ${l}% (both ways)"
else nok "loss 50: round-trip loss" "loss '$l'%"; fi
fault loss off
l=$(on appliance ping -q -c 20 -i 0.02 -W 1 203.0.113.1 2>&1 | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
[ "${l%.*}" = 0 ] && ok "loss off: no loss" || nok "loss off: no loss" "loss '$l'%"

fault block-ike on
initiate_fails_with "block-ike: IKE gets no answer" ""
fault block-ike off
check "block-ike off: IKE comes up" ike_up

fault block-natt on
initiate_fails_with "block-natt: IKE fails after moving to UDP 4500" ""
fault block-natt off
check "block-natt off: IKE comes up" ike_up

fault gateway-down on
if ! ps -p "$pid_before" >/dev/null 2>&1; then ok "gateway-down: the gateway's charon is gone"
else nok "gateway-down: the gateway's charon is gone"; fi
initiate_fails_with "gateway-down: IKE gets no answer" ""
fault gateway-down off
check "gateway-down off: IKE comes up" ike_up

fault proposal-mismatch on
initiate_fails_with "proposal-mismatch: gateway chooses no proposal" "NO_PROPOSAL_CHOSEN"
fault proposal-mismatch off
check "proposal-mismatch off: IKE comes up" ike_up

fault wrong-remote-id on
initiate_fails_with "wrong-remote-id: the gateway is another identity, authentication fails" "AUTHENTICATION_FAILED"
fault wrong-remote-id off
check "wrong-remote-id off: IKE comes up" ike_up

fault expired-gw-cert on
initiate_fails_with "expired-gw-cert: the gateway's certificate is refused" "subject certificate invalid"
fault expired-gw-cert off
check "expired-gw-cert off: IKE comes up" ike_up

# ------------------------------------------------------------ PSK

ike_down
out=$("$LAB" up --auth psk 2>&1)
[ $? -eq 0 ] && ok "lab up --auth psk" || nok "lab up --auth psk" "$out"
check "psk site.conf has the PSK keys" bash -c "grep -q '^auth = psk' '$O/site.conf' && grep -q '^psk_file = $O/ike.psk' '$O/site.conf' && ! grep -q '^certificate' '$O/site.conf'"
if [ -x "${OQLINK:-}" ]; then
	check "psk site.conf passes oqlink config check" "$OQLINK" --config "$O/site.conf" config check
else skip "oqlink binary not built"; fi
ike_conf psk
out=$(ike_up)
if grep -q "established" <<<"$out" && ike_sas "$VG" | grep -q "clinic-psk.*ESTABLISHED"; then
	ok "gateway answers IKE: PSK SA established"
else nok "gateway answers IKE: PSK SA established" "$out"; fi
check "PSK tunnel carries traffic" tunnel_ping
fault wrong-psk on
initiate_fails_with "wrong-psk: authentication fails" "AUTHENTICATION_FAILED"
fault wrong-psk off
check "wrong-psk off: IKE comes up" ike_up
ike_down
appliance_clear

# ------------------------------------------------------------ IP-VPN, LAN layout

out=$("$LAB" up --mode ipvpn --layout lan 2>&1)
[ $? -eq 0 ] && ok "lab up --mode ipvpn --layout lan (rebuilds)" || nok "lab up --mode ipvpn --layout lan" "$out"
if [ -x "${OQLINK:-}" ]; then
	check "ipvpn site.conf passes oqlink config check" "$OQLINK" --config "$O/site.conf" config check
else skip "oqlink binary not built"; fi
check "ipvpn site.conf has the keys of examples/site-ipvpn.conf (lan layout: no terminal interface)" \
	diff <(ini_keys examples/site-ipvpn.conf | grep -v -x -e terminal.interface -e terminal.address) <(ini_keys "$O/site.conf")
refute "ipvpn: no gateway node" test -e "/run/netns/$OQL_LAB-gateway"
refute "lan layout: appliance has no term0" on appliance ip link show term0
check "lan layout: clinic PC reaches the terminal on the LAN" on clinic ping -c 1 -W 2 192.168.10.10
on appliance ip addr add 198.51.100.2/24 dev wan0
on appliance ip addr add 192.168.10.1/24 dev lan0
on appliance ip route add 192.0.2.0/24 via 198.51.100.1
check "ipvpn: central reached through the CE router" on appliance ping -c 1 -W 2 192.0.2.10
page=$(on appliance curl -sS --max-time 5 http://192.0.2.20/ 2>&1)
grep -q 認証済みです <<<"$page" && ok "ipvpn: line auth answers 認証済みです" || nok "ipvpn: line auth" "$page"
# shellcheck disable=SC2046
check "ipvpn: mutual TLS to the central server" tls appliance $(p12 "$O/terminal.p12")
refute "ipvpn: an IPsec-only fault is refused" "$LAB" fault block-ike on
fault mtu-blackhole on
refute "ipvpn mtu-blackhole: big DF packets vanish" on appliance ping -c 2 -W 2 -M "do" -s 1372 192.0.2.10
fault mtu-blackhole off
check "ipvpn mtu-blackhole off: big DF packets pass" on appliance ping -c 2 -W 2 -M "do" -s 1372 192.0.2.10
refute "an unknown fault is refused" "$LAB" fault no-such-fault on
appliance_clear

# The other two combinations of mode and layout: site.conf only.
out=$("$LAB" up --mode ipvpn --layout separate 2>&1)
[ $? -eq 0 ] && ok "lab up --mode ipvpn --layout separate" || nok "lab up --mode ipvpn --layout separate" "$out"
check "ipvpn separate site.conf has exactly the keys of examples/site-ipvpn.conf" \
	diff <(ini_keys examples/site-ipvpn.conf) <(ini_keys "$O/site.conf")
if [ -x "${OQLINK:-}" ]; then
	check "ipvpn separate site.conf passes oqlink config check" "$OQLINK" --config "$O/site.conf" config check
else skip "oqlink binary not built"; fi
out=$("$LAB" up --mode ipsec --layout lan --auth psk 2>&1)
[ $? -eq 0 ] && ok "lab up --mode ipsec --layout lan --auth psk" || nok "lab up --mode ipsec --layout lan --auth psk" "$out"
if [ -x "${OQLINK:-}" ]; then
	check "ipsec lan psk site.conf passes oqlink config check" "$OQLINK" --config "$O/site.conf" config check
else skip "oqlink binary not built"; fi
check "ipsec lan site.conf: the terminal on the LAN" \
	bash -c "grep -q '^segment = lan' '$O/site.conf' && grep -q '^host = 192.168.10.10' '$O/site.conf' && ! grep -q '^interface = term0' '$O/site.conf'"

# ------------------------------------------------------------ down

# A crash: the state is lost, down must still clean up.
pids=$(cat "$O"/run/pid.* 2>/dev/null | tr '\n' ' ')
rm -rf "$O/run"
out=$("$LAB" down 2>&1)
[ $? -eq 0 ] && ok "lab down" || nok "lab down" "$out"
left=$(ip netns list | grep "^$OQL_LAB-")
[ -z "$left" ] && ok "down leaves no namespace" || nok "down leaves no namespace" "$left"
left=$(ps -eo pid=,args= | grep -F "$O" | grep -v grep)
# A zombie (dead, waiting for init to reap it) is no process.
for p in $pids; do
	st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
	st=${st##*) }
	[ "${st%% *}" = Z ] || left+=" $p"
done
[ -z "$left" ] && ok "down leaves no process (of ${pids:-no pids})" || nok "down leaves no process" "$left"
left=$(ip -o link show | grep -E ': (wan0|lan0|term0|br0|down0|up0|gw0|cen0|p-appl|p-clinic|p-term)[@:]')
[ -z "$left" ] && ok "down leaves no interface on the host" || nok "down leaves no interface on the host" "$left"
[ ! -e "$O" ] && ok "down removes the output directory" || nok "down removes the output directory" "$(ls "$O")"
out=$("$LAB" down 2>&1)
[ $? -eq 0 ] && ok "down twice is fine" || nok "down twice is fine" "$out"

echo "1..$n"
[ $fails -eq 0 ]
