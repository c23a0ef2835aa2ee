#!/bin/bash
# Factory reset: on a box with a site config, a console password and a
# history, `oqlink factory-reset` asks for the word reset (anything else
# erases nothing); with it, the box reboots, the data partition is erased
# before anything mounts it and made anew, and the console opens the first
# boot again: a new console password, then the setup wizard. The root slot
# and the ESP stay as they were. Root; run by make check-image.
set -u
. "$(dirname "$0")/lib.sh"
img_need_ab
echo "1..9"

d=$(mktemp -d /tmp/oqlink-image-reset.XXXXXX)
trap 'vm_stop "$d"; rm -rf "$d"' EXIT
export VM_NO_REBOOT=1

# a data partition in use: a site config, a secret, a report, the password
data=$d/data; mkdir -p "$data/lib/oqlink-etc" "$data/lib/oqlink/reports"
cp "$IMG_TOP/examples/site-ipsec.conf" "$data/lib/oqlink-etc/site.conf"
echo 'kensa-secret' > "$data/lib/oqlink-etc/ike.psk"
echo '<html>report</html>' > "$data/lib/oqlink/reports/oqlink-report-test.html"
printf '%s\n' "$PW" | openssl passwd -6 -stdin > "$data/lib/oqlink-etc/console.passwd"
chmod 0600 "$data/lib/oqlink-etc/"*
check "a copy of the image with a data partition in use" img_copy "$d" "$data"
vm_start "$d" bios
check "boots to the shell" vm_shell "$d"
rc=$(guest "$d" 'ls /etc/oqlink /var/lib/oqlink/reports; cat /usr/share/oqlink/image-version; grep -o "rauc.slot=[AB]" /proc/cmdline')
check "the site config, the secret and the report are there" eval "[ '$rc' = 0 ] && grep -q site.conf '$d/out' && grep -q ike.psk '$d/out' && grep -q oqlink-report-test.html '$d/out'"
slot=$(grep -o 'rauc.slot=[AB]' "$d/out" | tail -1)
# without a terminal, or with an answer but reset, nothing is erased
rc=$(guest "$d" 'oqlink --lang en factory-reset < /dev/null; echo "exit $?"; ls /etc/oqlink /boot/efi')
check "without a terminal it refuses (exit 2) and erases nothing" eval "grep -q 'exit 2' '$d/out' && grep -q site.conf '$d/out' && ! grep -q oqlink-factory-reset '$d/out'"
check "an answer but reset erases nothing" vm_console "$d" line='oqlink --lang en factory-reset' \
	timeout=60 expect='Type reset to go on: ' line=no expect='nothing was done'
if vm_console "$d" line='oqlink --lang en factory-reset' timeout=60 expect='Type reset to go on: ' \
	line=reset expect='erased at the next boot' expect='rebooting' && vm_gone "$d" 180; then
	ok "with the word reset it marks the data partition and reboots"
else
	not_ok "with the word reset it marks the data partition and reboots"; tr -d '\r' < "$d/console.log" | tail -10 | sed 's/^/# /'
fi
vm_start "$d" bios
if vm_console "$d" timeout=300 expect='First boot: set the console password' expect='Password: '; then
	ok "the next boot is a first boot: it asks for a new console password"
else
	not_ok "the next boot is a first boot"; tr -d '\r' < "$d/serial.log" | tail -10 | sed 's/^/# /'
fi
check "the setup wizard opens after the new password, then the shell" vm_console "$d" line="$PW" \
	expect='Again: ' line="$PW" timeout=120 expect='oqlink +\[?d:' \
	press='q=>s: シェル / shell|\(y/n\)' sendif='y/n=>y' expectif='y/n=>s: シェル / shell' \
	line=s expect='root@oqlink'
rc=$(guest "$d" 'ls -A /etc/oqlink /var/lib/oqlink /boot/efi; ls -A /var/lib/oqlink/reports 2>/dev/null; echo "secret $(grep -c kensa-secret /dev/disk/by-partlabel/data)"; grep -o "rauc.slot=[AB]" /proc/cmdline; [ -e /boot/efi/oqlink-factory-reset ] && echo MARK""-LEFT; journalctl -b -o cat -u oqlink-factory-reset.service')
if [ "$rc" = 0 ] && ! grep -q -e site.conf -e ike.psk -e oqlink-report-test -e MARK-LEFT "$d/out" &&
	grep -q console.passwd "$d/out" && grep -q 'secret 0' "$d/out" && grep -q "$slot" "$d/out"; then
	ok "the data partition was erased (config, secret, reports gone), the slot is still $slot"
	grep 'factory-reset:' "$d/out" | sed 's/^/# /'
else
	not_ok "the data partition was erased"; sed 's/^/# /' "$d/out" | tail -20
fi
