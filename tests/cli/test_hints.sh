#!/bin/bash
# What the command line says when the config cannot be used: no config yet
# (the wizard makes one), a file that only root may read (a permission
# problem, not a config error).
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
case "$O" in /*) ;; *) O=$PWD/$O ;; esac
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
echo "1..5"

desc="no config file: the hint names the wizard, exit 2"
t bash -c "$O --lang en --config $tmp/none.conf probe 2>$tmp/e; [ \$? -eq 2 ] && grep -qF \"'oqlink --config $tmp/none.conf' on a terminal opens the setup wizard\" $tmp/e"
desc="no config file (ja): the hint names the wizard"
t bash -c "$O --lang ja --config $tmp/none.conf status 2>$tmp/e; grep -qF 'ウィザード' $tmp/e && ! grep -qF '設定に誤りがあります' $tmp/e"

# a config whose certificate only root may read
{ cat tests/data/config/valid/ipvpn.conf
  printf '\n[probe.tls.hweb]\nhost = hweb.example\nca = %s/ca.crt\nclient_p12 = %s/t.p12\npassword_file = %s/t.p12.pass\n' "$tmp" "$tmp" "$tmp"
} > "$tmp/site.conf"
echo x > "$tmp/t.p12"; echo pw > "$tmp/t.p12.pass"; echo ca > "$tmp/ca.crt"
chmod 644 "$tmp/site.conf" "$tmp/ca.crt"
chmod 600 "$tmp/t.p12" "$tmp/t.p12.pass"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	nobody() { ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	desc="not root, p12 unreadable: a permission problem that needs root, exit 3"
	t bash -c "$(declare -f nobody); nobody $O --lang en --config $tmp/site.conf probe 2>$tmp/e; [ \$? -eq 3 ] && grep -qF 'a permission problem' $tmp/e && grep -qF 'oqlink needs root' $tmp/e && ! grep -qF 'config has errors' $tmp/e"
	desc="not root (ja): 権限 and root, not 設定に誤り"
	t bash -c "$(declare -f nobody); nobody $O --lang ja --config $tmp/site.conf probe 2>$tmp/e; grep -qF '権限の問題です' $tmp/e && grep -qF 'root で実行' $tmp/e && ! grep -qF '設定に誤りがあります' $tmp/e"
else
	n=$((n+1)); echo "ok $n # SKIP needs root to become another user"
	n=$((n+1)); echo "ok $n # SKIP needs root to become another user"
fi
desc="a plain config error still says config check"
printf '[site]\nbogus = 1\n' > "$tmp/bad.conf"
t bash -c "$O --lang en --config $tmp/bad.conf probe 2>$tmp/e; [ \$? -eq 2 ] && grep -qF \"see 'oqlink config check'\" $tmp/e"
exit $failed
