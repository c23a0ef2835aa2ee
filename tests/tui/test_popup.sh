#!/bin/bash
# The ? key list over every screen: closing it brings back exactly what was
# there, wide characters whole where the box's edge cut them (a terminal
# erases both halves of a wide character when one is overwritten).
. "$(dirname "$0")/tmux.lib"
C=$T/none/site.conf

# The screen without its last row (the ticking clock).
body() { cap | sed '$d'; }

start 80 24 --lang ja --config "$C" tui --refresh 0 --screen dashboard
for lang in ja en; do
	for s in d s c p i r; do
		k "$s"; sleep 0.2
		body > "$T/before"
		k '?'
		wait_for "$([ $lang = ja ] && echo 'キー一覧' || echo 'Keys:')" 30
		k Escape; sleep 0.2
		body > "$T/after"
		same() { diff "$T/before" "$T/after" > "$ART/popup-$lang-$s.diff"; }
		t "$lang screen $s: ? then Esc leaves the screen as it was" same
	done
	k l
done
done_tests
