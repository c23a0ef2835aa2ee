#!/bin/bash
# provision: plan, apply, confirm, rollback, recovery and the segmentation
# policy, against real network namespaces.
#
# Part A builds its own small network (appliance, isp/central, LAN PC,
# terminal; IP-VPN layout, no charon) and needs nothing but root.
# Part B runs against the lab (lab/lab up, IPsec with a real charon) when
# lab/lab is there; otherwise its tests are skipped.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
O=${OQLINK:-$ROOT/build/asan/oqlink}
. tests/lib/tap.sh
. tests/lab/lib/ns.sh

NA=18	# part A
NB=8	# part B
echo "1..$((NA + NB))"

if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	for _ in $(seq 1 $((NA + NB))); do skip "needs root and network namespaces"; done
	exit 0
fi

P=oqv$$			# short: namespace names must stay short
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	ns_del app isp lan term
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap "echo kept $tmp" EXIT

ox() { in_ns app "$O" --lang en --config "$tmp/site.conf" "$@"; }

# Can NS open a TCP connection to ADDR:PORT within 2 seconds?
tcp_ok() { in_ns "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
tcp_blocked() { ! tcp_ok "$@"; }

# A TCP listener that accepts and closes, on each port given, run by the
# command given before the ports (up to "--").
LISTENER='
import socket, sys, threading
def serve(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve, args=(int(p),), daemon=True).start()
threading.Event().wait()
'
listen() {
	local ns=$1; shift
	in_ns "$ns" python3 -c "$LISTENER" "$@" >/dev/null 2>&1 &
	pids+=($!)
}

# The host state rollback must restore: addresses (without qdisc, which the
# kernel attaches the first time a link goes up and never takes back),
# routes, the whole nftables ruleset, the sysctls oqlink sets.
host_state() {
	{
		in_ns app ip -j addr | python3 -c 'import json,sys; d=json.load(sys.stdin); [i.pop("qdisc",None) for i in d]; print(json.dumps(d, sort_keys=True))'
		in_ns app ip -j route
		in_ns app ip -j -6 route
		in_ns app nft -j list ruleset
		in_ns app sysctl -n net.ipv4.ip_forward net.ipv4.conf.lan0.rp_filter net.ipv4.conf.term0.rp_filter
	} > "$1"
}

# ---------------------------------------------------------------- part A

ns_add app isp lan term
ip -n "$P-app" link add wan0 type veth peer name up0 netns "$P-isp"
ip -n "$P-app" link add lan0 type veth peer name eth0 netns "$P-lan"
ip -n "$P-app" link add term0 type veth peer name eth0 netns "$P-term"
in_ns isp ip addr add 198.51.100.1/24 dev up0; in_ns isp ip link set up0 up
in_ns isp ip addr add 192.0.2.10/24 dev lo
in_ns isp ip route add 192.168.0.0/16 via 198.51.100.2
in_ns lan ip addr add 192.168.10.20/24 dev eth0; in_ns lan ip link set eth0 up
in_ns lan ip route add default via 192.168.10.1
in_ns term ip addr add 192.168.20.10/24 dev eth0; in_ns term ip link set eth0 up
in_ns term ip route add default via 192.168.20.1
# someone else's table: oqlink must never touch it
in_ns app nft add table ip other
in_ns app nft add chain ip other c '{ type filter hook input priority 10; policy accept; }'
in_ns app nft add rule ip other c tcp dport 9 counter accept

sed -e '/^\[probe.tls.hweb\]/,/^password_file/d' \
    -e "s#^state_dir = .*#state_dir = $tmp/state#; s#^run_dir = .*#run_dir = $tmp/run#" \
    -e "s#^report_dir = .*#report_dir = $tmp/reports#" examples/site-ipvpn.conf > "$tmp/site.conf"

# central's TLS server requiring a client certificate, and the terminal's cert
pki() {
	cd "$tmp" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj /CN=test-ca -keyout ca.key -out ca.crt
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=hweb.oqs-st.onshikaku.org -keyout srv.key -out srv.csr
	openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
		-extfile <(echo subjectAltName=DNS:hweb.oqs-st.onshikaku.org) -out srv.crt
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=terminal -keyout cli.key -out cli.csr
	openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out cli.crt
}
(pki) >/dev/null 2>&1
in_ns isp openssl s_server -quiet -accept 443 -www -cert "$tmp/srv.crt" -key "$tmp/srv.key" \
	-CAfile "$tmp/ca.crt" -Verify 1 >/dev/null 2>&1 &
pids+=($!)
listen isp 22 8443
listen term 443 3389 8080
listen lan 22 3389
listen app 22

tls_with_cert() {
	printf 'GET / HTTP/1.0\r\n\r\n' | in_ns term timeout 5 openssl s_client -quiet \
		-connect 192.0.2.10:443 -servername hweb.oqs-st.onshikaku.org -CAfile "$tmp/ca.crt" \
		-verify_return_error -cert "$tmp/cli.crt" -key "$tmp/cli.key" 2>/dev/null | grep -q '^HTTP/1.0 200'
}
tls_without_cert() {
	printf 'GET / HTTP/1.0\r\n\r\n' | in_ns term timeout 5 openssl s_client -quiet \
		-connect 192.0.2.10:443 -servername hweb.oqs-st.onshikaku.org -CAfile "$tmp/ca.crt" \
		2>/dev/null | grep -q '^HTTP/1.0 200'
}
changes() { ox --json plan | python3 -c 'import json,sys; print(json.load(sys.stdin)["changes"])'; }

host_state "$tmp/before"
plan_only() { [ "$(changes)" -gt 5 ] && host_state "$tmp/p" && cmp -s "$tmp/before" "$tmp/p"; }
desc="plan lists the changes and changes nothing"
t plan_only
desc="apply makes the changes (exit 0)"
apply_ok() { (umask 000; ox apply >"$tmp/apply.out" 2>&1); }	# modes: see below
t apply_ok
second_plan_empty() { [ "$(changes)" = 0 ]; }
desc="applying again changes nothing: the second plan is empty"
t second_plan_empty
desc="the terminal completes TLS with its client certificate to the central server"
t wait_for 5 tls_with_cert
desc="the central server refuses the terminal without a client certificate"
t eval '! tls_without_cert'
lan_to_terminal() { tcp_ok lan 192.168.20.10 443 && tcp_ok lan 192.168.20.10 3389; }
desc="the reception PC reaches the terminal on an allowed port (tcp/443, tcp/3389)"
t lan_to_terminal
desc="the reception PC is refused on another port of the terminal (tcp/8080)"
t tcp_blocked lan 192.168.20.10 8080
desc="the reception PC cannot reach the central prefixes"
t tcp_blocked lan 192.0.2.10 443
central_inward() { tcp_blocked isp 192.168.10.20 22 && tcp_blocked isp 192.168.20.10 443; }
desc="the central side cannot open a connection to the LAN or the terminal"
t central_inward
management() { tcp_blocked lan 192.168.10.1 22 && tcp_blocked isp 198.51.100.2 22; }
desc="with ssh = off (the default) tcp/22 is closed from the LAN and the uplink"
t management
other_table() { in_ns app nft list table ip other | grep -q 'tcp dport 9 counter'; }
desc="the other nftables table is untouched"
t other_table

rollback_exact() { ox rollback >/dev/null && host_state "$tmp/after" && cmp "$tmp/before" "$tmp/after"; }
desc="rollback restores addresses, routes, ruleset and sysctls exactly"
t rollback_exact

injected() {
	OQLINK_FAIL_STEP=6 ox apply >/dev/null 2>"$tmp/err"
	local rc=$?
	host_state "$tmp/after" && [ $rc = 1 ] && grep -q 'step 6 (add address' "$tmp/err" &&
		cmp "$tmp/before" "$tmp/after"
}
desc="an injected failure at step 6 names the step and leaves the host as it was"
t injected

# kill -9 once the journal shows that step 4 is done
desc="a kill -9 mid-apply is recovered by the next command"
kill_mid_apply() {
	# not through ox: $! must be oqlink itself (ip netns exec execs it)
	OQLINK_STEP_DELAY_MS=200 ip netns exec "$P-app" "$O" --lang en --config "$tmp/site.conf" \
		apply >/dev/null 2>&1 &
	local pid=$!
	wait_for 20 grep -qs '^done 4$' "$tmp/state/journal.log" || return 1
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	[ -e "$tmp/state/journal.json" ] || return 1
	ox status 2>"$tmp/err" >/dev/null || return 1
	grep -q 'interrupted' "$tmp/err" && [ ! -e "$tmp/state/journal.json" ] &&
		host_state "$tmp/after" && cmp "$tmp/before" "$tmp/after"
}
t kill_mid_apply

desc="--confirm shows a countdown in status and reverts in time without confirm"
confirm_reverts() {
	ox apply --confirm 5 >/dev/null || return 1
	local start=$SECONDS
	ox status | grep -q 'waiting for confirmation: apply #[0-9]* is undone in [0-9]* s' || return 1
	pending() { ox --json status | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["confirm"] is None else 1)'; }
	wait_for 15 pending || return 1
	[ $((SECONDS - start)) -le 10 ] && host_state "$tmp/after" && cmp "$tmp/before" "$tmp/after" &&
		ox history | grep -q 'reverted'
}
t confirm_reverts

desc="--confirm followed by confirm keeps the changes"
confirm_keeps() {
	ox apply --confirm 5 >/dev/null && ox confirm >/dev/null || return 1
	sleep 0.1
	# past the deadline: still applied (bounded poll that must keep failing)
	local end=$((SECONDS + 7))
	while [ $SECONDS -lt $end ]; do
		[ "$(changes)" = 0 ] || return 1
		sleep 0.5
	done
	ox history | grep -q confirmed
}
t confirm_keeps

history_all() {
	local h w
	h=$(ox history)
	for w in rolled-back failed interrupted reverted confirmed; do
		grep -q " $w " <<<"$h" || { echo "# history has no $w:"; sed "s/^/#   /" <<<"$h"; return 1; }
	done
	grep -q 'load the firewall' <<<"$h"
}
desc="history lists every apply with its status and a short diff"
t history_all
state_modes() {
	local bad
	bad=$(find "$tmp/state" "$tmp/run" -type f ! -perm 600 -printf '%m %p\n')
	[ -z "$bad" ] && [ -s "$tmp/state/history.db" ] || { echo "# not 0600: $bad"; return 1; }
}
desc="the state, the snapshots, the journal, the history and the lock are 0600 under umask 000"
t state_modes

# ---------------------------------------------------------------- part B

if [ ! -x lab/lab ]; then
	for _ in $(seq 1 $NB); do skip "lab/lab is not in this tree"; done
	exit $failed
fi
export OQL_LAB=oqb$$ OQL_LAB_OUT=$tmp/lab
lx() { lab/lab exec "$@"; }
bx() { lx appliance "$O" --lang en --config "$OQL_LAB_OUT/site.conf" "$@"; }
lab_state() {
	{
		lx appliance ip -j addr | python3 -c 'import json,sys; d=json.load(sys.stdin); [i.pop("qdisc",None) for i in d]; print(json.dumps(d, sort_keys=True))'
		lx appliance ip -j route show table all
		lx appliance nft -j list ruleset
		bx ipsec status --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("ike_sas", [])))' 2>/dev/null
	} > "$1"
}
if ! lab/lab up --mode ipsec >"$tmp/labup.log" 2>&1; then
	for _ in $(seq 1 $NB); do skip "lab up failed (see the log)"; done
	lab/lab down >/dev/null 2>&1
	exit $failed
fi
trap 'lab/lab down >/dev/null 2>&1; cleanup' EXIT
lab_state "$tmp/lab.before"
# listeners behind the firewall, so that a refusal is the firewall's and not
# a closed port's
for spec in "terminal 443 8081" "clinic 22"; do
	set -- $spec
	node=$1; shift
	lx "$node" python3 -c "$LISTENER" "$@" >/dev/null 2>&1 &
	pids+=($!)
	for port in "$@"; do
		wait_for 5 eval "lx $node ss -Hltn 'sport = :$port' | grep -q LISTEN"
	done
done
lab_apply() { bx apply >"$tmp/lab.apply" 2>&1 && grep -q 'load connection oqlink into charon' "$tmp/lab.apply"; }
desc="lab: apply in the appliance namespace (charon step included)"
t lab_apply
tunnel_up() { bx ipsec status --json 2>/dev/null | grep -q '"ESTABLISHED"'; }
desc="lab: the tunnel comes up"
t wait_for 30 tunnel_up
ltls() {
	printf 'GET / HTTP/1.0\r\n\r\n' | lx terminal timeout 8 openssl s_client -quiet \
		-connect 192.0.2.10:443 -servername hweb.oqs-st.onshikaku.org \
		-CAfile "$OQL_LAB_OUT/central-ca.crt" -verify_return_error \
		-cert "$tmp/term.crt" -key "$tmp/term.key" 2>/dev/null |
		grep -q 'HTTP/1.[01] 200'
}
desc="lab: the terminal completes TLS with its client certificate through the tunnel"
# the terminal's certificate and key, out of its PKCS#12 as the terminal holds them
openssl pkcs12 -in "$OQL_LAB_OUT/terminal.p12" -passin "file:$OQL_LAB_OUT/terminal.p12.pass" \
	-clcerts -nokeys -out "$tmp/term.crt" 2>/dev/null
openssl pkcs12 -in "$OQL_LAB_OUT/terminal.p12" -passin "file:$OQL_LAB_OUT/terminal.p12.pass" \
	-nocerts -nodes -out "$tmp/term.key" 2>/dev/null
t wait_for 15 ltls
ltcp() { lx "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
desc="lab: the reception PC reaches the terminal on tcp/443"
t ltcp clinic 192.168.20.10 443
desc="lab: the reception PC is refused on another port of the terminal (tcp/8081)"
t eval '! ltcp clinic 192.168.20.10 8081'
desc="lab: the reception PC cannot reach the central prefixes"
t eval '! ltcp clinic 192.0.2.10 443'
desc="lab: the central side cannot open a connection to the LAN"
t eval '! ltcp central 192.168.10.20 22'
desc="lab: rollback restores addresses, routes (all tables), ruleset and charon's state"
lab_rollback() { bx rollback >/dev/null && lab_state "$tmp/lab.after" && cmp "$tmp/lab.before" "$tmp/lab.after"; }
t lab_rollback
exit $failed
