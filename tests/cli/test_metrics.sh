#!/bin/bash
# The metrics exposition and the alert rules, checked by Prometheus's own
# promtool: every snapshot of tests/unit/test_metrics.c passes `promtool check
# metrics`; monitor/oqlink-alerts.yml passes `promtool check rules` and its
# `promtool test rules` cases (alerts that fire and ones that must not), and
# the same cases fail against rules with a threshold or a duration changed.
set -u
cd "$(dirname "$0")/../.." || exit 1
T=build/asan/tests/test_metrics
RULES=monitor/oqlink-alerts.yml
CASES=tests/data/metrics/oqlink-alerts-test.yml
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..11"
if ! command -v promtool >/dev/null || [ ! -x $T ]; then
	for i in $(seq 11); do echo "not ok $i - promtool (Debian prometheus) and $T (make unit-bins) are needed"; done
	exit 1
fi

for s in up down connecting hostile; do
	desc="the '$s' snapshot passes promtool check metrics"
	t bash -c "$T --render $s > $tmp/$s.txt && [ -s $tmp/$s.txt ] && promtool check metrics < $tmp/$s.txt"
done
desc="promtool check metrics refuses an unescaped quote (the check can fail)"
t bash -c "sed 's/filepath=\"\\/etc/filepath=\"\"\\/etc/' $tmp/up.txt > $tmp/bad.txt; ! cmp -s $tmp/up.txt $tmp/bad.txt && ! promtool check metrics < $tmp/bad.txt 2>/dev/null"
desc="an unknown snapshot name exits 2"
t bash -c "$T --render nope 2>/dev/null; [ \$? -eq 2 ]"

desc="promtool check rules accepts $RULES"
t promtool check rules "$RULES"
desc="promtool test rules passes its cases"
t bash -c "promtool test rules $CASES > $tmp/test.out 2>&1 || { cat $tmp/test.out >&2; false; }"

# The same cases against a changed copy of the rules must fail.
mutant() {
	mkdir -p "$tmp/m/monitor" "$tmp/m/tests/data/metrics"
	"$@" < "$RULES" > "$tmp/m/$RULES"
	cp "$CASES" "$tmp/m/$CASES"
	! cmp -s "$RULES" "$tmp/m/$RULES" && ! promtool test rules "$tmp/m/$CASES" >/dev/null 2>&1
}
desc="the cases fail when the tunnel waits 1m instead of 5m"
t mutant awk '/alert: OqlinkTunnelDown/ { f = 1 } f && /for: 5m/ { sub(/5m/, "1m"); f = 0 } 1'
desc="the cases fail when the 30-day warning says 60 days"
t mutant sed 's/< 30 \* 86400/< 60 * 86400/'
desc="the cases fail when WARN counts as a failing probe"
t mutant sed 's/oqlink_probe_verdict{job="oqlink"} >= 3/oqlink_probe_verdict{job="oqlink"} >= 2/'
exit $failed
