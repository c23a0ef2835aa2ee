#!/bin/bash
# ipsec export-swanctl, read by the real swanctl into a real charon (in
# private mount and network namespaces): a CA path holding the settings
# parser's own characters ('}', '#', ',') and a list of two traffic
# selectors load as what they are.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-$PWD/build/asan/oqlink}
CHARON=/usr/lib/ipsec/charon
. tests/lib/tap.sh

N=4
echo "1..$N"
if [ "$(id -u)" -ne 0 ] || [ ! -x "$CHARON" ] || ! command -v swanctl >/dev/null ||
   ! unshare -m -n true 2>/dev/null; then
	for i in $(seq 1 $N); do echo "ok $i # SKIP needs root, charon, swanctl and namespaces"; done
	exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
CA="$tmp/ca }#x,y.crt"

cat > "$tmp/strongswan.conf" <<EOF
charon {
	load = random nonce aes sha1 sha2 hmac kdf gcm pem pkcs1 pkcs8 x509 pubkey openssl kernel-netlink socket-default vici
	plugins {
		vici {
			socket = unix://$tmp/charon.vici
		}
	}
}
EOF
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca \
	-keyout "$tmp/ike.key" -out "$CA" 2>/dev/null
cp "$CA" "$tmp/ike.crt"; cp "$CA" "$tmp/central-ca.crt"; cp "$CA" "$tmp/ca.crt"
touch "$tmp/terminal.p12" "$tmp/terminal.p12.pass"; chmod 600 "$tmp/ike.key" "$tmp/terminal.p12.pass"
sed -e "s|^ca = /etc/oqlink/ca.crt|ca = $CA|; s|/etc/oqlink|$tmp|; s|/var/run/charon.vici|$tmp/charon.vici|" \
	-e '/^\[terminal\]/,/^lan_ports/c\[terminal]\nsegment = lan\nhost = 192.168.10.30' \
	examples/site-ipsec.conf > "$tmp/site.conf"

desc="export-swanctl quotes the CA path holding } # ,"
t grep -qF "cacert = \"$CA\"" <("$O" --config "$tmp/site.conf" ipsec export-swanctl)

# Start charon, load the export with swanctl, list what charon holds.
cat > "$tmp/run.sh" <<EOF
mount -t tmpfs none /run || exit 1
STRONGSWAN_CONF='$tmp/strongswan.conf' $CHARON >'$tmp/charon.out' 2>&1 &
end=\$((SECONDS + 10))
while [ ! -S '$tmp/charon.vici' ] && [ \$SECONDS -lt \$end ]; do sleep 0.1; done
u=unix://$tmp/charon.vici
'$O' --config '$tmp/site.conf' ipsec export-swanctl > '$tmp/swanctl.conf' &&
swanctl --load-conns --file '$tmp/swanctl.conf' --uri \$u &&
swanctl --load-authorities --file '$tmp/swanctl.conf' --uri \$u &&
swanctl --list-conns --uri \$u && swanctl --list-authorities --uri \$u
rc=\$?
kill %1
exit \$rc
EOF
timeout 60 unshare -m -n bash "$tmp/run.sh" >"$tmp/out" 2>&1
rc=$?
desc="swanctl loads the connection and the authority into charon"
t eval '[ $rc = 0 ] && grep -q "loaded connection .oqlink." "$tmp/out" && grep -q "loaded authority" "$tmp/out" || { cat "$tmp/out"; false; }'
desc="the list of local selectors arrives as two selectors"
t eval 'grep -A1 "oqlink: TUNNEL" "$tmp/out" | grep -q "local:  192.168.10.30/32 192.168.10.1/32"'
desc="the authority holds the CA read from that path"
t grep -q "cacert: CN=test-ca" "$tmp/out"
exit $failed
