#!/bin/bash
# A/B upgrade with RAUC against the lab: the image boots from slot A with
# the lab's site config and applies it; a bundle signed by another key is
# refused; a bundle of the same root with a new version string goes into
# slot B with `oqlink upgrade` and the box reboots into it: the new version,
# the site config and the history are there and the keeper brings the
# tunnel up; two boots of slot B cut short by power cuts do not send the box
# back to slot A; then a bundle whose keeper is disabled goes into slot A, does
# not reach healthy, is marked bad and the box is back on slot B. The
# bundles are remastered from the image's own (images/bundle, the test
# keys of images/keys) and reach the guest on a second disk, as on a USB
# stick. Root; run by make check-image.
set -u
. "$(dirname "$0")/lib.sh"
img_need_ab
echo "1..17"

bundle=${IMG%.img}.raucb
base=$(mktemp -d /tmp/oqlink-image-up.XXXXXX)
export OQL_LAB=imu$$ VM_NO_REBOOT=1
cleanup() {
	vm_stop "$base/vm"
	OQL_LAB_OUT=$base/lab "$LAB" down >/dev/null 2>&1
	rm -rf "$base"
}
trap cleanup EXIT
d=$base/vm; mkdir -p "$d"
new=$IMG_VERSION+upgrade-test bad=$IMG_VERSION+no-keeper

# The image's bundle taken apart; a root with a version string $2 (and
# without the keeper when $3 is set) as bundle $1.raucb, signed as the
# environment says (images/keys).
remaster() {
	local r=$base/root-$1
	cp -a "$base/root" "$r" && echo "$2" > "$r/usr/share/oqlink/image-version" || return 1
	if [ -n "${3:-}" ]; then
		rm -f "$r/etc/systemd/system/multi-user.target.wants/oqlink-monitor.service" \
			"$r/etc/systemd/system/paths.target.wants/oqlink-monitor.path" || return 1
	fi
	nice -n 10 mksquashfs "$r" "$base/$1.sqfs" -noappend -quiet -no-progress \
		-comp zstd -Xcompression-level 3 -b 256K >/dev/null &&
		"$IMG_TOP/images/bundle" "$base/$1.sqfs" "$base/x/vmlinuz" "$base/x/initrd.img" \
			"$2" "$base/stick/$1.raucb" && rm -rf "$r" "$base/$1.sqfs"
}
bundles() {
	# shellcheck source=images/keys
	. "$IMG_TOP/images/keys" >/dev/null || return 1
	mkdir -p "$base/stick" "$base/other" &&
		rauc extract --keyring="$keyring" "$bundle" "$base/x" >/dev/null 2>&1 &&
		unsquashfs -q -n -d "$base/root" "$base/x/root.img" >/dev/null &&
		remaster good "$new" && remaster bad "$bad" no-keeper || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-keyout "$base/other/key.pem" -out "$base/other/cert.pem" -subj /CN=other 2>/dev/null &&
		OQL_IMAGE_SIGN_KEY=$base/other/key.pem OQL_IMAGE_SIGN_CERT=$base/other/cert.pem \
		"$IMG_TOP/images/bundle" "$base/x/root.img" "$base/x/vmlinuz" "$base/x/initrd.img" \
			"$new" "$base/stick/other-key.raucb" &&
		mke2fs -q -t ext4 -d "$base/stick" "$base/stick.img" 400M >/dev/null
}
t0=$(date +%s)
if bundles; then
	ok "bundles: the image's own remastered, with $new and $bad, and one signed by another key ($(($(date +%s) - t0)) s)"
else
	not_ok "bundles: the image's own remastered, and one signed by another key"
fi
rm -rf "$base/root" "$base/x"
if OQL_LAB_OUT=$base/lab "$LAB" up --mode ipsec --layout separate > "$d/lab.log" 2>&1 &&
	switch_node wan0 lan0 term0 && data_dir "$base/lab" "$d/data" && img_copy "$d" "$d/data"; then
	ok "the lab, the switch and the image with the lab's site config"
else
	not_ok "the lab, the switch and the image with the lab's site config"; exit 1
fi
sum=$(sha256sum < "$d/data/lib/oqlink-etc/site.conf" | cut -d' ' -f1)
export VM_DRIVES=$base/stick.img VM_NETNS=$OQL_LAB-appliance
taps="tap-wan0 tap-lan0 tap-term0"

# shellcheck disable=SC2086
vm_start "$d" bios $taps
check "booted from slot A to the shell" vm_shell "$d"
rc=$(guest "$d" 'oqlink --lang en apply' 300)
check "oqlink apply (history #1)" [ "$rc" = 0 ]
# shellcheck disable=SC2016
rc=$(guest "$d" 'for i in $(seq 120); do grub-editenv /boot/efi/grub/grubenv list | grep -qx A_TRY=0 && break; sleep 1; done; grub-editenv /boot/efi/grub/grubenv list | paste -sd " " -; grep -q "rauc.slot=A" /proc/cmdline && grub-editenv /boot/efi/grub/grubenv list | grep -qx A_TRY=0' 150)
check "slot A booted and marked good (oqlink-slot-good)" [ "$rc" = 0 ]
rc=$(guest "$d" 'mkdir -p /run/stick && mount -o ro /dev/vdb /run/stick && oqlink --lang en upgrade /run/stick/other-key.raucb' 300)
check "a bundle signed by another key is refused (exit 1), nothing is rebooted" [ "$rc" = 1 ]

# Upgrade: slot B, reboot, the new version.
if vm_console "$d" line='oqlink --lang en upgrade /run/stick/good.raucb' timeout=400 \
	expect='installed into slot B' expect='rebooting' && vm_gone "$d" 180; then
	ok "oqlink upgrade: written into slot B, the box reboots"
else
	not_ok "oqlink upgrade: written into slot B, the box reboots"; tr -d '\r' < "$d/console.log" | tail -20 | sed 's/^/# /'
fi
# shellcheck disable=SC2086
vm_start "$d" bios $taps
check "boots again to the shell" vm_shell "$d"
rc=$(guest "$d" 'cat /usr/share/oqlink/image-version; grep -o "rauc.slot=[AB]" /proc/cmdline')
check "the new version runs from slot B" eval "[ '$rc' = 0 ] && grep -qF '$new' '$d/out' && grep -q 'rauc.slot=B' '$d/out'"
rc=$(guest "$d" 'sha256sum < /etc/oqlink/site.conf; oqlink --lang en history' 60)
check "the site config and the history are still there" eval "grep -q '$sum' '$d/out' && grep -q '#1 ' '$d/out'"
# shellcheck disable=SC2016
rc=$(guest "$d" 'for i in $(seq 150); do swanctl --list-sas 2>/dev/null | grep -q INSTALLED && break; sleep 1; done; swanctl --list-sas | grep INSTALLED' 200)
check "the keeper brings the tunnel up on the new slot" [ "$rc" = 0 ]
# shellcheck disable=SC2016
rc=$(guest "$d" 'for i in $(seq 120); do grub-editenv /boot/efi/grub/grubenv list | grep -qx B_TRY=0 && break; sleep 1; done; grub-editenv /boot/efi/grub/grubenv list | paste -sd " " -; grub-editenv /boot/efi/grub/grubenv list | grep -qx B_OK=1 && grub-editenv /boot/efi/grub/grubenv list | grep -qx B_TRY=0' 150)
check "slot B is marked good" [ "$rc" = 0 ]
rc=$(guest "$d" 'cat /var/lib/oqlink/slot-proven; grep -Eq "^B [0-9a-f]{64}$" /var/lib/oqlink/slot-proven' 30)
check "slot B is noted as proven on this box (its RAUC checksum)" [ "$rc" = 0 ]

# Two boots of slot B cut before the health check (B_TRY=2, then the power
# is cut): the box boots B again, not the old slot A, and B is good again.
rc=$(guest "$d" 'grub-editenv /boot/efi/grub/grubenv set B_TRY=2 && sync && grub-editenv /boot/efi/grub/grubenv list | paste -sd " " -' 30)
[ "$rc" = 0 ] || { echo "# grub-editenv exited $rc:"; sed 's/^/# /' "$d/out" | tail -5; }
vm_stop "$d"
# shellcheck disable=SC2086
if vm_start "$d" bios $taps && vm_shell "$d"; then
	# shellcheck disable=SC2016
	rc=$(guest "$d" 'e=/boot/efi/grub/grubenv; grep -o "rauc.slot=[AB]" /proc/cmdline; for i in $(seq 120); do grub-editenv $e list | grep -qx B_TRY=0 && break; sleep 1; done; grub-editenv $e list | paste -sd " " -; grep -q rauc.slot=B /proc/cmdline && grub-editenv $e list | grep -qx B_TRY=0' 150)
	check "after two boots cut short, slot B boots a third time and is good" [ "$rc" = 0 ]
	grep -e 'rauc.slot' -e '_TRY=' "$d/out" | sed 's/^/# /'
else
	not_ok "after two boots cut short, slot B boots a third time: no shell"
	tr -d '\r' < "$d/serial.log" | grep -a -v '^\s*$' | tail -25 | sed 's/^/# /'
fi

# A bundle whose slot does not reach healthy: back to slot B.
if vm_console "$d" line='mkdir -p /run/stick; mount -o ro /dev/vdb /run/stick; oqlink --lang en upgrade /run/stick/bad.raucb' \
	timeout=400 expect='installed into slot A' expect='rebooting' && vm_gone "$d" 180; then
	ok "the bundle without the keeper is written into slot A, the box reboots"
else
	not_ok "the bundle without the keeper is written into slot A"; tr -d '\r' < "$d/console.log" | tail -20 | sed 's/^/# /'
fi
# slot A boots, its health check fails, it is marked bad and the box reboots
# shellcheck disable=SC2086
vm_start "$d" bios $taps
if vm_console "$d" timeout=300 expect='Booting .oqlink A' && vm_gone "$d" 400; then
	ok "slot A boots, does not reach healthy and reboots"
else
	not_ok "slot A boots, does not reach healthy and reboots"; tr -d '\r' < "$d/serial.log" | tail -20 | sed 's/^/# /'
fi
# shellcheck disable=SC2086
vm_start "$d" bios $taps
if vm_shell "$d"; then
	rc=$(guest "$d" 'cat /usr/share/oqlink/image-version; grep -o "rauc.slot=[AB]" /proc/cmdline; journalctl -m -o cat -u oqlink-slot-good.service | grep slot-good: | tail -3; grub-editenv /boot/efi/grub/grubenv list | paste -sd " " -')
	if [ "$rc" = 0 ] && grep -qF "$new" "$d/out" && grep -q 'rauc.slot=B' "$d/out" &&
		grep -q 'A_OK=0' "$d/out"; then
		ok "back on slot B with $new; slot A was marked bad"
		grep -e '^slot-good:' -e '_OK=' "$d/out" | sed 's/^/# /'
	else
		not_ok "back on slot B"; sed 's/^/# /' "$d/out" | tail -15
	fi
else
	not_ok "back on slot B: no shell"
fi
