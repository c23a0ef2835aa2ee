#!/bin/bash
# SSH management against the lab: [lan] ssh = on with a key made here. The
# reception PC (inside [lan] management) logs in with the key, checking the
# host key against the fingerprint oqlink status printed; a password is
# never offered; a LAN host outside management and the uplink side cannot
# connect; sshd listens on the LAN address only; the host key survives a
# restart; ssh = off stops sshd and closes the port; rollback brings it
# back. TAP. Needs root; runs its own lab and takes it down.
set -u
cd "$(dirname "$0")/../.." || exit 1
O=$(realpath "${OQLINK:-build/asan/oqlink}")
. tests/lib/tap.sh

N=16
if [ "$(id -u)" -ne 0 ] || [ ! -x lab/lab ]; then
	skip_all "needs root and lab/lab"
fi
if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null; then
	skip_all "needs openssh-server and openssh-client (make deps)"
fi
echo "1..$N"

APPL=192.168.10.1	# the appliance's LAN address
# sshd takes keys only below directories that are root's and no one else
# may write, so the lab's state is not under /tmp (nor in a clone of the
# tree below it), nor under /run (each charon of the lab mounts its own),
# but under /var/lib.
tmp=$(mktemp -d /var/lib/oqssh.XXXXXX)
export OQL_LAB=oqs$$
export OQL_LAB_OUT=$tmp/lab
trap 'lab/lab down >/dev/null 2>&1; rm -rf "$tmp"' EXIT
[ -n "${KEEP:-}" ] && trap 'lab/lab down >/dev/null 2>&1; echo "# kept $tmp"' EXIT
CONF=$OQL_LAB_OUT/site.conf

ox() { lab/lab exec appliance "$O" --lang en --config "$CONF" "$@"; }
on() { local node=$1; shift; ip netns exec "$OQL_LAB-$node" "$@"; }
# ssh from NODE as root to the appliance with the test's key and known
# hosts, no prompt, no user config; the rest of the arguments follow.
sshx() {
	local node=$1; shift
	on "$node" ssh -F /dev/null -i "$tmp/id" -o BatchMode=yes -o ConnectTimeout=5 \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$tmp/known_hosts" \
		-o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes "$@"
}
# Can NODE open a TCP connection to ADDR:PORT within 3 seconds?
tcp_ok() { on "$1" timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }
tcp_closed() { ! tcp_ok "$@"; }
fingerprint() { ox --json status 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["ssh"]["fingerprint"] or "")'; }
sshd_pid() { cat "$OQL_LAB_OUT/state/run/daemons/sshd.pid" 2>/dev/null; }
listening() { [ -n "$(on appliance ss -Hltn 'sport = :22')" ]; }

if ! lab/lab up --mode ipvpn --layout lan >"$tmp/up.log" 2>&1; then
	sed 's/^/# /' "$tmp/up.log" | tail -20
	for _ in $(seq $N); do not_ok "lab/lab up failed"; done
	exit 1
fi

# The client's key, and the file of keys the appliance takes: a comment,
# a blank line and the key. The reception PC (.20) is inside management
# (.16/28), the terminal on the same LAN (.10) is not.
ssh-keygen -q -t ed25519 -N '' -C 'engineer@lab' -f "$tmp/id"
{ echo "# field engineer"; echo; cat "$tmp/id.pub"; } > "$tmp/keys.pub"
sed -i "s|^management = .*|management = 192.168.10.16/28\nssh = on\nssh_keys = $tmp/keys.pub|" "$CONF"

desc="config check takes ssh = on with the key file"
t eval 'ox config check >"$tmp/check.out" 2>&1 || { sed "s/^/# /" "$tmp/check.out"; false; }'

plan_says_start() { ox plan >"$tmp/plan.out" 2>&1; grep -q 'start sshd' "$tmp/plan.out" &&
	grep -q 'apply makes the SSH host key' "$tmp/plan.out"; }
desc="plan says it will start sshd and make its host key"
t plan_says_start || sed 's/^/# /' "$tmp/plan.out"

desc="apply starts sshd"
t eval 'ox apply >"$tmp/apply.out" 2>&1 && wait_for 10 listening || { sed "s/^/# /" "$tmp/apply.out"; false; }'

FP=$(fingerprint)
desc="status shows the host key's fingerprint ($FP)"
t eval '[[ "$FP" == SHA256:* ]] && ox status | grep -qF "host key $FP"'

# The host key as the appliance presents it on the LAN, taken into known
# hosts only when its fingerprint is the one oqlink printed.
host_key_matches() {
	on clinic ssh-keyscan -T 5 -t ed25519 "$APPL" 2>/dev/null > "$tmp/scanned" &&
		[ "$(ssh-keygen -l -E sha256 -f "$tmp/scanned" | awk '{print $2}')" = "$FP" ] &&
		cp "$tmp/scanned" "$tmp/known_hosts"
}
desc="the host key sshd presents has the fingerprint oqlink printed"
t host_key_matches

login() { [ "$(sshx clinic "root@$APPL" 'echo logged-in-as-$(id -un)' 2>"$tmp/ssh.err")" = "logged-in-as-root" ]; }
desc="the reception PC (management) logs in with the key and runs a command"
t login || sed 's/^/# /' "$tmp/ssh.err"

# Offered nothing but publickey: the password try fails, and the server
# says publickey is all that can continue.
password_refused() {
	! sshx clinic -v -o PreferredAuthentications=password,keyboard-interactive \
		-o PubkeyAuthentication=no "root@$APPL" true 2>"$tmp/pw.err" &&
		tr -d '\r' < "$tmp/pw.err" | grep -q 'Authentications that can continue: publickey$'
}
desc="a password login is refused: the server offers publickey only"
t password_refused || sed 's/^/# /' "$tmp/pw.err" | tail -5

other_key_refused() {
	ssh-keygen -q -t ed25519 -N '' -f "$tmp/other"
	! on clinic ssh -F /dev/null -i "$tmp/other" -o BatchMode=yes -o ConnectTimeout=5 \
		-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$tmp/known_hosts" \
		-o IdentitiesOnly=yes "root@$APPL" true 2>/dev/null
}
desc="a key not in ssh_keys is refused"
t other_key_refused

desc="a LAN host outside management cannot connect to tcp/22"
t tcp_closed terminal "$APPL" 22

wan_closed() { tcp_closed isp 198.51.100.2 22 && tcp_closed isp "$APPL" 22; }
desc="the uplink side (isp) cannot connect to tcp/22"
t wan_closed

desc="sshd listens on the LAN address only"
t eval '[ "$(on appliance ss -Hltn "sport = :22" | awk "{print \$4}")" = "$APPL:22" ]'

# A second key: sshd restarts with it; the host key stays.
restart_keeps_host_key() {
	local before after
	before=$(sshd_pid)
	ssh-keygen -q -t ecdsa -b 256 -N '' -f "$tmp/id2"
	cat "$tmp/id2.pub" >> "$tmp/keys.pub"
	ox apply >"$tmp/apply2.out" 2>&1 || return 1
	grep -q 'restart sshd' "$tmp/apply2.out" || return 1
	after=$(sshd_pid)
	[ -n "$after" ] && [ "$after" != "$before" ] && [ "$(fingerprint)" = "$FP" ] &&
		on clinic ssh -F /dev/null -i "$tmp/id2" -o BatchMode=yes -o ConnectTimeout=5 \
			-o StrictHostKeyChecking=yes -o UserKnownHostsFile="$tmp/known_hosts" \
			-o IdentitiesOnly=yes "root@$APPL" true
}
desc="a new key restarts sshd, logs in, and the host key stays the same"
t restart_keeps_host_key || sed 's/^/# /' "$tmp/apply2.out"

# ssh = off: sshd stops and no rule lets tcp/22 in any more.
PID=$(sshd_pid)
sed -i 's/^ssh = on$/ssh = off/' "$CONF"
sshd_gone() { ! listening && [ -z "$(sshd_pid)" ] && ! kill -0 "$PID" 2>/dev/null; }
desc="ssh = off, then apply: sshd is gone"
t eval 'ox apply >"$tmp/apply3.out" 2>&1 && wait_for 10 sshd_gone || { sed "s/^/# /" "$tmp/apply3.out"; false; }'

port_closed() { tcp_closed clinic "$APPL" 22 && ! on appliance nft list table inet oqlink | grep -q 'dport 22'; }
desc="with ssh = off the port is closed and the firewall has no tcp/22 rule"
t port_closed

desc="status says SSH is off"
t eval 'ox status | grep -q "^SSH: off$"'

desc="rollback brings sshd back with the same host key, and the key logs in"
t eval 'ox rollback >"$tmp/rollback.out" 2>&1 && wait_for 10 listening && [ "$(fingerprint)" = "$FP" ] && login ||
	{ sed "s/^/# /" "$tmp/rollback.out"; false; }'

exit $failed
