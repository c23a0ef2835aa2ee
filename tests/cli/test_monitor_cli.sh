#!/bin/bash
# oqlink monitor and oqlink history probes without a lab: a bad config is
# refused with file:line:col diagnostics (exit 2), argument errors, an empty
# history, and the systemd unit checked by systemd-analyze verify. The lean
# keeper (oqlink-monitor beside oqlink) says the same as oqlink monitor and
# links none of the heavy libraries.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
K=${OQLINK_MONITOR:-$(dirname "$O")/oqlink-monitor}
echo "1..12"
CONF=tests/data/config/valid/ipvpn.conf
sed -e "s|/var/lib/oqlink|$tmp/state|; s|/run/oqlink|$tmp/run|" "$CONF" > "$tmp/site.conf"
grep -q '^\[paths\]' "$tmp/site.conf" || printf '\n[paths]\nstate_dir = %s/state\nrun_dir = %s/run\nreport_dir = %s/state/reports\n' "$tmp" "$tmp" "$tmp" >> "$tmp/site.conf"

if [ "$(id -u)" -eq 0 ]; then
	desc="monitor refuses a missing config (exit 2)"
	$O --lang en --config "$tmp/missing.conf" monitor >/dev/null 2>"$tmp/e"
	t [ $? -eq 2 ]
	desc="monitor refuses an invalid config with file:line:col and exit 2, and starts nothing"
	cp tests/data/config/invalid/monitor-bad.conf "$tmp/bad.conf"
	$O --lang en --config "$tmp/bad.conf" monitor >"$tmp/o" 2>"$tmp/e"
	rc=$?
	refused_bad() {
		[ "$1" -eq 2 ] && grep -q "bad.conf:51:18: metrics listen only on the management LAN" "$tmp/e" &&
			! grep -q 'keeper has started' "$tmp/o"
	}
	t refused_bad $rc
	desc="oqlink-monitor run alone gives the same diagnostics and exit 2"
	$K --lang en --config "$tmp/bad.conf" >"$tmp/o2" 2>"$tmp/e2"
	rc=$?
	same_refusal() { [ "$1" -eq 2 ] && cmp -s "$tmp/e" "$tmp/e2" && ! grep -q 'keeper has started' "$tmp/o2"; }
	t same_refusal $rc
	desc="an unknown option of oqlink-monitor or of monitor --child is a usage error (exit 2)"
	$K --lang en --config "$tmp/site.conf" --bogus >/dev/null 2>"$tmp/e"
	rc1=$?
	$O --lang en --config "$tmp/site.conf" monitor --child bogus >/dev/null 2>"$tmp/e3"
	rc2=$?
	usage_errors() {
		[ "$1" -eq 2 ] && [ "$2" -eq 2 ] && grep -q "'monitor' has no option '--bogus'" "$tmp/e" &&
			grep -q -- "--child takes one of restore, confirm, probes: 'bogus'" "$tmp/e3"
	}
	t usage_errors $rc1 $rc2
	desc="a damaged history is moved aside at start, said, and a new one begins"
	mkdir -p "$tmp/state"
	for _ in $(seq 300); do printf 'not a database '; done > "$tmp/state/monitor.db"
	$K --lang en --config "$tmp/site.conf" --no-restore >"$tmp/o4" 2>&1 &
	kp=$!
	for _ in $(seq 200); do grep -q 'keeper has started' "$tmp/o4" && break; sleep 0.1; done
	kill "$kp"; wait "$kp" 2>/dev/null
	moved_aside() {
		grep -q "history $tmp/state/monitor.db was damaged: moved to $tmp/state/monitor.db.broken-" "$tmp/o4" &&
			[ -n "$(ls "$tmp"/state/monitor.db.broken-* 2>/dev/null)" ] &&
			head -c 16 "$tmp/state/monitor.db" | grep -q '^SQLite format 3'
	}
	t moved_aside || sed 's/^/# /' "$tmp/o4" | head -5
	rm -rf "$tmp/state"	# the history the tests below expect is new
else
	for _ in 1 2 3 4 5; do skip "monitor needs root"; done
fi
desc="oqlink-monitor links none of the heavy libraries"
t bash -c "ldd $K | grep -q libsqlite3 && ! ldd $K | grep -E -q 'libssl|libcrypto|libnftables|libpcap|libncurses|libnl-|libcares|libseccomp|libblkid|libmount'"
desc="monitor --child probes --certs on a config without certificates is an empty list"
if [ "$(id -u)" -eq 0 ]; then
	t bash -c "$O --config $tmp/site.conf monitor --child probes --certs | python3 -c 'import json,sys; d = json.load(sys.stdin); assert d[\"certs\"] == [] and \"results\" not in d'"
else
	skip "monitor needs root"
fi
desc="history probes rejects a bad --since (exit 2)"
$O --lang en --config "$tmp/site.conf" history probes --since soon >/dev/null 2>"$tmp/e"
t [ $? -eq 2 ] && grep -q -- "--since takes a length" "$tmp/e"
desc="history probes on a new history says there is nothing"
t bash -c "$O --lang en --config $tmp/site.conf history probes | grep -q 'no probe results in this period'"
desc="history probes --json is one document with an empty list"
t bash -c "$O --config $tmp/site.conf --json history probes | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"results\"] == []'"
desc="help monitor shows its usage"
t bash -c "$O --lang en help monitor | grep -q 'usage: oqlink monitor \[--db PATH\] \[--no-restore\]'"
if command -v systemd-analyze >/dev/null; then
	desc="systemd-analyze verify accepts oqlink-monitor.service"
	case "$O" in /*) bin=$O ;; *) bin=$PWD/$O ;; esac
	sed "s|/usr/sbin/oqlink|$bin|" monitor/oqlink-monitor.service > "$tmp/oqlink-monitor.service"
	t systemd-analyze verify --man=no "$tmp/oqlink-monitor.service"
else
	skip "systemd-analyze is not installed (package systemd)"
fi
exit $failed
