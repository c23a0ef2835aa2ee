#!/bin/bash
# The commands of the appliance image off the image: oqlink upgrade and
# oqlink factory-reset check their arguments (exit 2) and, on a host that is
# not the image (no /etc/rauc/system.conf or no rauc.slot= at boot), say so
# and exit 3 without touching anything. The image tests (tests/image/)
# run them on the image.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..10"
if [ -e /etc/rauc/system.conf ] && grep -q 'rauc\.slot=' /proc/cmdline; then
	for i in $(seq 10); do echo "ok $i # SKIP this host is an oqlink image"; done
	exit 0
fi
: > "$tmp/b.raucb"

desc="upgrade without a bundle: usage, exit 2"; t bash -c "$O --lang en upgrade 2>$tmp/e; [ \$? -eq 2 ] && grep -q 'usage: oqlink upgrade BUNDLE' $tmp/e"
desc="upgrade with a bundle that is not there: exit 2, names it"; t bash -c "$O --lang en upgrade $tmp/none.raucb 2>$tmp/e; [ \$? -eq 2 ] && grep -q \"cannot read the bundle $tmp/none.raucb\" $tmp/e"
desc="upgrade with a directory: exit 2"; t bash -c "$O --lang en upgrade $tmp 2>$tmp/e; [ \$? -eq 2 ] && grep -q 'not a regular file' $tmp/e"
desc="upgrade off the image: exit 3, says so"; t bash -c "$O --lang en upgrade $tmp/b.raucb 2>$tmp/e; [ \$? -eq 3 ] && grep -q 'not an oqlink appliance image' $tmp/e"
desc="upgrade in Japanese"; t bash -c "$O --lang ja upgrade $tmp/b.raucb 2>$tmp/e; [ \$? -eq 3 ] && grep -q 'アプライアンスのイメージではありません' $tmp/e"
desc="upgrade takes one bundle"; t bash -c "$O --lang en upgrade $tmp/b.raucb $tmp/b.raucb 2>/dev/null; [ \$? -eq 2 ]"
desc="upgrade --no-reboot is an option of the table"; t bash -c "$O --lang en help upgrade | grep -q -- '--no-reboot'"
desc="factory-reset takes no operand: exit 2"; t bash -c "$O --lang en factory-reset now 2>$tmp/e; [ \$? -eq 2 ] && grep -q \"unexpected argument 'now'\" $tmp/e"
desc="factory-reset off the image: exit 3 before asking, erases nothing"; t bash -c "echo reset | $O --lang en factory-reset 2>$tmp/e; [ \$? -eq 3 ] && grep -q 'not an oqlink appliance image' $tmp/e && ! grep -q 'Type reset' $tmp/e"
desc="factory-reset --yes off the image: exit 3"; t bash -c "$O --lang en factory-reset --yes 2>/dev/null; [ \$? -eq 3 ]"
exit $failed
