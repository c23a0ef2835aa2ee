#!/bin/bash
# The image boots under qemu (TCG) with legacy BIOS and with UEFI; the serial
# console asks for a console password on the first boot and opens the setup
# wizard, asks for it on later boots, offers a shell only after it, and
# nothing listens on the network. Prints the boot-to-console and
# boot-to-screen times. Root; run by make check-image.
set -u
. "$(dirname "$0")/lib.sh"
img_need
echo "1..14"

d=$(mktemp -d /tmp/oqlink-image.XXXXXX)
trap 'vm_stop "$d"; rm -rf "$d"' EXIT
out=$IMG_TOP/tests/out/image; mkdir -p "$out"
PW=kensa-2026

check "a copy of the image with an empty data partition" img_copy "$d"
t0=$(date +%s.%N)
check "qemu starts (legacy BIOS, TCG)" vm_start "$d" bios
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# First boot: the password is set on the console, then the wizard opens.
if vm_console "$d" timeout=300 expect='First boot: set the console password' \
	expect='Password: '; then
	ok "first boot asks for a new console password"
	echo "# boot to console: $(elapsed) s under TCG"
else
	not_ok "first boot asks for a new console password"
fi
check "a short password is refused" vm_console "$d" line=short expect='Again: ' line=short \
	expect='Too short' expect='Password: '
check "the setup wizard opens after the password is set" vm_console "$d" line="$PW" \
	expect='Again: ' line="$PW" timeout=120 expect='oqlink +\[?d:'
echo "# boot to screen: $(elapsed) s under TCG (with typing)"
vm_monitor "$d" "screendump $d/tty1.ppm" && pnmtopng "$d/tty1.ppm" > "$out/tty1-first-boot.png" 2>/dev/null
echo "# tty1 picture: $out/tty1-first-boot.png"

# q leaves the screen; the menu offers the shell. Nothing listens but on
# the loopback, and charon's IKE ports (UDP 500 and 4500: the gateway's
# answers come to them; after apply, oqlink's ruleset admits only the peer).
check "the shell is offered after the screen closes" vm_console "$d" \
	press='q=>s: シェル / shell|\(y/n\)' sendif='y/n=>y' expectif='y/n=>s: シェル / shell' \
	line=s expect='root@oqlink'
rc=$(guest "$d" "ss -Hlntup | awk '{ print \"LISTEN\", \$1, \$5, \$7 }'")
listen=$(grep '^LISTEN ' "$d/out" | grep -v -e ' 127\.' -e ' \[::1\]:' -e ' ::1:' |
	grep -v -E '^LISTEN udp (0\.0\.0\.0|\[::\]|\*):(500|4500) users:\(\("charon-systemd"')
if [ "$rc" = 0 ] && grep -q 'charon-systemd' "$d/out" && [ -z "$listen" ]; then
	ok "nothing listens on the network but charon's IKE ports"
else
	not_ok "nothing listens on the network but charon's IKE ports"; printf '%s\n' "$listen" | sed 's/^/# /'
fi
rc=$(guest "$d" 'touch /usr/oqlink-ro-test')
if [ "$rc" = 1 ] && grep -q 'Read-only file system' "$d/out"; then
	ok "the root file system is read-only"
else
	not_ok "the root file system is read-only (touch exited $rc)"
fi
check "/etc/oqlink is on the data partition" vm_console "$d" \
	line='findmnt -no SOURCE /etc/oqlink' expect='/dev/vda5\['

guest "$d" 'systemd-analyze; systemd-analyze critical-chain serial-getty@ttyS0.service | cat' > /dev/null
sed 's/^/# /' "$d/out" | grep -v -e 'echo D' -e '^# D[0-9]*-42' | head -30

# Later boots ask for the password; a wrong one is refused.
# (stay on the console until the boot loader shows: bytes the guest has not
# read yet are lost when the console closes)
check "reboot from the shell" vm_console "$d" line='systemctl reboot' timeout=180 \
	expect="Booting .oqlink A"
t0=$(date +%s.%N)
check "a later boot asks for the console password" vm_console "$d" timeout=300 \
	expect='Console password: '
echo "# boot loader to console: $(elapsed) s under TCG"
check "a wrong password is refused, the right one opens the screen" vm_console "$d" \
	line=wrong-password expect='Wrong password' expect='Console password: ' line="$PW" \
	timeout=120 expect='oqlink +\[?d:'
# The machine ID of the first boot is kept (the root is read-only), so the
# journal of the first boot is still there to read.
vm_console "$d" press='q=>s: シェル / shell|\(y/n\)' sendif='y/n=>y' \
	expectif='y/n=>s: シェル / shell' line=s expect='root@oqlink' >/dev/null
# shellcheck disable=SC2016
rc=$(guest "$d" 'id=$(cat /etc/machine-id); echo "machine-id $id"; journalctl --list-boots --no-pager | cat; grub-editenv /boot/efi/grub/grubenv list | grep -qx "MACHINE_ID=$id" && [ "$(journalctl --list-boots --no-pager -q | wc -l)" -ge 2 ] && journalctl -b -1 -q --no-pager -n 3 | grep -q .' 60)
if [ "$rc" = 0 ]; then
	ok "the second boot keeps the first boot's machine ID; journalctl -b -1 reads the first boot"
else
	not_ok "the second boot keeps the machine ID and the first boot's journal (exit $rc)"
	grep -v -e 'echo D' "$d/out" | sed 's/^/# /' | tail -8
fi
vm_stop "$d"

# UEFI: the same image reaches the console.
rm -f "$d/serial.log" "$d/serial.sock" "$d/monitor.sock"
vm_start "$d" uefi
t0=$(date +%s.%N)
if vm_console "$d" timeout=300 expect='Console password: '; then
	ok "UEFI boot reaches the console"
	echo "# UEFI boot to console: $(elapsed) s under TCG"
else
	not_ok "UEFI boot reaches the console"
fi
cp "$d/console.log" "$out/console.log" 2>/dev/null
