#!/bin/bash
# The data partition and the USB stick. On a disk bigger than the image, the
# first boot grows the data partition (/var) to the end of the disk before it
# is mounted, and the BIOS boot partition, the ESP and the root slots keep
# their place; after a factory reset and at later boots nothing changes.
# A report of `oqlink test` goes onto a FAT USB stick made on the host with
# `oqlink report export`, and the host reads the same bytes back with
# mtools. Booted from a USB stick (to install the box's disk from it), the
# data partition keeps the image's size. Root; run by make check-image.
set -u
. "$(dirname "$0")/lib.sh"
img_need
for t in mkfs.vfat mdir mcopy sfdisk; do
	command -v "$t" >/dev/null || skip_all "$t is missing: run make deps"
done
echo "1..16"

d=$(mktemp -d /tmp/oqlink-image-data.XXXXXX)
trap 'vm_stop "$d"; rm -rf "$d"' EXIT
export VM_NO_REBOOT=1 VM_USB=$d/stick.img
GIB=$((1024 * 1024 * 1024))

# "NAME START SIZE" (sectors) of the partitions that must never move.
fixed_parts() {
	local p
	for p in bios esp rootA rootB; do echo "$p $(part_of "$1" "$p")"; done
}
# The guest kernel's view of the partitions of vda, from the last guest
# output: "NAME START SIZE" (sectors). (The first line of an output may
# follow the shell's terminal escapes: no ^ in these patterns.)
guest_parts() {
	sed -n 's/.*PX \([a-zA-Z]*\) \([0-9]*\) \([0-9]*\)$/\1 \2 \3/p' "$d/out"
}
# The size of /var in the guest, bytes, from the last guest output.
var_size() {
	sed -n 's/.*VARSIZE \([0-9][0-9]*\)$/\1/p' "$d/out" | tail -1
}
# shellcheck disable=SC2016
PARTS_CMD='for p in /sys/class/block/vda[0-9]*; do printf "P%s %s %s %s\n" X "$(sed -n s/^PARTNAME=//p $p/uevent)" "$(cat $p/start)" "$(cat $p/size)"; done'
# shellcheck disable=SC2016
VAR_CMD='echo "VARSIZE $(findmnt -bno SIZE /var)"'
# How long the units that erase, grow and make data took at this boot.
# shellcheck disable=SC2016
TOOK_CMD='for u in oqlink-factory-reset systemd-repart "systemd-makefs@dev-disk-by\\x2dpartlabel-data" systemd-growfs@var; do s=$(systemctl show -P ExecMainStartTimestampMonotonic "$u.service"); e=$(systemctl show -P ExecMainExitTimestampMonotonic "$u.service"); [ "${s:-0}" -gt 0 ] && echo "TOOK $u $(( (e - s) / 1000 )) ms"; done'

# A data partition in use (a site config of pre-shared-key IPsec without
# files it cannot have here, the console password) on a copy of the image
# whose disk is grown to 3 GiB, as when the image is written to a box.
data=$d/data etc=$d/data/lib/oqlink-etc
mkdir -p "$etc" "$data/lib/oqlink"
sed -e 's|^auth = pubkey|auth = psk\npsk_file = /etc/oqlink/ike.psk|' -e '/^certificate =/d' \
	-e '/^private_key =/d' -e '/^ca = \/etc\/oqlink\/ca.crt/d' -e '/^\[probe.tls.hweb\]/,/^$/d' \
	-e 's/^ping_count = .*/ping_count = 2/' -e 's/^timeout_ms = .*/timeout_ms = 1000/' \
	"$IMG_TOP/examples/site-ipsec.conf" > "$etc/site.conf"
echo 'kensa-psk-0123456789abcdef' > "$etc/ike.psk"
printf '%s\n' "$PW" | openssl passwd -6 -stdin > "$etc/console.passwd"
chmod 0600 "$etc/"*
fixed_parts "$IMG" > "$d/image.parts"
# shellcheck disable=SC2016
check "a copy of the image with a data partition in use, its disk grown to 3 GiB" eval \
	'img_copy "$d" "$data" && truncate -s 3G "$d/disk.img"'
# shellcheck disable=SC2016
check "a 64 MiB USB stick made with mkfs.vfat" eval \
	'truncate -s 64M "$d/stick.img" && mkfs.vfat -n OQLSTICK "$d/stick.img" >/dev/null'

vm_start "$d" bios
check "boots to the shell with the disk and the USB stick" vm_shell "$d"

# /var fills the disk; the kernel sees the slots where the image put them.
rc=$(guest "$d" "$VAR_CMD; $PARTS_CMD; $TOOK_CMD; journalctl -b -o cat -u systemd-repart.service -u systemd-growfs@var.service | cat")
size=$(var_size)
sed -n 's/.*\(TOOK [^ ]* [0-9]* ms\)$/# \1/p' "$d/out"
if [ "$rc" = 0 ] && [ "${size:-0}" -gt $((2 * GIB)) ]; then
	ok "the first boot grew /var to $size bytes (the image's data partition: 128 MiB)"
else
	not_ok "/var is over 2 GiB (it is ${size:-?} bytes)"
fi
grep -e 'Growing' -e 'partition table' -e 'Resiz' -e 'resiz' "$d/out" | sed 's/^/# /'
guest_parts | sort > "$d/guest1.parts"
if grep -v '^data ' "$d/guest1.parts" | diff - <(sort "$d/image.parts") >/dev/null &&
	[ "$(awk '$1 == "data" { print $2 + $3 }' "$d/guest1.parts")" -ge $((3 * GIB / 512 - 4096)) ]; then
	ok "the guest kernel sees bios, ESP, rootA, rootB unchanged and data up to the disk's end"
else
	not_ok "the guest kernel's partitions"; sed 's/^/# guest: /' "$d/guest1.parts"
	sed 's/^/# image: /' "$d/image.parts"
fi

# A report on the data partition, then onto the stick.
rc=$(guest "$d" 'oqlink --lang en test > /tmp/test.out 2>&1; echo "test-exit $?"; tail -6 /tmp/test.out' 300)
if [ "$rc" = 0 ] && grep -q '^/var/lib/oqlink/reports/oqlink-report-.*\.json' "$d/out"; then
	ok "oqlink test in the guest wrote a report to the data partition ($(grep -o 'test-exit [0-9]*' "$d/out" | tail -1))"
else
	not_ok "oqlink test in the guest wrote a report"; sed 's/^/# /' "$d/out" | tail -10
fi
# shellcheck disable=SC2016
rc=$(guest "$d" 'oqlink --lang en report export > /tmp/export.out 2>&1; echo "export-exit $?"; cat /tmp/export.out; sha256sum $(grep "^/var/" /tmp/export.out) | sed "s/^/SUM /"; echo "mounted $(grep -c "^/dev/sda" /proc/mounts)"' 120)
sed -n 's|.*SUM \([0-9a-f]\{64\}\)  /var/lib/oqlink/reports/\(.*\)$|\1 \2|p' "$d/out" > "$d/guest.sums"
if [ "$rc" = 0 ] && grep -q 'export-exit 0' "$d/out" && grep -q 'copied [0-9]* file(s) to /dev/sda (OQLSTICK, vfat)' "$d/out" &&
	grep -q 'mounted 0$' "$d/out" && grep -q '\.html$' "$d/guest.sums" && grep -q '\.json$' "$d/guest.sums" &&
	grep -q '\.txt$' "$d/guest.sums"; then
	ok "oqlink report export found the stick, copied HTML, JSON and text, and unmounted it"
	grep 'copied' "$d/out" | sed 's/^/# /'
else
	not_ok "oqlink report export onto the stick"; sed 's/^/# /' "$d/out" | tail -12
fi

# A factory reset: the next boot erases data, which keeps its grown size.
if vm_console "$d" line='oqlink --lang en factory-reset --yes' timeout=60 expect='rebooting' &&
	vm_gone "$d" 180; then
	ok "oqlink factory-reset --yes marks the data partition and reboots"
else
	not_ok "oqlink factory-reset --yes reboots"; tr -d '\r' < "$d/console.log" | tail -8 | sed 's/^/# /'
fi

# The stick, read on the host: the same bytes as the guest's reports.
bad=
while read -r sum name; do
	[ "$(mcopy -n -i "$d/stick.img" "::$name" - 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$sum" ] ||
		bad="$bad $name"
done < "$d/guest.sums"
if [ -s "$d/guest.sums" ] && [ -z "$bad" ]; then
	ok "the host reads $(wc -l < "$d/guest.sums") files from the stick, equal to the guest's (sha256)"
	mdir -i "$d/stick.img" :: | grep oqlink-report | sed 's/^/# /'
else
	not_ok "the stick's files equal the guest's:${bad:- none listed}"; mdir -i "$d/stick.img" :: | sed 's/^/# /'
fi
# FAT keeps local times: the files carry the site's time (the report's name
# has it), not UTC. Both read as plain times; a few minutes apart at most.
line=$(mdir -i "$d/stick.img" :: 2>/dev/null | grep -m1 -E 'oqlink-report-[0-9]+-[0-9]{8}-[0-9]{6}\.html$')
stamp=$(printf '%s\n' "$line" | grep -o -E '[0-9]{8}-[0-9]{6}\.html$')
fat=$(printf '%s\n' "$line" | awk '{ print $4, $5 }')
if [ -n "$stamp" ] && [ -n "$fat" ]; then
	a=$(date -u -d "${stamp:0:4}-${stamp:4:2}-${stamp:6:2} ${stamp:9:2}:${stamp:11:2}" +%s)
	b=$(date -u -d "$fat" +%s 2>/dev/null || echo 0)
	diff=$(( b > a ? b - a : a - b ))
fi
if [ -n "${diff:-}" ] && [ "$diff" -le 300 ]; then
	ok "the stick's files carry the site's time ($fat for the report of ${stamp%.html})"
else
	not_ok "the stick's files carry the site's time (FAT '${fat:-?}', report '${stamp:-?}')"
fi

# The disk's own table, read on the host.
sfdisk -d "$d/disk.img" > "$d/table1"
end=$(part_of "$d/disk.img" data | awk '{ print $1 + $2 }')
if diff <(fixed_parts "$d/disk.img") "$d/image.parts" >/dev/null &&
	[ "$(part_of "$d/disk.img" data | cut -d' ' -f1)" = "$(part_of "$IMG" data | cut -d' ' -f1)" ] &&
	[ "$end" -ge $((3 * GIB / 512 - 4096)) ] && [ "$end" -le $((3 * GIB / 512 - 33)) ]; then
	ok "on the host, the disk's table has the slots and the ESP as in the image, data up to sector $end"
else
	not_ok "the disk's table after the first boot"; sed 's/^/# /' "$d/table1"
fi

# The boot after the reset: a first boot again, /var as big, nothing moved.
vm_start "$d" bios
check "after the reset, a first boot: new password, wizard, shell" vm_console "$d" timeout=300 \
	expect='First boot: set the console password' expect='Password: ' line="$PW" \
	expect='Again: ' line="$PW" timeout=120 expect='oqlink +\[?d:' \
	press='q=>s: シェル / shell|\(y/n\)' sendif='y/n=>y' expectif='y/n=>s: シェル / shell' \
	line=s expect='root@oqlink'
rc=$(guest "$d" "$VAR_CMD; $PARTS_CMD; $TOOK_CMD; ls -A /etc/oqlink; journalctl -b -o cat -u systemd-repart.service -u oqlink-factory-reset.service | cat" 60)
size=$(var_size)
guest_parts | sort > "$d/guest2.parts"
if [ "$rc" = 0 ] && [ "${size:-0}" -gt $((2 * GIB)) ] && ! grep -q -e site.conf -e ike.psk "$d/out" &&
	grep -q 'factory-reset: done' "$d/out" && grep -q 'No changes' "$d/out" &&
	diff "$d/guest1.parts" "$d/guest2.parts" >/dev/null; then
	ok "data was erased and made anew at $size bytes; systemd-repart changed nothing"
	sed -n 's/.*\(TOOK [^ ]* [0-9]* ms\)$/# \1/p' "$d/out"
else
	not_ok "after the reset (/var ${size:-?} bytes)"; sed 's/^/# /' "$d/out" | tail -14
fi
if vm_poweroff "$d" && sfdisk -d "$d/disk.img" | diff "$d/table1" - >/dev/null; then
	ok "the second boot left the disk's table as the first boot made it"
else
	not_ok "the table after the second boot"; sfdisk -d "$d/disk.img" | diff "$d/table1" - | sed 's/^/# /'
fi

# Booted from a USB stick, data keeps its size: the stick stays a whole
# image to copy onto the box's disk.
rm -f "$d/disk.img" "$d/serial.log"
# shellcheck disable=SC2016
check "the image on a 3 GiB USB stick boots to the shell" eval \
	'img_copy "$d" "$data" && truncate -s 3G "$d/disk.img" && VM_USB= VM_BOOT_USB=1 vm_start "$d" bios && vm_shell "$d"'
rc=$(guest "$d" "$VAR_CMD; journalctl -b -o cat -u systemd-repart.service | cat" 60)
size=$(var_size)
vm_stop "$d"
if [ "$rc" = 0 ] && [ "${size:-0}" -gt 0 ] && [ "$size" -lt $((256 * 1024 * 1024)) ] &&
	grep -q 'grow-data: .* is on a USB disk' "$d/out" &&
	[ "$(part_of "$d/disk.img" data 2>/dev/null)" = "$(part_of "$IMG" data)" ]; then
	ok "on a USB stick the data partition keeps the image's size (/var $size bytes)"
else
	not_ok "on a USB stick data keeps its size (/var ${size:-?} bytes)"; sed 's/^/# /' "$d/out" | tail -8
fi
