#!/bin/bash
# How oqlink treats files, through the real binary: secret files that are
# links, someone else's or readable by others are refused with the reason;
# reports get 0640 whatever the umask and are never written through a
# symbolic link planted at their name.
set -u
cd "$(dirname "$0")/../.."
O=${OQLINK:-build/asan/oqlink}
D=tests/data/report
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..8"

mkdir -p "$tmp/etc"
printf 'psk-%s\n' "$$" > "$tmp/etc/ike.psk.real"
cp "$tmp/etc/ike.psk.real" "$tmp/etc/ike.psk"
chmod 600 "$tmp/etc/ike.psk.real" "$tmp/etc/ike.psk"
for f in ca.crt central-ca.crt terminal.p12 terminal.p12.pass; do echo "not a secret" > "$tmp/etc/$f"; done
chmod 600 "$tmp/etc/terminal.p12.pass"
sed -e "s|/etc/oqlink/|$tmp/etc/|g" -e "s|^auth = pubkey|auth = psk|" \
    -e "s|^private_key = .*|psk_file = $tmp/etc/ike.psk|" -e "/^certificate = /d" \
    -e "\|^ca = .*/etc/ca.crt\$|d" -e "s|^state_dir = .*|state_dir = $tmp/state|" \
    $D/site-ipsec.conf > "$tmp/site.conf"
check() { "$O" --lang en config check "$tmp/site.conf" > "$tmp/out" 2>&1; }
# The config check fails (exit 2) and says $1.
refused() { check; [ $? -eq 2 ] && grep -qF -- "$1" "$tmp/out"; }

desc="a 0600 secret file owned by root is accepted"
t check
desc="a secret file that is a symbolic link is refused, naming it"
rm "$tmp/etc/ike.psk"; ln -s "$tmp/etc/ike.psk.real" "$tmp/etc/ike.psk"
t refused "$tmp/etc/ike.psk is a symbolic link"
rm "$tmp/etc/ike.psk"; cp -p "$tmp/etc/ike.psk.real" "$tmp/etc/ike.psk"
desc="a secret file readable by others is refused with its mode"
chmod 644 "$tmp/etc/ike.psk"
t refused "$tmp/etc/ike.psk has mode 0644"
chmod 600 "$tmp/etc/ike.psk"
desc="a secret file owned by another user is refused"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$tmp/etc/ike.psk"
	t refused "$tmp/etc/ike.psk is not owned by root"
	chown root "$tmp/etc/ike.psk"
else
	skip "needs root to chown"
fi

FIXED=(--time 2026-04-01T11:00:00+09:00 --hostname oqlink-test)
# As root, in a PID namespace of its own, so that its pid is small and a
# name built from it can be planted in advance.
pidns=(); [ "$(id -u)" -eq 0 ] && unshare -pf true 2>/dev/null && pidns=(unshare -pf)
render() { (umask 000; "${pidns[@]}" "$O" --lang en --config "$tmp/site.conf" report render \
	$D/run-ipsec-pass.json --report-dir "$1" "${FIXED[@]}" > "$tmp/render.out" 2> "$tmp/render.err"); }
desc="under umask 000 every report file is 0640"
render "$tmp/r1"
t bash -c "[ \"\$(stat -c %a '$tmp'/r1/* | sort -u)\" = 640 ]"

# A symbolic link planted at the report's name and at the name a writer
# once used for its temporary file: neither is written through.
stem=$(basename "$(ls "$tmp"/r1/*.json)" .json)
mkdir -p "$tmp/r2"
echo keep > "$tmp/victim"; chmod 600 "$tmp/victim"
ln -s "$tmp/victim" "$tmp/r2/$stem.html"
for p in $(seq 1 20); do
	for e in html json txt; do ln -s "$tmp/victim" "$tmp/r2/$stem.$e.tmp.$p"; done
done
render "$tmp/r2"; rc=$?
desc="a report name that is a symbolic link is refused and named (exit 1 or more)"
t bash -c "[ $rc -ne 0 ] && grep -q '$stem.html is a symbolic link' '$tmp/render.err'"
desc="the file the links point to is untouched (content and mode)"
t bash -c "[ \"\$(cat '$tmp/victim')\" = keep ] && [ \$(stat -c %a '$tmp/victim') = 600 ]"
desc="the other forms are still written (not through a link)"
t bash -c "[ -s '$tmp/r2/$stem.json' ] && [ ! -L '$tmp/r2/$stem.json' ] && [ -s '$tmp/r2/$stem.txt' ]"
exit $failed
