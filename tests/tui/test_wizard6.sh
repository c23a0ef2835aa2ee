#!/bin/bash
# The setup screen for an IP-VPN line with IPv6 IPoE, driven by tmux: the
# line page asks for the WAN's IPv6, the carrier page offers [ipvpn] ipv6
# and, once IPoE is chosen, how the prefix comes (ra/pd), and marks IPoE
# while the terminal is still on the LAN; the file written with IPoE and
# DHCPv6-PD passes `oqlink config check` with those values.
. "$(dirname "$0")/tmux.lib"
C=$T/etc/site.conf

start 100 30 --lang en --config "$C" tui --refresh 0
t "without a config the TUI opens on the setup screen" wait_for "Setup 1/7" 50
fill 1312345678
fill "Sakura Clinic"
fill "Example Medical Systems"
fill "Taro Yamada"
fill "Hanako Sato"

k n
t "page 2 is the line" has "Setup 2/7"
k Right
t "Right chooses the IP-VPN line" has "< ipvpn >"
t "the line page asks for the WAN's IPv6" has "WAN IPv6"
k Down Down
fill 198.51.100.2/24
k Down
fill ra
t "the WAN takes IPv6 from router advertisements" matches "WAN IPv6 +ra$"
shot wizard6-1-line

k n
t "page 3 is the carrier's settings" has "Setup 3/7"
t "the carrier page offers IPv6 on the closed network" matches "^  IPv6 +< none >"
t "without IPoE, how the prefix comes is not asked" hasnt "How the IPv6 prefix comes"
fill 198.51.100.1
fill CAF12345678
k Right
t "Right chooses IPoE" matches "^[ !] IPv6 +< ipoe > IPoE"
# the terminal is still on the LAN: the field says what IPoE needs, with
# the sentence of oqlink config check, until the LAN page separates it
needs_separate() { matches "^! IPv6 +< ipoe >" && has "needs [terminal] segment = separate"; }
t "IPoE with the terminal on the LAN is marked: it needs a separate segment" needs_separate
t "with IPoE, how the prefix comes is asked" matches "How the IPv6 prefix comes +< ra >"
k Down; k Right
t "Right chooses DHCPv6-PD" matches "How the IPv6 prefix comes +< pd >"
shot wizard6-2-carrier

k n
k Down
fill 192.168.10.1/24
fill 192.168.10.0/24
k Down; k Right
t "the terminal gets a separate segment, which IPoE needs" has "< separate >"
k Down Down
fill 192.168.20.1/24
fill 192.168.20.10
fill "tcp/443"
shot wizard6-3-lan

k n
fill "192.0.2.0/24, 2001:db8:c0::/48"
fill 192.0.2.53
shot wizard6-4-central

k n
k Down Down Down
t "with a customer ID, the probe page asks for the line-auth page" has "Line-auth page"
fill https://www.lineauth.mnw/
shot wizard6-5-probes

k n
t "the review page finds no problem" wait_for "OK no problems" 30
k w
t "w saves" wait_for "OK saved" 30
shot wizard6-6-saved
checks() { $O --lang en config check "$C" >/dev/null; }
t "oqlink config check accepts the written file" checks
# the values as the config reads them back, each in its section
shown() {
	$O --lang en config show "$C" 2>/dev/null |
		awk -v s="[$1]" -v kv="$2 = $3" '/^\[/ { in_s = $0 == s } in_s && $0 == kv { f = 1 } END { exit !f }'
}
t "config show reads [ipvpn] ipv6 = ipoe" shown ipvpn ipv6 ipoe
t "config show reads [ipvpn] ipv6_prefix = pd" shown ipvpn ipv6_prefix pd
t "config show reads [uplink] address6 = ra" shown uplink address6 ra
t "config show reads [terminal] segment = separate" shown terminal segment separate
cp "$C" "$ART/wizard6-site.conf"

k q
wait_for "EXIT=0" 50
t "q quits with exit 0 once saved" has "EXIT=0"
done_tests
