#!/bin/bash
# Benchmark: oqlink against swanctl on the same charon, in the same run.
#   1. config to CHILD_SA installed: `oqlink ipsec up` (credentials and
#      connection loaded over VICI, then initiated) against
#      `swanctl --load-all --file` of the exported swanctl.conf plus
#      `swanctl --initiate`;
#   2. a status query: `oqlink --json ipsec status` against
#      `swanctl --list-sas --raw`.
# Each is a median of several rounds; the ratio is oqlink / swanctl (below 1
# means oqlink is faster). Uses two charons in namespaces (tests/lab/lib).
set -u
cd "$(dirname "$0")/.."
OQLINK=${OQLINK:-$PWD/oqlink}
ROUNDS=${ROUNDS:-7}
QUERIES=${QUERIES:-30}
if [ "$(id -u)" != 0 ] || [ ! -x /usr/lib/ipsec/charon ] || [ ! -x "$OQLINK" ]; then
	echo "skipped: needs root, charon and $OQLINK"
	exit 0
fi
. tests/lab/lib/charon_pair.sh
pair_setup oqb$$ || exit 1
sed -i 's|^start_action = .*|start_action = none|' "$D/site.conf"
pair_start

oq() { ip netns exec "$A" "$OQLINK" --config "$D/site.conf" "$@"; }
sw() { swanctl "$@" --uri "unix://$D/a.vici"; }
. bench/lib.sh

oq ipsec export-swanctl > "$D/export.conf"
mkdir -p "$D/private" && cp "$D/pki/ike.key" "$D/private/"
echo 'connections {}' > "$D/empty.conf"

: > "$D/up.oq"; : > "$D/up.sw"
for i in $(seq "$ROUNDS"); do
	t0=$(ms)
	oq ipsec up -q >/dev/null 2>&1 || { echo "oqlink ipsec up failed"; exit 1; }
	echo $(( $(ms) - t0 )) >> "$D/up.oq"
	oq ipsec down --unload -q >/dev/null 2>&1
	sw --load-creds --clear >/dev/null 2>&1

	t0=$(ms)
	sw --load-all --file "$D/export.conf" >/dev/null 2>&1
	sw --initiate --child oqlink --timeout 20 >/dev/null 2>&1 || { echo "swanctl --initiate failed"; exit 1; }
	echo $(( $(ms) - t0 )) >> "$D/up.sw"
	sw --terminate --ike oqlink --timeout 10 >/dev/null 2>&1
	sw --load-conns --file "$D/empty.conf" >/dev/null 2>&1
	sw --load-creds --clear --file "$D/empty.conf" >/dev/null 2>&1
done

oq ipsec up -q >/dev/null 2>&1
: > "$D/st.oq"; : > "$D/st.sw"
for i in $(seq "$QUERIES"); do
	t0=$(ms); oq --json ipsec status >/dev/null; echo $(( $(ms) - t0 )) >> "$D/st.oq"
	t0=$(ms); sw --list-sas --raw >/dev/null; echo $(( $(ms) - t0 )) >> "$D/st.sw"
done

report() {
	local what=$1 a b
	a=$(median < "$2"); b=$(median < "$3")
	[ "$b" -gt 0 ] || b=1
	printf '%-34s oqlink %5d ms  swanctl %5d ms  ratio %s\n' "$what" "$a" "$b" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
}
report "config to CHILD_SA installed" "$D/up.oq" "$D/up.sw"
report "status query" "$D/st.oq" "$D/st.sw"
