#!/bin/bash
# oqlink report export: the newest report (HTML, JSON, text) and its pcap
# into a directory, or onto a USB memory found by the kernel's facts: a
# loop device holding a FAT or exFAT image stands in for the stick, named
# by the test knob OQLINK_TEST_USB_DEVICE (a loop device is not a removable
# USB device, and without the knob it must not count as one).
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
case "$O" in /*) ;; *) O=$PWD/$O ;; esac
D=tests/data/report
. tests/lib/tap.sh
tmp=$(mktemp -d)
LOOPS=()
cleanup() {
	for l in "${LOOPS[@]}"; do
		findmnt -rn -S "$l" -o TARGET 2>/dev/null | while read -r m; do umount "$m"; done
		losetup -d "$l" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
echo "1..15"

sed -e "s|^run_dir = .*|run_dir = $tmp/run|" -e "s|^report_dir = .*|report_dir = $tmp/rep|" \
	$D/site-ipsec.conf > "$tmp/site.conf"
mkdir -p "$tmp/rep"
head -c 150000 /dev/urandom > "$tmp/rep/capture-20260401-020000-1.pcap"
"$O" --config "$tmp/site.conf" report render $D/run-ipsec-pass.json --report-dir "$tmp/rep" \
	--pcap "$tmp/rep/capture-20260401-020000-1.pcap" --time 2026-04-01T11:00:00+09:00 >/dev/null
stem=$(basename "$(ls "$tmp"/rep/oqlink-report-*.json)" .json)
X() { "$O" --lang en --config "$tmp/site.conf" "$@"; }
# every file of the report and its pcap, identical, in directory $1
all_in() {
	local f
	for f in "$stem.html" "$stem.json" "$stem.txt" capture-20260401-020000-1.pcap; do
		cmp -s "$tmp/rep/$f" "$1/$f" || return 1
	done
}

desc="export DIR copies the HTML, JSON, text and the pcap"
t bash -c "$(declare -f X all_in); tmp=$tmp stem=$stem O=$O; X report export '$tmp/out' >'$tmp/o' 2>&1 && all_in '$tmp/out' && grep -q 'copied 4 file' '$tmp/o'"
desc="--json names the files and where they went"
t bash -c "'$O' --config '$tmp/site.conf' --json report export '$tmp/out2' | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"to\"]==\"$tmp/out2\" and len(d[\"files\"])==4 else 1)'"
desc="no report yet: said, exit 3"
t bash -c "mkdir -p '$tmp/empty'; '$O' --lang en --config '$tmp/site.conf' report export --report-dir '$tmp/empty' '$tmp/x' 2>'$tmp/e'; [ \$? -eq 3 ] && grep -q 'no report in' '$tmp/e'"

if [ "$(id -u)" -ne 0 ] || ! command -v losetup >/dev/null || ! losetup -f >/dev/null 2>&1; then
	for _ in $(seq 12); do skip "needs root and loop devices"; done
	exit $failed
fi

# an image of type $1 on a new loop device; prints the device
loop_with() {
	local img=$tmp/$1.img
	truncate -s 16M "$img"
	case $1 in
	vfat) mkfs.vfat -n OQUSB "$img" >/dev/null ;;
	exfat) mkfs.exfat -L OQUSB "$img" >/dev/null ;;
	esac || return 1
	losetup -f --show "$img"
}
# whether this kernel (or a FUSE helper) can mount type $1
can_mount() {
	grep -qw "$1" /proc/filesystems && return 0
	[ "$1" = exfat ] && [ -x /sbin/mount.exfat-fuse ]
}

L=$(loop_with exfat) && LOOPS+=("$L")
desc="no stick: 'no USB memory found', exit 3 (a loop device is not a USB memory)"
t bash -c "'$O' --lang en --config '$tmp/site.conf' report export 2>'$tmp/e'; [ \$? -eq 3 ] && grep -qF 'no USB memory found' '$tmp/e'"
desc="no stick (ja): USB メモリが見つかりません"
t bash -c "'$O' --lang ja --config '$tmp/site.conf' report export 2>'$tmp/e'; grep -qF 'USB メモリが見つかりません' '$tmp/e'"
desc="no stick: no mount point made, not even in the run dir"
t test ! -e "$tmp/run/usb"
desc="the knob names only a loop device: another device is not taken for a stick"
t bash -c "OQLINK_TEST_USB_DEVICE=/dev/sda '$O' --config '$tmp/site.conf' report export 2>/dev/null; [ \$? -eq 3 ]"

for fs in vfat exfat; do
	if ! can_mount $fs || ! command -v mkfs.$fs >/dev/null; then
		for _ in 1 2 3; do skip "this kernel cannot mount $fs"; done
		continue
	fi
	[ $fs = exfat ] || { L=$(loop_with $fs) && LOOPS+=("$L"); }
	desc="$fs stick: the report and the pcap are copied"
	t bash -c "OQLINK_TEST_USB_DEVICE=$L '$O' --lang en --config '$tmp/site.conf' report export >'$tmp/o' 2>&1 && grep -q 'copied 4 file(s) to $L (OQUSB, $fs)' '$tmp/o'"
	desc="$fs stick: unmounted afterwards, the mount point gone"
	t bash -c "! findmnt -S '$L' >/dev/null && [ ! -e '$tmp/run/usb' ]"
	mkdir -p "$tmp/look-$fs"
	if mount -t "$( [ $fs = exfat ] && ! grep -qw exfat /proc/filesystems && echo exfat-fuse || echo $fs)" -o ro "$L" "$tmp/look-$fs"; then
		desc="$fs stick: every file is on it, byte for byte"
		t all_in "$tmp/look-$fs"
		umount "$tmp/look-$fs"
	else
		skip "cannot mount $fs to look"
	fi
done

# a stick left mounted on run_dir/usb by an export that was killed
desc="a stick left mounted in the run dir is unmounted first, then used"
if can_mount exfat; then
	mkdir -p "$tmp/run/usb"
	mount -t "$(grep -qw exfat /proc/filesystems && echo exfat || echo exfat-fuse)" "${LOOPS[0]}" "$tmp/run/usb"
	t bash -c "OQLINK_TEST_USB_DEVICE=${LOOPS[0]} '$O' --config '$tmp/site.conf' report export >/dev/null 2>&1 && ! findmnt '$tmp/run/usb' >/dev/null && [ ! -e '$tmp/run/usb' ]"
else
	skip "cannot mount exfat"
fi

# the mount as the kernel had it: under the run dir, nosuid,nodev,noexec
desc="the stick was mounted on run_dir/usb with nosuid,nodev,noexec"
if can_mount exfat; then
	t bash -c "OQLINK_TEST_USB_DEVICE=${LOOPS[0]} '$O' --json --config '$tmp/site.conf' report export | python3 -c '
import json, sys
m = json.load(sys.stdin)[\"mounted\"]
o = m[\"options\"].split(\",\")
sys.exit(0 if m[\"on\"] == \"$tmp/run/usb\" and {\"nosuid\", \"nodev\", \"noexec\"} <= set(o) else 1)'"
else
	skip "cannot mount exfat"
fi
exit $failed
