#!/bin/bash
# Power cut during apply: qemu is killed (-9) while oqlink apply runs in the
# guest against the lab; after the next boot the site config is intact, the
# next oqlink command (the screen, here) puts the host back, oqlink status
# and the history say the apply was interrupted, and apply then completes. Root; run by
# make check-image.
set -u
. "$(dirname "$0")/lib.sh"
img_need
echo "1..8"

base=$(mktemp -d /tmp/oqlink-image-cut.XXXXXX)
export OQL_LAB=imc$$
cleanup() {
	vm_stop "$base/vm"
	OQL_LAB_OUT=$base/lab "$LAB" down >/dev/null 2>&1
	rm -rf "$base"
}
trap cleanup EXIT
d=$base/vm; mkdir -p "$d"

if OQL_LAB_OUT=$base/lab "$LAB" up --mode ipsec --layout separate > "$d/lab.log" 2>&1 &&
	switch_node wan0 lan0 term0 && data_dir "$base/lab" "$d/data" && img_copy "$d" "$d/data"; then
	ok "the lab, the switch and the image with the lab's site config"
else
	not_ok "the lab, the switch and the image with the lab's site config"; exit 1
fi
sum=$(sha256sum < "$d/data/lib/oqlink-etc/site.conf" | cut -d' ' -f1)

VM_NETNS=$OQL_LAB-appliance vm_start "$d" bios tap-wan0 tap-lan0 tap-term0
check "booted to the shell" vm_shell "$d"

# The cut: as soon as apply reports its second step, qemu dies.
if vm_console "$d" line='oqlink --lang en apply' timeout=120 expect='\[2/[0-9]+\]'; then
	kill -9 "$(cat "$d/qemu.pid")"
	ok "power cut during oqlink apply (qemu killed at step 2)"
else
	not_ok "power cut during oqlink apply: the apply did not start"
fi
for i in $(seq 50); do kill -0 "$(cat "$d/qemu.pid")" 2>/dev/null || break; sleep 0.1; done
rm -f "$d/serial.sock" "$d/monitor.sock"

VM_NETNS=$OQL_LAB-appliance vm_start "$d" bios tap-wan0 tap-lan0 tap-term0
check "boots again after the cut" vm_shell "$d"
rc=$(guest "$d" 'sha256sum < /etc/oqlink/site.conf')
check "the site config is intact" grep -q "$sum" "$d/out"
rc=$(guest "$d" 'oqlink --lang en status' 120)
check "oqlink status: the last apply was interrupted (undone at the next command)" \
	grep -q 'last apply: #[0-9]* .* interrupted' "$d/out"
rc=$(guest "$d" 'oqlink --lang en history' 60)
check "the history records the interrupted apply" grep -q 'interrupted' "$d/out"
rc=$(guest "$d" 'oqlink --lang en apply' 300)
check "apply then completes" [ "$rc" = 0 ]
