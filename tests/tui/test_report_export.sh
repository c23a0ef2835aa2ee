#!/bin/bash
# The report screen's u: with no USB memory it says so and makes no
# directory anywhere; with one (a loop device holding an exFAT or FAT image,
# named by the test knob OQLINK_TEST_USB_DEVICE) the report and its pcap
# land on it, and it is unmounted afterwards.
. "$(dirname "$0")/tmux.lib"
D=tests/data/report
C=$T/site.conf
sed -e "s|^run_dir = .*|run_dir = $T/run|" -e "s|^report_dir = .*|report_dir = $T/rep|" \
	$D/site-ipsec.conf > "$C"
mkdir -p "$T/rep"
head -c 150000 /dev/urandom > "$T/rep/capture-20260401-020000-1.pcap"
"$O" --config "$C" report render $D/run-ipsec-pass.json --report-dir "$T/rep" \
	--pcap "$T/rep/capture-20260401-020000-1.pcap" --time 2026-04-01T11:00:00+09:00 >/dev/null
media_before=$( [ -e /media/usb ] && echo yes || echo no )

start 80 24 --lang ja --config "$C" tui --refresh 0 --screen report
t "the copy destination is empty: the USB memory" has "写し先 (空欄=USB)"
k u
t "no stick: it says no USB memory was found" wait_for "USB メモリが見つかりません" 100
shot report-export-1-no-usb
nodir() { [ ! -e "$T/run/usb" ] && { [ $media_before = yes ] || [ ! -e /media/usb ]; }; }
t "no stick: no directory made, neither /media/usb nor in the run dir" nodir
k q

LOOP=
if [ "$(id -u)" -eq 0 ] && losetup -f >/dev/null 2>&1 &&
   { grep -qw exfat /proc/filesystems || [ -x /sbin/mount.exfat-fuse ]; } && command -v mkfs.exfat >/dev/null; then
	truncate -s 16M "$T/usb.img"
	mkfs.exfat -L OQUSB "$T/usb.img" >/dev/null
	LOOP=$(losetup -f --show "$T/usb.img")
fi
if [ -n "$LOOP" ]; then
	trap 'findmnt -rn -S "$LOOP" -o TARGET | while read -r m; do umount "$m"; done; losetup -d "$LOOP"; cleanup' EXIT
	O="env OQLINK_TEST_USB_DEVICE=$LOOP $O" start 80 24 --lang ja --config "$C" tui --refresh 0 --screen report
	k u
	t "with a stick: the files are copied onto it" wait_for "4 個のファイルを $LOOP (OQUSB, exfat) に写しました" 150
	shot report-export-2-usb
	t "and it may be pulled out: unmounted" bash -c "! findmnt -S $LOOP >/dev/null"
	mkdir -p "$T/look"
	mnt_type=exfat; grep -qw exfat /proc/filesystems || mnt_type=exfat-fuse
	mount -t $mnt_type -o ro "$LOOP" "$T/look"
	onstick() {
		local f
		for f in "$T"/rep/*; do cmp -s "$f" "$T/look/$(basename "$f")" || return 1; done
		[ "$(ls "$T/look" | wc -l)" -eq 4 ]
	}
	t "the stick holds the HTML, JSON, text and the pcap, byte for byte" onstick
	umount "$T/look"
	k q
else
	n=$((n+1)); echo "ok $n # SKIP needs root, a loop device and exFAT"
	n=$((n+1)); echo "ok $n # SKIP needs root, a loop device and exFAT"
	n=$((n+1)); echo "ok $n # SKIP needs root, a loop device and exFAT"
fi
done_tests
