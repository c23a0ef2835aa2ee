#!/bin/bash
# Power cut during apply: qemu is killed (-9) while oqlink apply runs in the
# guest against the lab; after the next boot the site config is intact, the
# next oqlink command (the screen, here) puts the host back, oqlink status
# and the history say the apply was interrupted, and apply then completes.
# Power cut during history writes: the keeper writes a probe round every
# 10 s and oqlink test writes a report when qemu is killed again; after the
# boot the keeper's history holds every round written before the cut and
# was not found damaged, and the earlier report is whole. Root; run by
# make check-image.
set -u
. "$(dirname "$0")/lib.sh"
img_need
echo "1..12"

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
	switch_node wan0 lan0 term0 && data_dir "$base/lab" "$d/data" &&
	printf '\n[monitor]\nlight_interval = 10\n' >> "$d/data/lib/oqlink-etc/site.conf" &&
	img_copy "$d" "$d/data"; then
	ok "the lab, the switch and the image with the lab's site config (keeper rounds every 10 s)"
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

# The second cut: while the keeper writes its rounds and oqlink test its
# report. Before it: one report, and the rounds the history holds.
# what the guest printed, without the shell's terminal escapes
printed() { tr -d '\r' < "$d/out" | sed 's/\x1b\[[?0-9;]*[a-zA-Z]//g'; }
rows() { guest "$d" 'oqlink --lang en history probes --since 1h | grep -c -E " (PASS|WARN|FAIL|SKIP) "' 60 >/dev/null; printed | grep -E '^[0-9]+$' | tail -1; }
rc=$(guest "$d" 'oqlink --lang en test > /dev/null; cd /var/lib/oqlink/reports && sha256sum -- *' 600)
before=$(printed | grep -E '^[0-9a-f]{64}  ' | sort)
n0=$(rows); n1=$n0
for _ in $(seq 30); do
	n1=$(rows)
	[ -n "$n0" ] && [ -n "$n1" ] && [ "$n1" -gt "$n0" ] && break
	sleep 2
done
if [ -n "$before" ] && [ -n "$n1" ] && [ "$n1" -gt "${n0:-0}" ]; then
	ok "the keeper writes its history ($n1 results) and a report is there"
else
	not_ok "the keeper writes its history (results $n0 -> $n1) and a report is there"
fi
# the cut comes as the next round lands, with oqlink test writing
if vm_console "$d" line='(oqlink --lang en test > /dev/null 2>&1 &); n=$(oqlink --lang en history probes --since 1h | wc -l); while [ "$(oqlink --lang en history probes --since 1h | wc -l)" = "$n" ]; do sleep 0.2; done; oqlink --lang en history probes --since 1h | grep -E " (PASS|WARN|FAIL|SKIP) " > /tmp/seen; wc -l < /tmp/seen | sed "s/^/ROWS-/"; tail -1 /tmp/seen | cut -c1-19 | tr " " T | sed "s/^/LAST-/"; echo CUT-$((40+2))' \
	timeout=120 expect='ROWS-[0-9]+' expect='CUT-42'; then
	kill -9 "$(cat "$d/qemu.pid")"
	seen=$(tr -d '\r' < "$d/console.log" | grep -a -o -E 'ROWS-[0-9]+' | tail -1 | cut -d- -f2)
	# the newest result the guest saw; results of the next boot come after it
	last=$(tr -d '\r' < "$d/console.log" | grep -a -o -E 'LAST-[0-9-]+T[0-9:]+' | tail -1 | cut -d- -f2- | tr T ' ')
	ok "power cut while the keeper writes a round and oqlink test a report (the guest saw $seen results)"
else
	not_ok "power cut during history writes: no round landed"
fi
for i in $(seq 50); do kill -0 "$(cat "$d/qemu.pid")" 2>/dev/null || break; sleep 0.1; done
rm -f "$d/serial.sock" "$d/monitor.sock"
VM_NETNS=$OQL_LAB-appliance vm_start "$d" bios tap-wan0 tap-lan0 tap-term0
if vm_shell "$d"; then
	# the results up to the newest one the guest saw before the cut
	guest "$d" "oqlink --lang en history probes --since 1h | grep -E ' (PASS|WARN|FAIL|SKIP) ' | cut -c1-19 | awk -v t='$last' '\$0 <= t' | wc -l" 60 >/dev/null
	n2=$(printed | grep -E '^[0-9]+$' | tail -1)
	guest "$d" 'journalctl -b -o cat -u oqlink-monitor.service | grep -i -e damaged -e 壊れ; cd /var/lib/oqlink/reports && sha256sum -- *' 60 >/dev/null
	after=$(printed | grep -E '^[0-9a-f]{64}  ' | sort)
	if [ -n "$n2" ] && [ -n "${seen:-}" ] && [ -n "${last:-}" ] && [ "$n2" -ge "$seen" ] && ! grep -q -i -e 'was damaged' -e '壊れていた' "$d/out"; then
		ok "after the cut the history holds every result written before it ($seen seen up to $last, $n2 of them after the boot), not damaged"
	else
		not_ok "after the cut the history holds every result written before it (${seen:-?} seen up to ${last:-?}, ${n2:-none} after the boot)"
		sed 's/^/# /' "$d/out" | tail -5
	fi
	if [ -n "$before" ] && [ "$(comm -23 <(echo "$before") <(echo "$after"))" = "" ]; then
		ok "the report written before the cut is whole (same SHA-256)"
	else
		not_ok "the report written before the cut is whole"
		printf '%s\n' "$before" "--" "$after" | sed 's/^/# /'
	fi
else
	not_ok "boots again after the cut during history writes"
	not_ok "the report written before the cut is whole"
fi
