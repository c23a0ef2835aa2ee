#!/bin/bash
# The image against the lab: the lab's appliance node becomes a switch (its
# wan0, lan0 and term0 each on a bridge with a tap), the image boots under
# qemu in that namespace with the lab's site config on its data partition,
# and in the guest 'oqlink apply' and 'oqlink test' pass with the guest
# kernel's own ESP (ip xfrm state). Both terminal layouts. Root; run by
# make check-image.
set -u
. "$(dirname "$0")/lib.sh"
# Of the verdict table of `oqlink test` in file $1: every probe PASS but
# reach, which WARNs with no loss (delay or jitter only).
only_reach_latency() {
	local rows
	rows=$(tr -d '\r' < "$1" | sed -n 's/^  \([a-z]*\) \{1,\}\(PASS\|WARN\|FAIL\|SKIP\|ERROR\) .*/\1=\2/p' | sort -u)
	[ -n "$rows" ] || return 1
	[ -z "$(grep -v -e '=PASS$' -e '^reach=WARN$' <<<"$rows")" ] || return 1
	tr -d '\r' < "$1" | grep -A1 -E '^reach +WARN' | grep -q 'loss 0%'
}
# The keeper under systemd, in the guest of DIR $1 on taps $2...: it runs
# since boot (the site config was there) and on this first use said that
# nothing had been applied (it does not apply a config nobody applied);
# after charon is killed the tunnel comes back, after the keeper is killed
# systemd starts it again, and after a power-off and a boot it restores the
# confirmed apply: the tunnel comes up with no apply typed.
keeper_checks() {
	local d=$1 rc; shift
	rc=$(guest "$d" 'systemctl is-active oqlink-monitor.service && journalctl -b -o cat -u oqlink-monitor.service | grep -e "nothing has been applied yet" -e "適用された設定はありません"' 60)
	if [ "$rc" = 0 ]; then
		ok "keeper: runs under systemd since boot; on first use it applied nothing"
	else
		not_ok "keeper: runs under systemd since boot; on first use it applied nothing ($rc)"
		guest "$d" 'systemctl status --no-pager -n 0 oqlink-monitor.service; journalctl -b --no-pager -o short-monotonic -u oqlink-monitor.service | tail -30' 60 >/dev/null
		sed 's/^/# /' "$d/out" | tail -45
	fi
	# shellcheck disable=SC2016
	rc=$(guest "$d" 'u=strongswan.service; old=$(systemctl show -p MainPID --value $u); systemctl kill -s KILL $u; t0=$(date +%s); while [ $(($(date +%s) - t0)) -lt 150 ]; do new=$(systemctl show -p MainPID --value $u); [ "$new" != 0 ] && [ "$new" != "$old" ] && swanctl --list-sas 2>/dev/null | grep -q INSTALLED && break; sleep 1; done; echo "charon $old -> $new after $(($(date +%s) - t0)) s"; [ "$new" != "$old" ] && swanctl --list-sas | grep INSTALLED' 300)
	if [ "$rc" = 0 ]; then
		ok "keeper: charon killed (SIGKILL), the tunnel comes back by itself"
		grep -a -o -E 'charon [0-9]+ -> [0-9]+ after [0-9]+ s' "$d/out" | tail -1 | sed 's/^/# /'
	else
		not_ok "keeper: charon killed, the tunnel comes back (exit $rc)"; sed 's/^/# /' "$d/out" | tail -10
		guest "$d" 'journalctl -b --no-pager -o short-monotonic -u oqlink-monitor.service -u strongswan.service | tail -25' 60 >/dev/null
		sed 's/^/# /' "$d/out" | tail -25
	fi
	# shellcheck disable=SC2016
	rc=$(guest "$d" 'u=oqlink-monitor.service; old=$(systemctl show -p MainPID --value $u); systemctl kill -s KILL $u; for i in $(seq 60); do new=$(systemctl show -p MainPID --value $u); [ "$new" != 0 ] && [ "$new" != "$old" ] && [ "$(systemctl is-active $u)" = active ] && break; sleep 1; done; [ "$new" != "$old" ] && systemctl is-active $u' 90)
	check "keeper: killed (SIGKILL), systemd starts it again" [ "$rc" = 0 ]
	if vm_poweroff "$d" && VM_NETNS=$OQL_LAB-appliance vm_start "$d" bios "$@" && vm_shell "$d"; then
		# shellcheck disable=SC2016
		rc=$(guest "$d" 'for i in $(seq 150); do swanctl --list-sas 2>/dev/null | grep -q INSTALLED && break; sleep 1; done; journalctl -b -o cat -u oqlink-monitor.service | head -20; swanctl --list-sas | grep INSTALLED' 200)
	else
		rc=boot
	fi
	if [ "$rc" = 0 ]; then
		ok "keeper: after a power-off and a boot the tunnel comes up with no apply typed"
		grep -v -e '^D[0-9]*-42' -e 'echo D' "$d/out" | sed 's/^/# /' | head -20
	else
		not_ok "keeper: after a power-off and a boot the tunnel comes up by itself ($rc)"
		sed 's/^/# /' "$d/out" | tail -25
	fi
}
# SSH on the image ([lan] ssh = on with a key made here): the clinic PC
# (inside [lan] management) logs in with the key, and the host key it is
# shown has the fingerprint oqlink status prints; a password is refused;
# the uplink side cannot reach tcp/22.
ssh_checks() {
	local d=$1 rc fp pc=(ip netns exec "$OQL_LAB-clinic") opts
	ssh-keygen -q -t ed25519 -N '' -C engineer@lab -f "$d/id" || return 1
	# (no backslashes: the console line would turn them into control characters)
	rc=$(guest "$d" "echo '$(cat "$d/id.pub")' > /etc/oqlink/ssh.pub && sed -i -e '/^.lan.$/a ssh_keys = /etc/oqlink/ssh.pub' -e '/^.lan.$/a ssh = on' /etc/oqlink/site.conf && grep -A2 '^.lan.$' /etc/oqlink/site.conf && oqlink --lang en apply && oqlink --lang en status | grep -i 'host key'" 300)
	fp=$(grep -o 'SHA256:[A-Za-z0-9+/]*' "$d/out" | tail -1)
	opts=(-F /dev/null -o BatchMode=yes -o ConnectTimeout=30 -o StrictHostKeyChecking=yes
		-o UserKnownHostsFile="$d/scanned" -o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes)
	if [ "$rc" = 0 ] && [ -n "$fp" ] &&
		"${pc[@]}" ssh-keyscan -T 30 -t ed25519 192.168.10.1 > "$d/scanned" 2>/dev/null &&
		[ "$(ssh-keygen -l -E sha256 -f "$d/scanned" | awk '{print $2}')" = "$fp" ] &&
		[ "$("${pc[@]}" ssh "${opts[@]}" -i "$d/id" root@192.168.10.1 'id -un' 2>"$d/ssh.err")" = root ]; then
		ok "ssh: with [lan] ssh = on the clinic PC logs in with its key; host key $fp as oqlink status says"
	else
		not_ok "ssh: the clinic PC logs in with its key (guest exit $rc, fingerprint '$fp')"
		sed 's/^/# /' "$d/out" | tail -15; sed 's/^/# /' "$d/ssh.err" 2>/dev/null | tail -5
	fi
	if "${pc[@]}" timeout 10 bash -c 'exec 3<>/dev/tcp/192.168.10.1/22' 2>/dev/null &&
		! "${pc[@]}" ssh "${opts[@]}" -o PreferredAuthentications=password,keyboard-interactive \
			-o PubkeyAuthentication=no root@192.168.10.1 true 2>/dev/null &&
		! ip netns exec "$OQL_LAB-isp" timeout 10 bash -c 'exec 3<>/dev/tcp/198.51.100.2/22' 2>/dev/null; then
		ok "ssh: the clinic PC reaches tcp/22 but a password is refused; the uplink side cannot reach it"
	else
		not_ok "ssh: a password is refused; the uplink side cannot reach tcp/22"
	fi
}
img_need
LAYOUTS=${OQL_IMAGE_LAYOUTS:-separate lan}
plan=0; for l in $LAYOUTS; do plan=$((plan + 10)); [ "$l" = lan ] && plan=$((plan + 1))
	[ "$l" = separate ] && plan=$((plan + 6)); done
echo "1..$plan"

base=$(mktemp -d /tmp/oqlink-image-lab.XXXXXX)
export OQL_LAB=img$$
cleanup() {
	local d
	for d in "$base"/*/; do vm_stop "$d"; done
	OQL_LAB_OUT=$base/lab "$LAB" down >/dev/null 2>&1
	rm -rf "$base"
}
trap cleanup EXIT
out=$IMG_TOP/tests/out/image; mkdir -p "$out"

for layout in $LAYOUTS; do
	d=$base/$layout; mkdir -p "$d"
	if OQL_LAB_OUT=$base/lab "$LAB" up --mode ipsec --layout "$layout" > "$d/lab.log" 2>&1; then
		ok "$layout: the lab is up"
	else
		not_ok "$layout: the lab is up"; sed 's/^/# /' "$d/lab.log"; continue
	fi
	links="wan0 lan0"; taps="tap-wan0 tap-lan0"
	[ "$layout" = separate ] && { links+=" term0"; taps+=" tap-term0"; }
	check "$layout: the appliance node is a switch with taps" switch_node $links
	check "$layout: the image with the lab's site config on its data partition" \
		eval 'data_dir "$base/lab" "$d/data" && img_copy "$d" "$d/data"'
	# shellcheck disable=SC2086
	VM_NETNS=$OQL_LAB-appliance vm_start "$d" bios $taps
	t0=$(date +%s)
	if vm_shell "$d"; then
		ok "$layout: booted, the password opens the screen and the shell ($(($(date +%s) - t0)) s)"
	else
		not_ok "$layout: booted, the password opens the screen and the shell"; continue
	fi
	guest "$d" 'ip -br link' > /dev/null; sed 's/^/# /' "$d/out" | grep -E '^# (ens|enp|eth)'
	rc=$(guest "$d" 'oqlink --lang en apply' 300)
	cp "$d/out" "$out/apply-$layout.txt"
	[ "$rc" = 0 ] && ok "$layout: oqlink apply in the guest" || { not_ok "$layout: oqlink apply in the guest (exit $rc)"; sed 's/^/# /' "$d/out" | tail -30; }
	# apply starts the tunnel; the test wants it up (bounded wait on the SA)
	rc=$(guest "$d" 'for i in $(seq 90); do swanctl --list-sas | grep -q INSTALLED && break; sleep 1; done; swanctl --list-sas | grep INSTALLED' 150)
	[ "$rc" = 0 ] && ok "$layout: the tunnel comes up in the guest (CHILD SA installed)" ||
		{ not_ok "$layout: the tunnel comes up in the guest (exit $rc)"; sed 's/^/# /' "$d/out" | tail -5; }
	# chrony asks the site's NTP servers ([central] ntp) and nothing else;
	# once the tunnel is up it reaches the lab's, and the clock follows
	# shellcheck disable=SC2016
	rc=$(guest "$d" 'cat /run/chrony-dhcp/oqlink.sources; chronyc -n sources; [ "$(chronyc -n sources | grep -c "^\^")" = 1 ] && chronyc -n sources | grep -q "^\^. 192\.0\.2\.123 " && chronyc burst 4/4 >/dev/null && chronyc waitsync 30 0.5 0 2 && chronyc -n tracking | head -4' 120)
	if [ "$rc" = 0 ]; then
		ok "$layout: chrony follows the site's NTP server (192.0.2.123, through the tunnel) alone"
		grep -E '^(server|Reference|System time)' "$d/out" | sed 's/^/# /'
	else
		not_ok "$layout: chrony follows the site's NTP server alone (exit $rc)"; sed 's/^/# /' "$d/out" | tail -15
	fi
	rc=$(guest "$d" 'oqlink --lang en test' 600)
	cp "$d/out" "$out/test-$layout.txt"
	# Emulated (TCG) CPUs schedule packets unevenly: reach may warn about
	# jitter or delay there, and only with no loss is that let through.
	if [ "$rc" = 0 ]; then
		ok "$layout: oqlink test in the guest: everything passed"
	elif [ "$rc" = 1 ] && only_reach_latency "$d/out"; then
		ok "$layout: oqlink test in the guest: everything passed but reach's delay or jitter (TCG)"
		grep -A1 -E '^reach +WARN' "$d/out" | sed 's/^/# /'
	else
		not_ok "$layout: oqlink test in the guest (exit $rc)"; sed 's/^/# /' "$d/out" | tail -40
	fi
	guest "$d" 'ip xfrm state; ip xfrm policy' > /dev/null
	cp "$d/out" "$out/xfrm-$layout.txt"
	if grep -q '^src 203.0.113.1 dst 198.51.100.2' "$d/out" && grep -q 'proto esp' "$d/out"; then
		ok "$layout: the guest kernel carries the ESP SAs (ip xfrm state)"
		grep -E '^src|proto esp|enc|aead|dir (in|out)' "$d/out" | sed 's/^/# /'
	else
		not_ok "$layout: the guest kernel carries the ESP SAs"; sed 's/^/# /' "$d/out"
	fi
	# the terminal on the clinic LAN: its /32 alone goes through the tunnel
	# (the selector kernel-libipsec cannot install)
	if [ "$layout" = lan ]; then
		grep -A1 -E '^src 192\.168\.10\.10/32 dst 192\.0\.2\.0/24' "$d/out" | grep -q 'dir out' &&
			ok "lan: the terminal's /32 selector is in the guest kernel's policy" ||
			not_ok "lan: the terminal's /32 selector is in the guest kernel's policy"
	fi
	rc=$(guest "$d" 'swanctl --stats > /tmp/p; grep -q " kernel-netlink" /tmp/p && ! grep -q kernel-libipsec /tmp/p')
	[ "$rc" = 0 ] && ok "$layout: charon uses the kernel's XFRM (kernel-netlink, no kernel-libipsec)" ||
		{ not_ok "$layout: charon uses the kernel's XFRM (exit $rc)"; sed 's/^/# /' "$d/out" | tail -5; }
	[ "$layout" = separate ] && ssh_checks "$d"
	# shellcheck disable=SC2086
	[ "$layout" = separate ] && keeper_checks "$d" $taps
	vm_stop "$d"
done
