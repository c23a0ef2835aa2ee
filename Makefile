# oqlink: plain GNU Makefile. Quiet unless V=1.
#   make           build ./oqlink and ./oqlink-monitor, the lean keeper that
#                  links only its own modules (strict warnings, hardening)
#   make asan      build build/asan/oqlink and oqlink-monitor with ASan+UBSan
#   make check     run every test suite (unit, lab, tui, fuzz smoke) under ASan+UBSan,
#                  then the unit and CLI suites again under valgrind (memcheck)
#   make layer-check  fail when a module reaches one at its layer or above
#                  (by include or by symbol; tools/layer-check)
#   make demo      bring up the lab, apply, run the operational test, write a report
#   make fuzz      run the fuzz targets for FUZZ_SECONDS each (default 10; the
#                  hardening run is make fuzz FUZZ_SECONDS=600)
#   make install   DESTDIR=... PREFIX=/usr
#   make bench     run the benchmarks under bench/ (each a ratio against a baseline)
#   make deps      install build, test and runtime dependencies (Debian 12)
#   make image     build the appliance disk image under images/out (root; see docs/image.md)
#   make check-image  boot the image under qemu against the lab (root)
#   make check-image-ab  the same with the A/B upgrade and factory reset suites
#   make mutate    plant each bug of tests/mutants.txt and count those the suites catch
#                  (MUTANTS=id1,id2 for some; not part of make check: see docs/testing.md)

VERSION   := 0.1.0
PREFIX    ?= /usr
DESTDIR   ?=
SYSTEMDUNITDIR ?= /lib/systemd/system
CC        ?= cc
FUZZ_SECONDS ?= 10
ifeq ($(V),1)
Q :=
else
Q := @
endif

PKGS := inih json-c ncursesw libnl-3.0 libnl-route-3.0 libnftables openssl libpcap sqlite3 libcares libmicrohttpd \
        libseccomp libsystemd blkid mount
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lresolv
# The keeper (oqlink-monitor) runs for good: it links only these; the work
# that needs the others runs in short-lived children of the full oqlink.
KEEPER_PKGS := inih json-c sqlite3 libmicrohttpd libsystemd
KEEPER_LIBS = $(shell pkg-config --libs $(KEEPER_PKGS) 2>/dev/null) -lm -lresolv

WARN := -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings \
        -Wno-unused-parameter
ifeq ($(CI),true)
WARN += -Werror
endif
ifneq ($(WERROR),)
WARN += -Werror
endif
HARDEN  := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LD := -pie -Wl,-z,relro,-z,now
DEFS    := -D_GNU_SOURCE -DOQ_VERSION='"$(VERSION)"' -I.
# Where make install puts the two programs; each finds the other beside
# itself first (the build tree), then there.
DEFS    += -DOQ_SBINDIR='"$(PREFIX)/sbin"' -DOQ_PKGLIBDIR='"$(PREFIX)/lib/oqlink"'
CFLAGS_REL  := -O2 -g $(WARN) $(HARDEN) $(DEFS)
CFLAGS_ASAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined $(WARN) $(DEFS)

MODULES  := core ipsec provision probes report monitor tui cli
# The library modules from the top layer down: the order of the link.
LIB_MODULES := tui monitor report probes provision ipsec core
# cli/keeper_main.c is the entry point of oqlink-monitor, cli/main.c that of
# oqlink; cli/util.c (the command layer's shared helpers) and cli/options.c
# (the option parser) are in both.
KEEPER_MAIN := cli/keeper_main.c
KEEPER_CLI  := cli/keeper_main.c cli/util.c cli/options.c
KEEPER_MODULES := monitor probes provision ipsec core
SRCS     := $(filter-out $(KEEPER_MAIN),$(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_SRCS := $(filter-out cli/main.c,$(SRCS))
CLI_SRCS := $(wildcard cli/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

REL_OBJS  := $(SRCS:%.c=build/rel/%.o) $(KEEPER_MAIN:%.c=build/rel/%.o)
ASAN_OBJS := $(SRCS:%.c=build/asan/%.o) $(KEEPER_MAIN:%.c=build/asan/%.o)
# One static library per module (build/MODE/libMODULE.a); a program links
# the ones it needs in layer order and takes only the objects it uses.
REL_MODLIBS  := $(LIB_MODULES:%=build/rel/lib%.a)
ASAN_MODLIBS := $(LIB_MODULES:%=build/asan/lib%.a)
KEEPER_REL_LIBS  := $(KEEPER_MODULES:%=build/rel/lib%.a)
KEEPER_ASAN_LIBS := $(KEEPER_MODULES:%=build/asan/lib%.a)
OQLINK_CLI := $(filter-out $(KEEPER_MAIN),$(CLI_SRCS))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/asan/tests/%)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)

.PHONY: layer-check mutate image check-image check-image-ab deps-runtime deps-quiet all asan bench check demo deps fuzz install clean unit-bins vg-unit-bins fuzz-bins man-check doc-check
all: deps-quiet oqlink oqlink-monitor

build/rel/lib%.a:
	$(Q)rm -f $@ && ar rcs $@ $^
build/asan/lib%.a:
	$(Q)rm -f $@ && ar rcs $@ $^
$(foreach m,$(LIB_MODULES),$(eval build/rel/lib$(m).a: $(patsubst %.c,build/rel/%.o,$(wildcard $(m)/*.c))))
$(foreach m,$(LIB_MODULES),$(eval build/asan/lib$(m).a: $(patsubst %.c,build/asan/%.o,$(wildcard $(m)/*.c))))
# The command layer's objects in one archive too, for make layer-check only.
build/rel/libcli.a: $(CLI_SRCS:%.c=build/rel/%.o)

# Layers point down only: no object uses, and no file includes, a module of
# its own layer or above (the layers are written in tools/layer-check).
layer-check: $(REL_MODLIBS) build/rel/libcli.a
	$(Q)tools/layer-check -s . -l build/rel

oqlink: $(OQLINK_CLI:%.c=build/rel/%.o) $(REL_MODLIBS)
	@echo "  LD      $@"
	$(Q)$(CC) $(HARDEN_LD) -o $@ $^ $(PKG_LIBS)

# The keeper: its entry point and the command layer's helpers, then only
# the objects of its modules that it uses, and only its libraries (checked:
# an object that needs another library fails the link).
oqlink-monitor: $(KEEPER_CLI:%.c=build/rel/%.o) $(KEEPER_REL_LIBS)
	@echo "  LD      $@"
	$(Q)$(CC) $(HARDEN_LD) -Wl,--as-needed -o $@ $^ $(KEEPER_LIBS)

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS_REL) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

asan: deps-quiet build/asan/oqlink build/asan/oqlink-monitor
build/asan/oqlink: $(OQLINK_CLI:%.c=build/asan/%.o) $(ASAN_MODLIBS)
	@echo "  LD      $@ (asan)"
	$(Q)$(CC) -fsanitize=address,undefined -o $@ $^ $(PKG_LIBS)
build/asan/oqlink-monitor: $(KEEPER_CLI:%.c=build/asan/%.o) $(KEEPER_ASAN_LIBS)
	@echo "  LD      $@ (asan)"
	$(Q)$(CC) -fsanitize=address,undefined -Wl,--as-needed -o $@ $^ $(KEEPER_LIBS)

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (asan)"
	$(Q)$(CC) $(CFLAGS_ASAN) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

# A unit test links the library of the module it tests and those of the
# modules below it, with only their pkg-config libraries, so a test of core
# proves core stands alone. USES_m: the modules below m (the layers of
# tools/layer-check); PKGS_m: what m's own objects link against.
USES_core      :=
USES_ipsec     := core
USES_probes    := ipsec core
USES_provision := ipsec core
USES_report    := probes provision ipsec core
USES_monitor   := probes provision ipsec core
USES_tui       := monitor report probes provision ipsec core
USES_cli       := $(LIB_MODULES)
PKGS_core      := inih json-c
PKGS_ipsec     := json-c
PKGS_probes    := json-c libcares openssl libpcap libseccomp libnl-3.0 libnl-route-3.0
PKGS_provision := json-c libnftables sqlite3 libnl-3.0 libnl-route-3.0
PKGS_report    := json-c blkid mount openssl
PKGS_monitor   := json-c libmicrohttpd sqlite3 libsystemd
PKGS_tui       := json-c ncursesw
PKGS_cli       := json-c
# The modules each test (tests/unit/NAME.c) or helper (tests/tools/NAME.c)
# is about; core when not listed.
TOP_test_cert_inspect := probes provision
TOP_test_cli          := cli
TOP_test_ipsec        := ipsec
TOP_test_vici         := ipsec
TOP_test_metrics      := monitor
TOP_test_monitor      := monitor
TOP_test_nft          := provision
TOP_test_provision    := provision
TOP_test_state_diff   := provision
TOP_test_probe_result := probes
TOP_test_probes       := probes
TOP_test_probes6      := probes
TOP_test_report       := report
TOP_test_tui          := tui
TOP_mon_fill          := monitor
test_tops = $(or $(TOP_$(1)),core)
test_mods = $(sort $(call test_tops,$(1)) $(foreach m,$(call test_tops,$(1)),$(USES_$(m))))
# test_link MODE NAME: the command layer's objects when it is tested, then
# the module libraries in link order
test_link = $(if $(filter cli,$(call test_mods,$(2))),$(LIB_SRCS:cli/%.c=build/$(1)/cli/%.o)) \
            $(patsubst %,build/$(1)/lib%.a,$(filter $(call test_mods,$(2)),$(LIB_MODULES)))
test_libs = $(shell pkg-config --libs $(sort $(foreach m,$(call test_mods,$(1)),$(PKGS_$(m)))) 2>/dev/null) -lm -lresolv

# Helpers the shell suites run (tests/tools/NAME.c -> build/asan/tools/NAME).
TOOL_BINS := $(patsubst tests/tools/%.c,build/asan/tools/%,$(wildcard tests/tools/*.c))
# The unit binaries again without ASan, for the valgrind pass of make check.
VG_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/rel/tests/%)

define test_rules
build/asan/tests/$(1): tests/unit/$(1).c $(filter %.o %.a,$(call test_link,asan,$(1)))
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$< (unit)"
	$$(Q)$$(CC) $$(CFLAGS_ASAN) $$(PKG_CFLAGS) -o $$@ $$^ $$(call test_libs,$(1)) -lcmocka
build/rel/tests/$(1): tests/unit/$(1).c $(filter %.o %.a,$(call test_link,rel,$(1)))
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$< (unit, valgrind)"
	$$(Q)$$(CC) -O1 -g $$(WARN) $$(DEFS) $$(PKG_CFLAGS) -o $$@ $$^ $$(call test_libs,$(1)) -lcmocka
endef
define tool_rules
build/asan/tools/$(1): tests/tools/$(1).c $(filter %.o %.a,$(call test_link,asan,$(1)))
	@mkdir -p $$(dir $$@)
	@echo "  CC      $$< (tool)"
	$$(Q)$$(CC) $$(CFLAGS_ASAN) $$(PKG_CFLAGS) -o $$@ $$^ $$(call test_libs,$(1))
endef
$(foreach t,$(UNIT_SRCS:tests/unit/%.c=%),$(eval $(call test_rules,$(t))))
$(foreach t,$(TOOL_BINS:build/asan/tools/%=%),$(eval $(call tool_rules,$(t))))

unit-bins: $(UNIT_BINS) $(TOOL_BINS)
vg-unit-bins: $(VG_UNIT_BINS)

# libFuzzer targets: the library built again with clang and the fuzzer's instrumentation.
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
               -std=gnu11 $(DEFS)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=build/fuzz/obj/%.o)
build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (fuzz)"
	$(Q)clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -c -o $@ $<
build/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS)
	@echo "  LD      $@ (fuzz)"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $(PKG_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJS) $(PKG_LIBS)
# A target's dictionary, when it has one, is build/fuzz/dict/TARGET.dict;
# the site fuzzer's is printed from the key table by tests/fuzz/site_dict.c.
FUZZ_DICTS := build/fuzz/dict/fuzz_site.dict build/fuzz/dict/fuzz_nft.dict
build/fuzz/site_dict: tests/fuzz/site_dict.c $(FUZZ_LIB_OBJS)
	@echo "  LD      $@ (fuzz)"
	$(Q)clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJS) $(PKG_LIBS)
build/fuzz/dict/fuzz_site.dict: build/fuzz/site_dict
	@mkdir -p $(dir $@)
	$(Q)ASAN_OPTIONS=detect_leaks=0 $< > $@.tmp && mv $@.tmp $@
build/fuzz/dict/fuzz_nft.dict: build/fuzz/dict/fuzz_site.dict
	$(Q)cp $< $@
fuzz-bins: $(FUZZ_BINS) $(FUZZ_DICTS)

fuzz: deps-quiet fuzz-bins
	$(Q)for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  d=; [ -f build/fuzz/dict/$$n.dict ] && d=-dict=build/fuzz/dict/$$n.dict; \
	  $$f -max_total_time=$(FUZZ_SECONDS) $$d build/fuzz/corpus/$$n tests/fuzz/corpus/$$n || exit 1; done

check: deps-quiet oqlink oqlink-monitor build/asan/oqlink build/asan/oqlink-monitor unit-bins vg-unit-bins fuzz-bins man-check doc-check layer-check
	$(Q)FUZZ_BINS="$(FUZZ_BINS)" UNIT_BINS="$(UNIT_BINS)" VG_UNIT_BINS="$(VG_UNIT_BINS)" \
	  VALGRIND=1 tests/run

man-check: oqlink
	$(Q)./oqlink --lang en help --man | cmp -s - docs/oqlink.8 || \
	  { echo "docs/oqlink.8 is out of date: run ./oqlink --lang en help --man > docs/oqlink.8"; exit 1; }

# The key tables of docs/config.md are made from the site key table.
doc-check: oqlink
	$(Q)./oqlink --lang en config doc docs/config.md | cmp -s - docs/config.md || \
	  { echo "docs/config.md differs from keys[] in core/site.c, where its key tables come from:"; \
	    echo "edit the table, then run ./oqlink config doc docs/config.md > new && mv new docs/config.md"; exit 1; }

bench: deps-quiet oqlink oqlink-monitor
	$(Q)status=0; for b in bench/*.sh; do [ -x "$$b" ] || continue; echo "== $$b"; \
	  OQLINK=$$PWD/oqlink $$b || status=1; done; exit $$status

demo: deps-quiet oqlink
	$(Q)tools/demo

deps:
	$(Q)tools/deps
# the Debian packages of the libraries ./oqlink links (the image installs them)
deps-runtime: oqlink oqlink-monitor
	$(Q)images/runtime-deps ./oqlink ./oqlink-monitor

image: deps-quiet
	$(Q)VERSION=$(VERSION) images/build

check-image: deps-quiet build/asan/oqlink
	$(Q)VERSION=$(VERSION) OQL_CHECK_IMAGE=1 tests/run image/
check-image-ab: deps-quiet build/asan/oqlink
	$(Q)VERSION=$(VERSION) OQL_CHECK_IMAGE=1 OQL_IMAGE_AB=1 tests/run image/
deps-quiet:
	$(Q)tools/deps --quiet

mutate: deps-quiet
	$(Q)tools/mutate

install: oqlink oqlink-monitor
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/oqlink $(DESTDIR)$(PREFIX)/share/man/man8 \
	  $(DESTDIR)$(PREFIX)/share/doc/oqlink/examples $(DESTDIR)$(PREFIX)/share/oqlink \
	  $(DESTDIR)/etc/oqlink
	install -m 0755 oqlink $(DESTDIR)$(PREFIX)/sbin/oqlink
	install -m 0755 oqlink-monitor $(DESTDIR)$(PREFIX)/lib/oqlink/oqlink-monitor
	install -m 0644 docs/oqlink.8 $(DESTDIR)$(PREFIX)/share/man/man8/oqlink.8
	install -m 0644 examples/*.conf $(DESTDIR)$(PREFIX)/share/doc/oqlink/examples/
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/oqlink/
	install -m 0644 monitor/oqlink-alerts.yml $(DESTDIR)$(PREFIX)/share/oqlink/oqlink-alerts.yml
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/sbin/oqlink|$(PREFIX)/sbin/oqlink|' monitor/oqlink-monitor.service > \
	  $(DESTDIR)$(SYSTEMDUNITDIR)/oqlink-monitor.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/oqlink-monitor.service
	chmod 0750 $(DESTDIR)/etc/oqlink

clean:
	rm -rf build oqlink oqlink-monitor

.SECONDARY:

-include $(REL_OBJS:.o=.d) $(ASAN_OBJS:.o=.d)
