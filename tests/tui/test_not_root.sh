#!/bin/bash
# Not root, with a certificate only root may read: the dashboard says it is
# a permission problem and that oqlink needs root, not that the config is
# wrong.
. "$(dirname "$0")/tmux.lib"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	echo "1..0 # SKIP needs root to become another user"
	exit 0
fi
chmod 755 "$T"
E=$T/etc
mkdir -p "$E"; chmod 755 "$E"
{ sed 's/^\[terminal\]$/&\nsegment = lan/' tests/data/config/valid/ipvpn.conf
  printf '\n[probe.tls.hweb]\nhost = hweb.example\nca = %s\nclient_p12 = %s\npassword_file = %s\n' \
	"$E/ca.crt" "$E/t.p12" "$E/t.p12.pass"
} > "$E/site.conf"
echo ca > "$E/ca.crt"; echo x > "$E/t.p12"; echo pw > "$E/t.p12.pass"
chmod 644 "$E/site.conf" "$E/ca.crt"; chmod 600 "$E/t.p12" "$E/t.p12.pass"

O="env ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=65534 --regid=65534 --clear-groups $O" \
	start 100 30 --lang ja --config "$E/site.conf" tui --refresh 0 --screen dashboard
k Enter
t "the dashboard says it is a permission problem and needs root" wait_for "権限の問題です" 30
t "and not that the config is wrong" hasnt "設定に誤りがあるため"
shot not-root-dashboard
k q
done_tests
