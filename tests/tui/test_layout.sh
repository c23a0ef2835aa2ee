#!/bin/bash
# The frame, driven by tmux: every screen fits 80x24 in both languages with
# nothing cut, resizing redraws, the language toggles at any time and
# Japanese lines up by display width, ? shows the keys, and an idle screen
# sends only the cells that change (a serial console at 115200 baud).
. "$(dirname "$0")/tmux.lib"
C=$T/none/site.conf

# No "~" (the cut marker of str_pad), the title row with its six tabs and
# the language switch, the status row ending with the clock.
whole() {
	local s; s=$(cap)
	! grep -q '~' <<<"$s" || return 1
	[ "$(sed -n 1p <<<"$s" | grep -o ':[^ :]*' | wc -l)" -ge 7 ] || return 1
	sed -n "$1p" <<<"$s" | grep -qE '[0-9]{2}:[0-9]{2}:[0-9]{2} *$'
}

start 80 24 --lang ja --config "$C" tui --refresh 0 --screen dashboard
for lang in ja en; do
	for s in d s c p i r; do
		k "$s"; sleep 0.2
		shot "screen-$lang-$s"
		t "80x24 $lang screen $s: nothing cut, title and status whole" whole 24
	done
	k l
done
# back in Japanese after two toggles
t "l switches the language back and forth" has "d:状態"

# alignment by display width: every value of the setup page starts at the
# same column, in both languages; the dashboard's columns likewise
same_cols() {	# rows A..B that have a value all start it at the same columns
	local out; out=$(columns "$1" "$2" | awk 'NF >= 2 { $1 = ""; print; n++ } END { if (n < 3) print "too few" }' | sort -u)
	[ "$(wc -l <<<"$out")" -eq 1 ] && [ "$out" != "too few" ]
}
k s; k n; k n; k n
# a separate segment, so that its interface's value shows as well
k Down Down Down Down; k Right; k Up Up Up Up
t "setup (ja): every value of the LAN page starts at the same column" same_cols 5 12
shot align-setup-ja
k l
t "setup (en): every value of the LAN page starts at the same column" same_cols 5 12
shot align-setup-en
k l
k d
t "dashboard (ja): the ten layers line up" same_cols 7 16
shot align-dashboard-ja
dj=$(columns 7 7)
k l
t "dashboard (en): the ten layers line up" same_cols 7 16
de=$(columns 7 7)
same_both() { [ "$dj" = "$de" ]; }
t "dashboard columns are the same in Japanese and English" same_both
k l

# the language toggles while typing, and the text typed stays
k s; k Enter; lit "abc"; k F9
t "F9 switches the language while a field is being typed" has "Setup 4/7"
lit "def"
t "what was typed stays across the switch" has "abcdef"
k Escape; k F9

# ? shows the keys of this screen; any key closes it
k '?'
keys_listed() { has "キー一覧: 設定" && has "F8 / w"; }
t "? on the setup screen lists its keys" keys_listed
shot help-setup-ja
k x
t "any key closes the key list" hasnt "キー一覧: 設定"
k F2; k F1
t "F1 shows the keys too, here the dashboard's" has "Enter / e"
k Escape

# resizing
TM resize-window -t ui -x 120 -y 40; sleep 0.5
t "at 120x40 the status row is the last" whole 40
shot resize-120x40
TM resize-window -t ui -x 60 -y 20; sleep 0.5
t "below 80x24 it says the terminal is too small" has "端末が小さすぎます"
TM resize-window -t ui -x 80 -y 24; sleep 0.5
t "back at 80x24 everything is whole again" whole 24
shot resize-80x24

# serial console: three idle seconds on the dashboard send little, and
# never clear the screen
k d; sleep 0.5
TM pipe-pane -t ui -o "cat > $T/idle.bytes"; sleep 3.2
TM pipe-pane -t ui
bytes=$(stat -c %s "$T/idle.bytes")
few() { [ "$bytes" -gt 0 ] && [ "$bytes" -lt 400 ]; }
t "idle dashboard: only the ticking clock is sent ($bytes bytes in 3 s)" few
noclear() { ! grep -qP '\e\[(2)?J' "$T/idle.bytes"; }
t "idle dashboard: no full-screen clear" noclear
# plain oqlink on a terminal is the TUI
start 80 24 --lang ja --config "$C"
t "plain oqlink on a terminal opens the screens" has "設定 1/7"
k q
wait_for "EXIT=0" 50
t "and q leaves it with exit 0" has "EXIT=0"
done_tests
