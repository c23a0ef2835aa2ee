#!/bin/bash
# Configure the lab's appliance the way a field engineer does: `oqlink apply`
# of the lab's site.conf in the appliance namespace, then, on an IPsec line,
# wait (bounded) until the tunnel is established. Uses OQL_LAB, OQL_LAB_OUT
# and OQLINK. Exits non-zero when apply fails or the tunnel does not come up.
set -u
ap=${OQL_LAB:-oql}-appliance
conf=${OQL_LAB_OUT:-lab/out}/site.conf
o() { ip netns exec "$ap" "${OQLINK:-./oqlink}" --config "$conf" "$@"; }
o apply >/dev/null || exit 1
grep -q '^type = ipsec' "$conf" || exit 0
for _ in $(seq 75); do
	o --json ipsec status 2>/dev/null | grep -q '"ESTABLISHED"' && exit 0
	sleep 0.2
done
# not up by itself (start_action = trap or none): ask for it
o ipsec up --quiet --timeout 15 >/dev/null 2>&1
