#!/bin/bash
# tools/layer-check, the build's check that layers point down only: clean on
# the tree and its libraries, and failing, with the culprit named, on a
# scratch copy with one include or one object against the direction.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/tap.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "1..9"
CK=tools/layer-check

desc="the tree's includes point down only"
t $CK -s .
desc="the built module libraries point down only"
if ls build/asan/lib*.a >/dev/null 2>&1; then
	t $CK -l build/asan
else
	skip "no build/asan/lib*.a"
fi

# A scratch source tree: core including tui's header fails, naming both.
mkdir -p "$tmp/src/core" "$tmp/src/tui" "$tmp/src/probes"
printf '#include "core/util.h"\n' > "$tmp/src/tui/a.c"
printf '#include <stdio.h>\n#include "core/util.h"\n' > "$tmp/src/core/a.c"
desc="an include downward passes"
t $CK -s "$tmp/src"
printf '#include <stdio.h>\n#include "tui/tui.h"\n' > "$tmp/src/core/b.c"
$CK -s "$tmp/src" > "$tmp/out" 2>&1; rc=$?
desc="core including tui/ fails naming the file, line and both modules"
t bash -c "[ $rc -eq 1 ] && grep -q '^core/b.c:2: core includes \"tui/...\"' '$tmp/out'"
rm "$tmp/src/core/b.c"
printf '#include "provision/provision.h"\n' > "$tmp/src/probes/a.c"
desc="probes including provision/ (the same layer) fails"
t bash -c "! $CK -s '$tmp/src' >/dev/null"

# Scratch libraries of tiny objects: a tui object using a core function is
# fine; a core object using a tui function is not.
lib() {	# lib MODULE NAME 'C source'
	mkdir -p "$tmp/lib"
	printf '%s\n' "$3" > "$tmp/$2.c" &&
	cc -c -o "$tmp/$2.o" "$tmp/$2.c" &&
	ar rcs "$tmp/lib/lib$1.a" "$tmp/$2.o"
}
lib core site 'int core_fn(void); int core_fn(void) { return 1; }'
lib tui dash 'int core_fn(void); int tui_fn(void); int tui_fn(void) { return core_fn(); }'
desc="an object using a lower module passes"
t $CK -l "$tmp/lib"
rm "$tmp/lib/libcore.a"
lib core site 'int tui_fn(void); int core_fn(void); int core_fn(void) { return tui_fn(); }'
$CK -l "$tmp/lib" > "$tmp/out" 2>&1; rc=$?
desc="a core object using a tui symbol fails naming object, symbol, modules"
t bash -c "[ $rc -eq 1 ] && grep -q '^libcore.a(site.o): core uses tui_fn, defined in tui: core may use only none' '$tmp/out'"
desc="a symbol of the system (none of ours defines it) is not counted"
rm "$tmp/lib/libcore.a"
lib core site 'int puts(const char *); int core_fn(void); int core_fn(void) { return puts("x"); }'
t $CK -l "$tmp/lib"
desc="no arguments is a usage error"
$CK > /dev/null 2>&1
t test $? -eq 2
exit $failed
