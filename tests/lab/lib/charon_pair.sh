# Two network namespaces with a charon each, for tests and benchmarks that
# need a real IKE peer without the whole lab (sourced, not run):
#   pair_setup PREFIX   namespaces $A (appliance) and $G (gateway), addresses,
#                       PKI, strongswan.conf files, the gateway's swanctl.conf
#                       and $D/site.conf for oqlink (all of it test set-up)
#   pair_start          start both charons and load the gateway's connection
#   pair_cleanup        kill the charons, delete the namespaces and $D
# The appliance has 198.51.100.2 on wan0 and 192.168.20.1/24 on term0 (the
# terminal segment); the gateway 203.0.113.1 on wan0 and 192.0.2.1/24 behind.

pair_setup() {
	P=$1
	A=$P-a
	G=$P-g
	D=$(mktemp -d /tmp/oqv.XXXXXX)
	trap pair_cleanup EXIT
	ip netns add "$A" && ip netns add "$G" || return 1
	ip link add "$P-w" type veth peer name "$P-x"
	ip link set "$P-w" netns "$A"
	ip link set "$P-x" netns "$G"
	ip -n "$A" link set "$P-w" name wan0
	ip -n "$G" link set "$P-x" name wan0
	ip -n "$A" link add term0 type veth peer name term0p
	ip -n "$G" link add cen0 type veth peer name cen0p
	for ns in $A $G; do ip -n "$ns" link set lo up; done
	ip -n "$A" addr add 198.51.100.2/24 dev wan0
	ip -n "$A" link set wan0 up
	ip -n "$A" addr add 192.168.20.1/24 dev term0
	ip -n "$A" link set term0 up
	ip -n "$A" link set term0p up
	ip -n "$G" addr add 203.0.113.1/24 dev wan0
	ip -n "$G" link set wan0 up
	ip -n "$G" addr add 192.0.2.1/24 dev cen0
	ip -n "$G" link set cen0 up
	ip -n "$G" link set cen0p up
	# the two WAN addresses are in different subnets: reach each other on-link
	ip -n "$A" route add 203.0.113.1/32 dev wan0
	ip -n "$G" route add 198.51.100.2/32 dev wan0

	mkdir -p "$D/pki" "$D/gw/x509" "$D/gw/x509ca" "$D/gw/private" "$D/state"
	(
		cd "$D/pki" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 \
			-subj "/CN=Test CA" -addext basicConstraints=critical,CA:true \
			-addext keyUsage=keyCertSign,cRLSign
		for c in gw:vpngw.carrier.example ike:clinic-1312345678.example; do
			name=${c%%:*}
			cn=${c#*:}
			openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" \
				-subj "/CN=$cn"
			printf 'subjectAltName=DNS:%s\n' "$cn" > ext
			openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out "$name.crt" -days 30 -extfile ext
		done
		chmod 600 ./*.key
		echo secret > p12.pass
		chmod 600 p12.pass
	) >/dev/null 2>&1
	cp "$D/pki/gw.crt" "$D/gw/x509/"
	cp "$D/pki/ca.crt" "$D/gw/x509ca/"
	cp "$D/pki/gw.key" "$D/gw/private/"

	for x in a g; do
		cat > "$D/$x.conf" <<EOF
charon {
  load = random nonce aes sha1 sha2 hmac kdf gcm pem pkcs1 pkcs8 x509 revocation constraints pubkey openssl gmp curve25519 kernel-libipsec kernel-netlink socket-default vici
  retransmit_tries = 2
  retransmit_timeout = 1
  retransmit_base = 1.4
  plugins {
    vici {
      socket = unix://$D/$x.vici
    }
  }
}
EOF
	done

	cat > "$D/gw/swanctl.conf" <<EOF
connections {
    clinics {
        version = 2
        local_addrs = 203.0.113.1
        proposals = aes256-sha256-modp2048
        local {
            auth = pubkey
            certs = gw.crt
            id = "CN=vpngw.carrier.example"
        }
        remote {
            auth = pubkey
            id = "CN=clinic-1312345678.example"
        }
        children {
            clinic {
                local_ts = 192.0.2.0/24
                remote_ts = 192.168.20.0/24
                esp_proposals = aes256gcm16-modp2048
            }
        }
    }
}
EOF

	sed -e "s|/etc/oqlink/ike.crt|$D/pki/ike.crt|; s|/etc/oqlink/ike.key|$D/pki/ike.key|" \
	    -e "s|/etc/oqlink/central-ca.crt|$D/pki/ca.crt|; s|/etc/oqlink/ca.crt|$D/pki/ca.crt|" \
	    -e "s|/etc/oqlink/terminal.p12.pass|$D/pki/p12.pass|" \
	    -e "s|/etc/oqlink/terminal.p12|$D/pki/ca.crt|" \
	    -e "s|/var/run/charon.vici|$D/a.vici|; s|/var/lib/oqlink/reports|$D/state/reports|" \
	    -e "s|/var/lib/oqlink|$D/state|; s|/run/oqlink|$D/state/run|" \
	    -e "s|^ping = .*|ping = 192.0.2.1|" \
	    examples/site-ipsec.conf > "$D/site.conf"
}

start_charon() {
	ip netns exec "$1" unshare -m sh -c \
		"mount -t tmpfs none /run; STRONGSWAN_CONF=$D/$2.conf exec /usr/lib/ipsec/charon" \
		> "$D/$2.out" 2>&1 &
}

# Start both charons (own mount namespace and /run each) and load the
# gateway's connection.
pair_start() {
	start_charon "$A" a
	start_charon "$G" g
	for i in $(seq 100); do
		[ -S "$D/a.vici" ] && [ -S "$D/g.vici" ] && break
		sleep 0.1
	done
	swanctl --load-all --file "$D/gw/swanctl.conf" --uri "unix://$D/g.vici" >/dev/null 2>&1
}

pair_cleanup() {
	for ns in $A $G; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
	done
	sleep 0.3
	ip netns del "$A" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	rm -rf "$D"
}
