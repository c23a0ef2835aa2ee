#!/bin/bash
# Benchmark: what `oqlink monitor` costs the appliance, against charon's own
# cost in the same run. The lab's appliance with the tunnel up, the keeper at
# its default intervals (light probes every 60 s, heavy every 900 s) serving
# its metrics on the LAN address, scraped every 15 s (Prometheus's default)
# from the reception PC; over BENCH_SECONDS (default 600):
#   memory: the keeper's (oqlink-monitor, the process that stays) VmRSS at
#           the end and VmHWM (the peak), from /proc/PID/status, and for a
#           reading of what is the process's own: RssAnon and Pss (shared
#           library pages divided among their users); apart from it, the
#           peak VmHWM of its short-lived children (the full oqlink running
#           a round of probes), sampled every 0.2 s while they run;
#   CPU:    utime + stime + cutime + cstime (/proc/PID/stat: the keeper and
#           every child it has reaped, the probes' own children included)
#           over the wall time, in % of a core; the children's share is
#           printed too.
# The baseline is the appliance's charon (the IKE daemon the keeper looks
# after, with kernel-libipsec carrying the tunnel) measured over the same
# window; the ratio is oqlink / charon. Goals: RSS <= 8 MB, CPU <= 0.5 %.
# Exits 1 when a goal is missed.
set -u
cd "$(dirname "$0")/.."
OQLINK=${OQLINK:-$PWD/oqlink}
BENCH_SECONDS=${BENCH_SECONDS:-600}
SCRAPE_EVERY=15
GOAL_RSS_KB=$((8 * 1024))
GOAL_CPU=0.5
if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/ipsec/charon ] || [ ! -x "$OQLINK" ]; then
	echo "skipped: needs root, charon and $OQLINK"
	exit 0
fi

export OQL_LAB=omb$$
tmp=$(mktemp -d)
export OQL_LAB_OUT=$tmp/lab
A=$OQL_LAB-appliance
CONF=$OQL_LAB_OUT/site.conf
mon= scraper=
cleanup() {
	[ -n "$scraper" ] && kill "$scraper" 2>/dev/null
	[ -n "$mon" ] && kill "$mon" 2>/dev/null && wait "$mon" 2>/dev/null
	lab/lab down >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

. tests/lib/wait.sh
hz=$(getconf CLK_TCK)
# utime + stime of PID in clock ticks (fields 14 and 15, after the comm).
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# cutime + cstime: its reaped children's (fields 16 and 17).
cticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $14 + $15 }'; }
# The direct children of PID, one a line.
children() { pgrep -P "$1"; }
# A field of /proc/PID/status in kB.
kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
ns() { date +%s%N; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

lab/lab up >"$tmp/up.log" 2>&1 || { echo "the lab did not come up"; tail -5 "$tmp/up.log"; exit 1; }
cat >> "$CONF" <<EOF

[monitor]
metrics_listen = 192.168.10.1:9101
EOF
OQLINK=$OQLINK tests/lab/lib/apply.sh || { echo "apply did not bring the tunnel up"; exit 1; }
charon=$(cat "$OQL_LAB_OUT/run/child.charon-appliance")
[ "$(cat "/proc/$charon/comm" 2>/dev/null)" = charon ] || { echo "no charon to compare with"; exit 1; }

ip netns exec "$A" "$OQLINK" --lang en --config "$CONF" monitor >"$tmp/mon.log" 2>&1 </dev/null &
mon=$!
t0=$(ns); m0=0; c0=$(ticks "$charon")
wait_for 20 grep -q 'the keeper has started' "$tmp/mon.log" || { echo "the monitor did not start"; cat "$tmp/mon.log"; exit 1; }
[ "$(cat "/proc/$mon/comm")" = oqlink-monitor ] || { echo "the keeper is not oqlink-monitor: $(cat "/proc/$mon/comm")"; exit 1; }
ip netns exec "$OQL_LAB-clinic" bash -c "while :; do curl -fsS --max-time 5 -o /dev/null http://192.168.10.1:9101/metrics; sleep $SCRAPE_EVERY; done" &
scraper=$!

# the window, from the monitor's start
end=$((SECONDS + BENCH_SECONDS))
ch_hwm=0 rounds=0 seen=" "
while [ $SECONDS -lt $end ]; do
	kill -0 "$mon" 2>/dev/null || { echo "the monitor ended"; cat "$tmp/mon.log"; exit 1; }
	for c in $(children "$mon"); do
		h=$(kb "$c" VmHWM 2>/dev/null)
		[ -n "$h" ] && [ "$h" -gt "$ch_hwm" ] && ch_hwm=$h
		case "$seen" in *" $c "*) ;; *) seen="$seen$c "; rounds=$((rounds + 1)) ;; esac
	done
	sleep 0.2
done
t1=$(ns); m1=$(ticks "$mon"); mc1=$(cticks "$mon"); c1=$(ticks "$charon")
m_rss=$(kb "$mon" VmRSS); m_hwm=$(kb "$mon" VmHWM); m_anon=$(kb "$mon" RssAnon)
c_rss=$(kb "$charon" VmRSS); c_hwm=$(kb "$charon" VmHWM); c_anon=$(kb "$charon" RssAnon)
pss() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup"; }
m_pss=$(pss "$mon"); c_pss=$(pss "$charon")
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
pct() { awk -v t="$1" -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.3f", 100 * t / hz / s }'; }
m_cpu=$(pct $((m1 + mc1 - m0))); c_cpu=$(pct $((c1 - c0)))
m_own=$(pct $((m1 - m0))); m_kids=$(pct "$mc1")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
rss_ok=$([ "$m_hwm" -le "$GOAL_RSS_KB" ] && echo met || echo MISSED)
cpu_ok=$(awk -v c="$m_cpu" -v g="$GOAL_CPU" 'BEGIN { print (c <= g) ? "met" : "MISSED" }')

echo "monitor: ${secs} s at the default intervals, metrics scraped every ${SCRAPE_EVERY} s; baseline: charon (same run)"
printf '%-22s oqlink %5s MB (peak %5s)  charon %5s MB (peak %5s)  ratio %s  goal <= 8 MB (peak): %s\n' \
	"memory VmRSS" "$(mb "$m_rss")" "$(mb "$m_hwm")" "$(mb "$c_rss")" "$(mb "$c_hwm")" \
	"$(ratio "$m_hwm" "$c_hwm")" "$rss_ok"
printf '%-22s oqlink %5s MB (Pss  %5s)  charon %5s MB (Pss  %5s)  ratio %s\n' \
	"memory RssAnon" "$(mb "$m_anon")" "$(mb "$m_pss")" "$(mb "$c_anon")" "$(mb "$c_pss")" \
	"$(ratio "$m_pss" "$c_pss")"
printf '%-22s oqlink %5s MB, the largest of %d children\n' \
	"memory child VmHWM" "$(mb "$ch_hwm")" "$rounds"
printf '%-22s oqlink %7s %%          charon %7s %%          ratio %s  goal <= %s %%: %s\n' \
	"CPU with children" "$m_cpu" "$c_cpu" "$(ratio "$m_cpu" "$c_cpu")" "$GOAL_CPU" "$cpu_ok"
printf '%-22s keeper %7s %%, children %7s %%\n' "CPU split" "$m_own" "$m_kids"
[ "$rss_ok" = met ] && [ "$cpu_ok" = met ]
