#!/bin/bash
# The setup screen, driven by tmux: from nothing to a site.conf that
# `oqlink config check` accepts, with inline messages that are the config
# check's own, and secrets that never show and land in 0600 files.
. "$(dirname "$0")/tmux.lib"
C=$T/etc/site.conf
mkdir -p "$T/usb"; echo "not a real CA" > "$T/usb/central-ca.pem"

start 80 24 --lang ja --config "$C" tui --refresh 0
t "without a config the TUI opens on the setup screen" has "設定 1/7: 施設"
shot wizard-1-empty

# a facility code of 9 digits: the message must be the config check's own
printf '[site]\nfacility_code = 131234567\n' > "$T/bad.conf"
want=$($O --lang ja config check "$T/bad.conf" 2>&1 | grep facility_code | head -1 | sed 's/^[^ ]*: //' | cut -c1-30)
# the field that receives the text is named, and Enter moves to the next
k Enter
t "typing: the bottom line names the field that receives the text" has "入力先: 医療機関コード"
t "typing: the row being typed into is marked" bash -c "tmux -L $SOCK capture-pane -p -t ui | grep -q '^> 医療機関コード'"
k Escape
fill 131234567
t "Enter accepts and selects the next field, not typing" bash -c "! tmux -L $SOCK capture-pane -p -t ui | grep -q '入力先:'"
k Up
marked() { cap | grep -q "^! $1"; }
t "a bad facility code is marked on its row" marked 医療機関コード
inline_msg() { [ -n "$want" ] && has "$want"; }
t "the inline message is the one 'oqlink config check' prints" inline_msg
shot wizard-2-inline-error
k Enter; k C-u; lit 1312345678; k Enter
fill さくら内科クリニック
fill 例示メディカルシステム株式会社
fill "山田 太郎"
fill "佐藤 花子"
t "the facility page has no problem left" hasnt "! "
shot wizard-3-facility

k n
t "page 2 is the line" has "設定 2/7"
k Down Down
fill 198.51.100.2/24
fill 198.51.100.1
shot wizard-4-line

k n
fill 203.0.113.1
fill CN=clinic-1312345678.example
fill CN=vpngw.carrier.example
k Right
t "choosing PSK shows the key field" has "事前共有鍵 (PSK)"
k Down Down
k Enter; lit "TopSecret-PSK-42"
t "the PSK is not echoed while typed" hasnt "TopSecret"
shot wizard-5-psk-typing
k Enter
t "the PSK is asked for again" has "もう一度入力"
lit "TopSecret-PSK-43"; k Enter
t "two different entries are refused" has "2 回の入力が一致しません"
t "and nothing is kept" has "[未入力: Enter で入力]"
k Enter; lit "TopSecret-PSK-42"; k Enter; lit "TopSecret-PSK-42"; k Enter
t "typed twice alike, it is kept" has "[入力済み"
t "the PSK is not shown after it was typed" hasnt "TopSecret"
shot wizard-6-carrier

k n
k Down
fill 192.168.10.1/24
fill 192.168.10.0/24
k Down
# the terminal's segment is [terminal] segment's default (lan): choose separate
t "the terminal segment starts at the config's default" has "< lan > LAN と同じ"
k Right
t "Right chooses the separate segment" has "< separate >"
k Down Down
fill 192.168.20.1/24
fill 192.168.20.10
fill "tcp/443, tcp/3389"
shot wizard-7-lan

k n
fill 192.0.2.0/24
fill 192.0.2.53
fill 192.0.2.123
fill 192.0.2.80:8080
shot wizard-8-central

k n
k Down Down Down Down
fill hweb.oqs-st.onshikaku.org
k Down
fill "$T/usb/central-ca.pem"
k Down Down Down
k Enter; lit "p12-Password"; k Enter; lit "p12-Password"; k Enter
shot wizard-9-probes

k n
t "the review page finds no problem" has "OK 問題はありません"
t "the review page names the file and how to change it" has "書き込み先: $C  (f で変更)"
# choose another file, write there, then come back to the first
k f; k C-u; lit "$T/etc/other.conf"; k Enter
t "f changes the file to write" has "書き込み先: $T/etc/other.conf"
k w
t "w writes the file chosen" wait_for "保存しました" 30
other_ok() { $O --lang en config check "$T/etc/other.conf" >/dev/null && [ ! -e "$C" ]; }
t "the chosen file passes config check, the first is not written" other_ok
k f; k C-u; lit "$C"; k Enter
k w
wait_for "保存しました" 30
shot wizard-10-saved
t "saving says so" has "OK 保存しました"
checks() { $O --lang en config check "$C" >/dev/null; }
t "oqlink config check accepts the written file" checks
t "the PSK file is mode 0600 and holds what was typed" \
	bash -c "[ \$(stat -c %a '$T/etc/ike.psk') = 600 ] && [ \"\$(cat '$T/etc/ike.psk')\" = TopSecret-PSK-42 ]"
t "the PKCS#12 password file is mode 0600" bash -c "[ \$(stat -c %a '$T/etc/terminal.p12.pass') = 600 ]"
t "site.conf holds no secret" bash -c "! grep -q -e TopSecret -e p12-Password '$C'"
cp "$C" "$ART/wizard-site.conf"

k q
wait_for "EXIT=0" 50
t "q quits with exit 0 once saved" has "EXIT=0"

# open again: the dashboard, with the config valid
start 80 24 --lang ja --config "$C" tui --refresh 0
t "with a valid config the TUI opens on the dashboard" has "設定: OK"
shot dashboard-ja
done_tests
