#!/bin/bash
# Several TLS targets on the setup screen: + adds a [probe.tls.NAME], ]
# steps between them, - removes one; what is saved is what the config
# check accepts.
. "$(dirname "$0")/tmux.lib"
E=$T/etc
C=$E/site.conf
mkdir -p "$E"
echo "a CA" > "$E/ca.crt"
# the wizard fills password_file with its default (beside site.conf)
echo "x" > "$E/terminal.p12.pass"; chmod 600 "$E/terminal.p12.pass"
{ sed 's/^\[terminal\]$/&\nsegment = lan/' tests/data/config/valid/ipvpn.conf
  printf '\n[probe.tls.hweb]\nhost = hweb.example\nca = %s\n' "$E/ca.crt"
} > "$C"
sections() { grep -c '^\[probe\.tls\.' "$C"; }
valid() { "$O" --config "$C" config check >/dev/null 2>&1; }

start 100 32 --lang ja --config "$C" tui --refresh 0 --screen setup
for _ in 1 2 3 4 5; do k n; done
t "the probes page names the TLS target and how to add one" has "TLS 確認先 [probe.tls.hweb] (ほかに 0 件)  +:追加"
k +
t "+ asks for the new target's name" has "新しい TLS 確認先の名前:"
lit "bad name!"; k Enter
t "a name that cannot be a section is refused" has "名前 'bad name!' は使えません"
k +; lit "oqs"; k Enter
t "the new target is in the fields, the first kept aside" has "TLS 確認先 [probe.tls.oqs] (ほかに 1 件)"
shot tls-1-added
k Down Down Down Down
fill oqs.example
k Down
fill "$E/ca.crt"
shot tls-1b-filled
k w
t "saved" wait_for "保存しました" 30
shot tls-1c-saved
t "site.conf has both targets" test "$(sections)" -eq 2
both() { grep -qx '\[probe.tls.hweb\]' "$C" && grep -qx '\[probe.tls.oqs\]' "$C" && grep -qx 'host = oqs.example' "$C"; }
t "each with its own host" both
t "and passes config check" valid
k ']'
t "] steps to the other target" has "TLS 確認先 [probe.tls.hweb] (ほかに 1 件)"
t "with its own values" has "hweb.example"
k -
t "- removes it, the other comes back" has "TLS 確認先 [probe.tls.oqs] (ほかに 0 件)"
k w
t "saved again" wait_for "保存しました" 30
t "site.conf has the one target left" bash -c "[ \$(grep -c '^\[probe\.tls\.' '$C') -eq 1 ] && grep -qx '\[probe.tls.oqs\]' '$C'"
t "and passes config check" valid
shot tls-2-removed
k q
wait_for "EXIT=0" 50
t "q quits" has "EXIT=0"
done_tests
