#!/bin/bash
# Figures of the appliance image: its size (raw, zstd, the RAUC bundle)
# against the goal (64 MB compressed) and the limit (100 MB), its ten
# biggest packages, the build time of the last make image, and, booted
# under qemu TCG, the time from power-on to the console and the memory the
# idle system uses. Skipped unless root and the image is built (make image).
set -u
cd "$(dirname "$0")/.."
. tests/image/lib.sh
if [ "$(id -u)" != 0 ] || [ ! -r "$IMG" ] || ! command -v qemu-system-x86_64 >/dev/null; then
	echo "skipped: needs root, qemu and $IMG (make image)"
	exit 0
fi
name=${IMG%.img}
raw=$(stat -c %s "$IMG"); zst=$(stat -c %s "$IMG.zst")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo "image raw          $(mb "$raw")"
echo "image zstd         $(mb "$zst")  (goal 64 MB: ratio $(awk -v z="$zst" 'BEGIN { printf "%.2f", z / 64e6 }'), limit 100 MB)"
[ -r "$name.raucb" ] && echo "bundle (.raucb)    $(mb "$(stat -c %s "$name.raucb")")"
[ -r "$name.buildinfo" ] && sed 's/^/build              /' "$name.buildinfo"
echo "biggest packages (KiB installed):"
sort -k3,3nr "$name.packages" | head -10 | awk '{ printf "  %-40s %8d\n", $1, $3 }'

d=$(mktemp -d /tmp/oqlink-bench-image.XXXXXX)
trap 'vm_stop "$d"; rm -rf "$d"' EXIT
data=$d/data; mkdir -p "$data/lib/oqlink-etc"
printf 'bench-pass\n' | openssl passwd -6 -stdin > "$data/lib/oqlink-etc/console.passwd"
img_copy "$d" "$data" || { echo "copying the image failed"; exit 1; }
t0=$(date +%s%N)
vm_start "$d" bios || { echo "qemu did not start"; exit 1; }
vm_console "$d" timeout=300 expect='Console password: ' >/dev/null || { echo "no console"; exit 1; }
echo "boot to console    $(( ($(date +%s%N) - t0) / 1000000 )) ms (qemu TCG, BIOS; goal 30000 ms)"
vm_console "$d" line=bench-pass timeout=60 expect='oqlink +\[?d:' \
	press='q=>s: シェル / shell|\(y/n\)' sendif='y/n=>y' expectif='y/n=>s: シェル / shell' \
	line=s expect='root@oqlink' >/dev/null || { echo "no shell"; exit 1; }
guest "$d" "free -k | awk '/^Mem:/ { print \"USED\", \$3 }'; ps -eo rss= | awk '{ s += \$1 } END { print \"RSS\", s }'" >/dev/null
# (the first line of output may follow the terminal's bracketed-paste switch)
sed -n 's/.*\(USED [0-9]*\).*/\1/p; s/.*\(RSS [0-9]*\).*/\1/p' "$d/out" |
	awk '$1 == "USED" { printf "idle memory used   %d MiB (free)\n", $2 / 1024 }
	     $1 == "RSS" { printf "idle RSS, summed   %d MiB (every process, shared pages counted in each)\n", $2 / 1024 }'
