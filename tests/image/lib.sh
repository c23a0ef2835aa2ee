# Helpers of the image tests: a copy of the image with a data partition made
# from a directory, and the image booted under qemu (TCG) with its serial
# console on a socket and its NICs on tap devices.
# shellcheck shell=bash

IMG_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMG_VERSION=${VERSION:-$(sed -n 's/^VERSION *:= *//p' "$IMG_TOP/Makefile")}
IMG=${OQL_IMAGE:-$IMG_TOP/images/out/oqlink-$IMG_VERSION-amd64.img}
CONSOLE=$IMG_TOP/tests/image/console.py
LAB=$IMG_TOP/lab/lab
# the console password of the data partitions the tests make
PW=kensa-2026
# the guest's NICs, in slot order: the names the guest's kernel gives them
GUEST_NICS="ens3 ens4 ens5"

n=0
ok() { n=$((n+1)); echo "ok $n - $*"; }
not_ok() { n=$((n+1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# Skip unless root, qemu and the image are there; under make check-image
# (OQL_CHECK_IMAGE) a missing one is a failure, not a skip.
img_need() {
	local why=
	[ "$(id -u)" -eq 0 ] || why="root is needed"
	[ -n "$why" ] || command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 is missing"
	[ -n "$why" ] || [ -r "$IMG" ] || why="no image at $IMG: run make image"
	[ -z "$why" ] && return 0
	if [ -n "${OQL_CHECK_IMAGE:-}" ]; then
		echo "1..1"; echo "not ok 1 - $why"; exit 1
	fi
	skip_all "$why"
}

# The suites that reboot the guest several times (A/B upgrade, factory
# reset) take about 12 minutes more under TCG: they run under
# make check-image-ab (OQL_IMAGE_AB=1), not under make check-image.
img_need_ab() {
	[ -n "${OQL_IMAGE_AB:-}" ] || skip_all "several reboots under TCG: run make check-image-ab"
	img_need
}

# Start sector and size in sectors of the partition named $2 in disk $1.
part_of() {
	sfdisk -d "$1" | sed -n "s/.*start= *\([0-9]*\), size= *\([0-9]*\),.*name=\"$2\".*/\1 \2/p"
}

# A sparse copy of the image in $1/disk.img; with $2, the data partition is
# an ext4 made from that directory (what the box keeps under /var).
img_copy() {
	local d=$1 data=${2:-} start size
	cp --sparse=always "$IMG" "$d/disk.img" || return 1
	[ -n "$data" ] || return 0
	read -r start size < <(part_of "$d/disk.img" data) || return 1
	mke2fs -q -t ext4 -F -d "$data" -E offset=$((start * 512)) "$d/disk.img" $((size / 2))k
}

# Boot $1/disk.img in the background: vm_start DIR [bios|uefi] [TAP...]
# The serial console is DIR/serial.sock (its output also in DIR/serial.log),
# the qemu monitor DIR/monitor.sock; DIR/qemu.pid has the process id.
# With VM_NETNS set, qemu (and its taps) live in that network namespace;
# VM_DRIVES adds read-only disks (vdb, ...: a USB stick, say), VM_USB
# writable USB sticks (removable disks on an xHCI bus: sda, ...); with
# VM_BOOT_USB set, the image's disk itself is a USB stick there; with
# VM_NO_REBOOT set, a reboot of the guest ends qemu (vm_gone waits for it
# and vm_start boots the same disk again).
vm_start() {
	local d=$1 fw=${2:-bios} tap slot=3 args=() pre=() f u=0 disk=()
	[ -z "${VM_NETNS:-}" ] || pre=(ip netns exec "$VM_NETNS")
	rm -f "$d/serial.sock" "$d/monitor.sock"
	for f in ${VM_DRIVES:-}; do args+=(-drive "file=$f,format=raw,if=virtio,readonly=on"); done
	# the image's disk first (vda, or the first USB disk), the bus before it
	[ -z "${VM_USB:-}${VM_BOOT_USB:-}" ] || disk=(-device "qemu-xhci,id=xhci")
	if [ -n "${VM_BOOT_USB:-}" ]; then
		disk+=(-drive "file=$d/disk.img,format=raw,if=none,id=boot"
			-device "usb-storage,bus=xhci.0,drive=boot,removable=on,bootindex=0")
	else
		disk+=(-drive "file=$d/disk.img,format=raw,if=virtio")
	fi
	for f in ${VM_USB:-}; do
		args+=(-drive "file=$f,format=raw,if=none,id=usb$u"
			-device "usb-storage,bus=xhci.0,drive=usb$u,removable=on")
		u=$((u + 1))
	done
	[ -z "${VM_NO_REBOOT:-}" ] || args+=(-no-reboot)
	shift 2 || shift $#
	if [ "$fw" = uefi ]; then
		cp /usr/share/OVMF/OVMF_VARS_4M.fd "$d/vars.fd" || return 1
		args+=(-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
			-drive "if=pflash,format=raw,file=$d/vars.fd")
	fi
	for tap in "$@"; do
		args+=(-netdev "tap,id=n$slot,ifname=$tap,script=no,downscript=no"
			-device "virtio-net-pci,netdev=n$slot,addr=0x$slot,mac=52:54:00:0e:5a:0$slot")
		slot=$((slot + 1))
	done
	[ $# -gt 0 ] || args+=(-nic none)
	"${pre[@]}" nice -n 10 qemu-system-x86_64 -machine pc,accel=tcg -cpu max -smp 2 -m 1024 \
		"${disk[@]}" \
		-display none -vga std \
		-chardev "socket,id=s0,path=$d/serial.sock,server=on,wait=off,logfile=$d/serial.log" \
		-serial chardev:s0 \
		-monitor "unix:$d/monitor.sock,server,nowait" \
		-pidfile "$d/qemu.pid" -daemonize "${args[@]}" > "$d/qemu.out" 2>&1
}

# A qemu monitor command: vm_monitor DIR COMMAND
vm_monitor() {
	python3 - "$1/monitor.sock" "$2" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(10)
buf = b""
while not buf.endswith(b"(qemu) "):
    buf += s.recv(4096)
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"(qemu) "):
    buf += s.recv(4096)
PY
}

# Stop the VM of DIR (its own process id) and wait until it is gone.
vm_stop() {
	local d=$1 pid i
	pid=$(cat "$d/qemu.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
}

# Wait until the qemu of DIR has ended by itself: vm_gone DIR [SECONDS]
vm_gone() {
	local d=$1 pid i
	pid=$(cat "$d/qemu.pid" 2>/dev/null) || return 1
	for i in $(seq $((${2:-120} * 10))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# Power the guest of DIR off from its shell and wait (bounded) until qemu
# is gone, so that vm_start can boot it again.
vm_poweroff() {
	# (stay until the guest has echoed the line: bytes it has not read yet
	# are lost when the console closes)
	vm_console "$1" line='systemctl poweroff' expect='systemctl poweroff' && vm_gone "$1" 120
}

# Drive the serial console of DIR: vm_console DIR STEP... (see console.py)
vm_console() {
	local d=$1; shift
	CONSOLE_LOG=$d/console.log python3 "$CONSOLE" "$d/serial.sock" "$@"
}

# The shell on the guest's serial console of DIR: guest DIR COMMAND [TIMEOUT]
# runs COMMAND, waits for its end, keeps what it printed in DIR/out and
# prints its exit status.
guest() {
	local d=$1 cmd=$2 timeout=${3:-120} tag=D$RANDOM
	: > "$d/console.log"
	if ! vm_console "$d" line="$cmd; echo $tag-\$((40+2))-\$?" timeout="$timeout" \
		expect="$tag-42-[0-9]+"; then
		# what the guest last said (a kernel message, say), for the failure
		{ echo "(no end of the command within $timeout s; the serial console's last lines:)"
		  tr -d '\r' < "$d/serial.log" | sed 's/\x1b\[[?0-9;]*[a-zA-Z]//g' | tail -15; } > "$d/out"
		echo 3
		return 3
	fi
	{ tr -d '\r' < "$d/console.log"; echo; } > "$d/out"
	sed -n "s/^$tag-42-\([0-9]*\).*/\1/p" "$d/out" | tail -1
}

# From power-on to the shell of DIR's console: the password, the screen,
# q (and y when the screen asks because something runs), then s.
vm_shell() {
	vm_console "$1" timeout=300 expect='Console password: ' line="$PW" timeout=120 \
		expect='oqlink +\[?d:' press='q=>s: シェル / shell|\(y/n\)' sendif='y/n=>y' \
		expectif='y/n=>s: シェル / shell' line=s expect='root@oqlink'
}

# The guest's data partition: the lab's site config with the guest's NIC
# names and the files it names under /etc/oqlink, and a console password.
data_dir() {
	local lab=$1 data=$2 f etc=$2/lib/oqlink-etc
	set -- $GUEST_NICS
	mkdir -p "$etc" "$data/lib/oqlink" || return 1
	chmod 0750 "$etc" "$data/lib/oqlink"
	sed -e "s|$lab/|/etc/oqlink/|g" -e '/^vici_socket *=/d' -e '/^\[paths\]/,$d' \
		-e "s/^interface = wan0$/interface = $1/" -e "s/^interface = lan0$/interface = $2/" \
		-e "s/^interface = term0$/interface = $3/" "$lab/site.conf" > "$etc/site.conf" || return 1
	for f in ike.crt ike.key ca.crt central-ca.crt terminal.p12 terminal.p12.pass ike.psk; do
		[ -e "$lab/$f" ] && install -m 0600 "$lab/$f" "$etc/$f"
	done
	printf '%s\n' "$PW" | openssl passwd -6 -stdin > "$etc/console.passwd" &&
		chmod 0600 "$etc/console.passwd" "$etc/site.conf"
}

# In the lab's appliance namespace, each of the links given on a bridge
# with a tap (tap-LINK) that qemu joins.
switch_node() {
	local ns=$OQL_LAB-appliance l
	for l in "$@"; do
		ip -n "$ns" link add "br-$l" type bridge &&
			ip -n "$ns" link set "$l" master "br-$l" &&
			ip -n "$ns" tuntap add "tap-$l" mode tap &&
			ip -n "$ns" link set "tap-$l" master "br-$l" &&
			ip -n "$ns" link set "tap-$l" up && ip -n "$ns" link set "br-$l" up || return 1
	done
}
