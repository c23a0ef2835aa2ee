#!/bin/bash
# oqlink's VICI client against real charons, without the full lab: two
# network namespaces (appliance, gateway) joined by a veth pair, each with
# its own charon (kernel-libipsec), the gateway configured with swanctl.
# Checks: charon not running (ja/en), up, traffic through the tunnel,
# status --json against swanctl --list-sas --raw field by field, down,
# unload of only what oqlink loaded, export-swanctl loading with swanctl.
set -u
cd "$(dirname "$0")/../.."
OQLINK=${OQLINK:-$PWD/build/asan/oqlink}
n=0; failed=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
not_ok() { n=$((n+1)); failed=1; echo "not ok $n - $1"; }
# check WHAT 'SHELL CONDITION'
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

echo "1..13"
if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/ipsec/charon ] || ! command -v swanctl >/dev/null ||
   ! command -v python3 >/dev/null; then
	for i in $(seq 13); do echo "ok $i # SKIP needs root, charon, swanctl and python3"; done
	exit 0
fi

# --- set-up: namespaces, addresses, PKI, charons (all of it test set-up) ---
P=oqv$$
A=$P-a; G=$P-g
D=$(mktemp -d /tmp/oqv.XXXXXX)
cleanup() {
	for ns in $A $G; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
	done
	sleep 0.3
	ip netns del "$A" 2>/dev/null; ip netns del "$G" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

ip netns add "$A" && ip netns add "$G" || exit 1
ip link add "$P-w" type veth peer name "$P-x"
ip link set "$P-w" netns "$A"; ip link set "$P-x" netns "$G"
ip -n "$A" link set "$P-w" name wan0; ip -n "$G" link set "$P-x" name wan0
ip -n "$A" link add term0 type veth peer name term0p
ip -n "$G" link add cen0 type veth peer name cen0p
for ns in $A $G; do ip -n "$ns" link set lo up; done
ip -n "$A" addr add 198.51.100.2/24 dev wan0; ip -n "$A" link set wan0 up
ip -n "$A" route add default via 198.51.100.1 dev wan0 onlink
ip -n "$A" addr add 192.168.20.1/24 dev term0
ip -n "$A" link set term0 up; ip -n "$A" link set term0p up
ip -n "$G" addr add 203.0.113.1/24 dev wan0; ip -n "$G" link set wan0 up
ip -n "$G" route add default via 203.0.113.2 dev wan0 onlink
ip -n "$G" addr add 192.0.2.1/24 dev cen0
ip -n "$G" link set cen0 up; ip -n "$G" link set cen0p up
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
		name=${c%%:*}; cn=${c#*:}
		openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$cn"
		printf 'subjectAltName=DNS:%s\n' "$cn" > ext
		openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out "$name.crt" -days 30 -extfile ext
	done
	chmod 600 ./*.key
	echo secret > p12.pass; chmod 600 p12.pass
) >/dev/null 2>&1
cp "$D/pki/gw.crt" "$D/gw/x509/"; cp "$D/pki/ca.crt" "$D/gw/x509ca/"
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
start_charon() {
	ip netns exec "$1" unshare -m sh -c \
		"mount -t tmpfs none /run; STRONGSWAN_CONF=$D/$2.conf exec /usr/lib/ipsec/charon" \
		> "$D/$2.out" 2>&1 &
}

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
    -e "s|/etc/oqlink/terminal.p12.pass|$D/pki/p12.pass|; s|/etc/oqlink/terminal.p12|$D/pki/ca.crt|" \
    -e "s|/var/run/charon.vici|$D/a.vici|; s|/var/lib/oqlink/reports|$D/state/reports|" \
    -e "s|/var/lib/oqlink|$D/state|; s|/run/oqlink|$D/state/run|" \
    -e "s|^ping = .*|ping = 192.0.2.1|" \
    examples/site-ipsec.conf > "$D/site.conf"
oq() { ip netns exec "$A" "$OQLINK" --config "$D/site.conf" "$@"; }
sw() { swanctl "$@" --uri "unix://$D/$1.vici"; }

# --- 1-2: charon not running, in both languages ---
out=$("$OQLINK" --lang en --config "$D/site.conf" ipsec status 2>&1); rc=$?
check "status without charon: exit 3 and 'charon is not running at PATH'" \
	'[ $rc = 3 ] && [[ "$out" == *"charon is not running at $D/a.vici"* ]]'
out=$("$OQLINK" --lang ja --config "$D/site.conf" ipsec status 2>&1)
check "the same in Japanese" '[[ "$out" == *"charon が $D/a.vici で動いていません"* ]]'

start_charon "$A" a; start_charon "$G" g
for i in $(seq 100); do [ -S "$D/a.vici" ] && [ -S "$D/g.vici" ] && break; sleep 0.1; done
swanctl --load-all --file "$D/gw/swanctl.conf" --uri "unix://$D/g.vici" >/dev/null 2>&1
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
cat > "$D/compare.py" <<'EOF'
# Compare oqlink's status JSON with swanctl's raw list-sas, key by key.
import json, re, sys
status = json.load(open(sys.argv[1]))
raw = open(sys.argv[2]).read()

def parse(text):
    """Parse swanctl --raw: name {k=v k=[a b] sub {...}}."""
    toks = re.findall(r'\{|\}|\[[^\]]*\]|[^\s{}=\[\]]+=\[[^\]]*\]|[^\s{}=]+=[^\s{}]*|[^\s{}]+', text)
    stack = [{}]; name = None
    for t in toks:
        if t == '{':
            d = {}; stack[-1][name] = d; stack.append(d)
        elif t == '}':
            stack.pop()
        elif '=' in t:
            k, v = t.split('=', 1)
            stack[-1][k] = v[1:-1].split() if v.startswith('[') else v
        else:
            name = t
    return stack[0]

events = [parse(m[1:-1]) for m in re.findall(r'list-sa event (\{.*\})', raw)]
times = {'established', 'rekey-time', 'reauth-time', 'install-time', 'life-time',
         'use-in', 'use-out'}
bad = []; compared = 0
def same(k, ours, theirs):
    global compared
    compared += 1
    if isinstance(ours, bool):
        ok = ours == (theirs == 'yes')
    elif isinstance(ours, int):
        ok = abs(ours - int(theirs)) <= (2 if k in times else 0)
    else:
        ok = ours == theirs
    if not ok:
        bad.append('%s: oqlink %r, swanctl %r' % (k, ours, theirs))

def cmp(ours, theirs):
    for k, v in theirs.items():
        if isinstance(v, dict):
            continue
        if k not in ours:
            continue        # keys oqlink does not model
        same(k, ours[k], v)
    for k, v in ours.items():   # what swanctl omits must be empty/0/false
        if k not in theirs and k not in ('name', 'child-sas') and v not in (0, False, [], None):
            bad.append('%s: oqlink %r, swanctl has none' % (k, v))

for ev in events:
    for name, ike in ev.items():
        mine = [s for s in status['ike-sas'] if s['name'] == name and
                s['uniqueid'] == int(ike['uniqueid'])]
        if not mine:
            bad.append('IKE_SA %s missing' % name); continue
        cmp(mine[0], ike)
        for cname, child in ike.get('child-sas', {}).items():
            mc = [c for c in mine[0]['child-sas'] if c['uniqueid'] == int(child['uniqueid'])]
            if not mc:
                bad.append('CHILD_SA %s missing' % cname); continue
            cmp(mc[0], child)
n_ours = sum(1 + len(s['child-sas']) for s in status['ike-sas'])
n_theirs = sum(1 + len(ike.get('child-sas', {})) for ev in events for ike in ev.values())
if n_ours != n_theirs:
    bad.append('%d SAs in oqlink, %d in swanctl' % (n_ours, n_theirs))
print('# compared %d fields' % compared)
for b in bad:
    print('# ' + b)
sys.exit(1 if bad or compared < 30 else 0)
EOF
check "status --json agrees field by field with swanctl --list-sas --raw" \
	'python3 "$D/compare.py" "$D/status.json" "$D/raw.txt"'

# --- 7: status (text) names the SAs ---
out=$(oq --lang en ipsec status)
check "status shows ESTABLISHED and INSTALLED" \
	'[[ "$out" == *"ESTABLISHED"* && "$out" == *"INSTALLED"* && "$out" == *"192.0.2.0/24"* ]]'

# --- 8: diagnose on a working tunnel: ok, with timings ---
out=$(oq --lang en --json ipsec diagnose --ping 192.0.2.1); rc=$?
check "diagnose on a working tunnel: ok, traffic answered" \
	'[ $rc = 0 ] && [[ "$out" == *"\"cause\":\"ok\""* && "$out" == *"3 replies"* ]]'

# --- 9: down ---
oq --lang en ipsec down -q >/dev/null 2>&1; rc=$?
left=$(sw a --list-sas 2>/dev/null | grep -c '^oqlink')
check "ipsec down closes the tunnel" '[ $rc = 0 ] && [ "$left" = 0 ]'

# --- 10: down --unload removes only what oqlink loaded ---
oq --lang en ipsec down --unload -q >/dev/null 2>&1
conns=$(sw a --list-conns 2>/dev/null | grep -E '^[a-z]' | cut -d: -f1 | sort | tr '\n' ' ')
auths=$(sw a --list-authorities 2>/dev/null | grep -c oqlink-ca)
check "unload leaves the foreign connection and removes ours (conns: $conns)" \
	'[ "$conns" = "other " ] && [ "$auths" = 0 ]'

# --- 11-12: export-swanctl loads with swanctl and gives the same connection ---
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


# --- 13: a gateway that does not answer is named as such ---
swanctl --terminate --ike oqlink --uri "unix://$D/a.vici" >/dev/null 2>&1
ip -n "$G" link set wan0 down
out=$(oq --lang en --json ipsec diagnose --timeout 6); rc=$?
ip -n "$G" link set wan0 up
check "diagnose names an unreachable gateway (exit 1)" \
	'[ $rc = 1 ] && [[ "$out" == *"\"cause\":\"peer-unreachable\""* ]]'
exit $failed
