# dunnd: plain Makefile, dependencies through pkg-config.
#   make               build dunnd and dunnctl into build/
#   make check         unit + integration tests (SANITIZE=1 for ASan+UBSan)
#   make demo          walk a multilingual demo book through 30 days
#   make install       PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share/dunnd
# PREFIX=/usr is the distribution layout: configuration in /etc.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),,$(PREFIX))/etc/dunnd
LIBDIR  ?= $(PREFIX)/lib/dunnd
UNITDIR ?= $(PREFIX)/lib/systemd/system
MANDIR  ?= $(PREFIX)/share/man
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(PREFIX)/share/pkgconfig
CC      ?= cc
VERSION := 0.1.0

PKGS     = libcurl libesmtp-1.0 libevent libevent_pthreads libpq jansson icu-i18n icu-uc libcrypto libxcrypt
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS   = $(shell pkg-config --libs check)

WARN    = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
          -Wformat=2 -Wundef -Wvla
CFLAGS  ?= -O2 -g
# PIC everywhere: channel modules are shared objects linking lib/.
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DDUNN_VERSION=\"$(VERSION)\" -DDUNN_DATADIR=\"$(DATADIR)\" -DDUNN_MODULEDIR=\"$(LIBDIR)/modules\" $(WARN) \
          -fPIC -Ilib -Iengine -Idaemon -Ihttp -Ictl -Ichannels -Itests $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -ldl -lm

ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
B = build-san
else
B = build
endif
# make fuzz: lib/ and the harnesses built by clang for libFuzzer.
ifeq ($(FUZZ),1)
CC := clang
ALL_CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
          -fno-sanitize-recover=undefined -DDUNN_SRCDIR=\"$(CURDIR)\"
# clang also flags vprintf-style wrappers that gcc's -Wformat=2 accepts.
ALL_CFLAGS += -Wno-format-nonliteral
B = build-fuzz
endif

# One folder a part (README, "Layout"); each folder's sources are one
# wildcard, so a new file joins its part by being put there.
#   lib/      shared parsers and I/O (config, pgq, httpq, money, tz, ...)
#   engine/   policy, templates, cases, tasks, payments, reports: no loop
#   daemon/   dunnd's loop: poller, dispatcher, channels host, notices
#   http/     dunnd's HTTP server: webhooks, customer page, API, console
#   ctl/      dunnctl
#   channels/ the channel modules, one shared object each
LIB_SRC   = $(wildcard lib/*.c) $(wildcard engine/*.c)
LIB_OBJ   = $(LIB_SRC:%.c=$(B)/%.o)
MOD_SRC   = $(wildcard channels/*.c)
MOD_SO    = $(MOD_SRC:channels/%.c=$(B)/modules/%.so)
DAEMON_SRC = $(wildcard daemon/*.c)
HTTP_SRC  = $(wildcard http/*.c)
DUNND_SRC = $(DAEMON_SRC) $(HTTP_SRC)
DUNND_OBJ = $(DUNND_SRC:%.c=$(B)/%.o) $(B)/http/api_doc.o
CTL_SRC   = $(wildcard ctl/*.c)
CTL_OBJ   = $(CTL_SRC:%.c=$(B)/%.o)
UNIT_SRC  = $(wildcard tests/unit/check_*.c)
UNIT_BIN  = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
INTEG_SRC = $(wildcard tests/integration/check_*.c)
INTEG_BIN = $(INTEG_SRC:tests/integration/%.c=$(B)/tests/%)
TEST_HELPER = $(B)/tests/testutil.o $(B)/tests/tudaemon.o $(B)/tests/tuhttp.o

all: $(B)/dunnd $(B)/dunnctl $(MOD_SO)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

# The OpenAPI document, api/openapi.json, served by dunnd from its own
# binary: the file in the tree is the one the tests lint and validate.
$(B)/http/api_doc.c: api/openapi.json
	@mkdir -p $(dir $@)
	@{ echo '/* Generated from api/openapi.json by make. */'; \
	  echo '#include <stddef.h>'; \
	  echo 'extern const char api_openapi[];'; \
	  echo 'extern const size_t api_openapi_len;'; \
	  echo 'const char api_openapi[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '0};'; \
	  echo 'const size_t api_openapi_len = sizeof api_openapi - 1;'; } >$@
$(B)/http/api_doc.o: $(B)/http/api_doc.c
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The install paths compiled into lib/config.c: rebuild it when they change.
PATHS_STAMP = $(B)/paths.stamp
$(PATHS_STAMP): FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR) $(LIBDIR)/modules' | cmp -s - $@ || echo '$(DATADIR) $(LIBDIR)/modules' >$@
$(B)/lib/config.o $(B)/lib/config_opts.o: $(PATHS_STAMP)

$(B)/libdunn.a: $(LIB_OBJ)
	ar rcs $@ $^

# The binaries carry all of lib/ (whole archive) and export it (-rdynamic):
# modules link against nothing of ours and resolve lib/ from the binary
# that loads them, so there is one copy of every function and of the log
# state. -rdynamic also exports the connect() interposer to libesmtp.
WHOLE_LIB = -Wl,--whole-archive $(B)/libdunn.a -Wl,--no-whole-archive

$(B)/dunnd: $(DUNND_OBJ) $(B)/libdunn.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(DUNND_OBJ) $(WHOLE_LIB) $(LDLIBS_ALL)

$(B)/modules/%.so: $(B)/channels/%.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -o $@ $^ $(LDLIBS_ALL)

$(B)/dunnctl: $(CTL_OBJ) $(B)/libdunn.a
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(CTL_OBJ) $(WHOLE_LIB) $(LDLIBS_ALL)

$(B)/tests/testutil.o: tests/testutil.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libdunn.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_ALL)

$(B)/tests/%: $(B)/tests/integration/%.o $(TEST_HELPER) $(B)/libdunn.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS_ALL)

tests: all $(UNIT_BIN) $(INTEG_BIN)

deps:
	@scripts/deps.sh

# make check ONLY="check_page check_ctl" runs just those suites.
check: deps
	@$(MAKE) --no-print-directory tests
	@B=$(B) DUNN_ONLY="$(ONLY)" tests/run.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): "make fuzz" runs each for
# FUZZ_SECONDS, two at a time; make check runs each briefly.
FUZZ_SECONDS ?= 300
FUZZ_SRC = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)

build-fuzz/fuzz_%: build-fuzz/tests/fuzz/fuzz_%.o build-fuzz/libdunn.a
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS_ALL)

fuzz-build:
	@$(MAKE) --no-print-directory FUZZ=1 $(FUZZ_BIN)

fuzz: deps fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

# The integration suites with dunnd and dunnctl under valgrind (tu_sh and
# tud_start prefix $$DUNN_WRAP); a leak or invalid access fails the test.
VALGRIND = valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--suppressions=$(CURDIR)/tests/valgrind.supp -q

valgrind: deps
	@$(MAKE) --no-print-directory tests
	@B=$(B) DUNN_WRAP="$(VALGRIND)" DUNN_SUITES="$${DUNN_SUITES:-integration}" DUNN_FUZZ=0 \
		CK_DEFAULT_TIMEOUT=600 tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) KEEP="$(KEEP)" scripts/demo.sh

# make bench: dunnd end to end over a million accounts beside the ceilings
# of PostgreSQL (pgbench), Postfix's smtp-sink and the SMS gateway (wrk);
# see BENCHMARKS.md. Optimised build in build-bench. BENCH_ACCOUNTS,
# BENCH_DUE and BENCH_ROUNDS make a quicker run.
bench: deps
	@$(MAKE) --no-print-directory B=build-bench CFLAGS="-O2 -g" all
	@B=build-bench bench/bench.sh
.PHONY: bench

MAN8 = man/dunnd.8 man/dunnctl.8
MAN5 = man/dunnd.json.5
SUBST = sed -e 's,@SBINDIR@,$(SBINDIR),g' -e 's,@BINDIR@,$(BINDIR),g' \
	-e 's,@SYSCONFDIR@,$(SYSCONFDIR),g' -e 's,@DATADIR@,$(DATADIR),g' \
	-e 's,@MODULEDIR@,$(LIBDIR)/modules,g' -e 's,@PREFIX@,$(PREFIX),g' \
	-e 's,@INCLUDEDIR@,$(INCLUDEDIR),g' -e 's,@VERSION@,$(VERSION),g'

# What a channel module built outside the tree needs: channel.h and
# dunnd-channel.pc (pkg-config --cflags dunnd-channel).
install-dev:
	install -d $(DESTDIR)$(INCLUDEDIR)/dunnd $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0644 channels/channel.h $(DESTDIR)$(INCLUDEDIR)/dunnd/
	$(SUBST) channels/dunnd-channel.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/dunnd-channel.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/dunnd-channel.pc

# The example configuration is installed once: an existing one is kept.
install: all install-dev
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/migrations \
		$(DESTDIR)$(DATADIR)/presets $(DESTDIR)$(LIBDIR)/modules $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/dunnd $(DESTDIR)$(SBINDIR)/dunnd
	install -m 0755 $(B)/dunnctl $(DESTDIR)$(BINDIR)/dunnctl
	install -m 0644 $(MOD_SO) $(DESTDIR)$(LIBDIR)/modules/
	install -m 0644 migrations/*.sql $(DESTDIR)$(DATADIR)/migrations/
	install -m 0644 config/presets/*.json $(DESTDIR)$(DATADIR)/presets/
	[ -e $(DESTDIR)$(SYSCONFDIR)/dunnd.json ] || cp -R config/. $(DESTDIR)$(SYSCONFDIR)/
	install -d -m 0700 $(DESTDIR)$(SYSCONFDIR)/credentials
	$(SUBST) systemd/dunnd.service >$(DESTDIR)$(UNITDIR)/dunnd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/dunnd.service
	install -m 0644 systemd/dunnd.sysusers.conf $(DESTDIR)$(SYSUSERSDIR)/dunnd.conf
	$(SUBST) systemd/dunnd.tmpfiles.conf >$(DESTDIR)$(TMPFILESDIR)/dunnd.conf
	chmod 0644 $(DESTDIR)$(TMPFILESDIR)/dunnd.conf
	for m in $(MAN8); do $(SUBST) $$m >$(DESTDIR)$(MANDIR)/man8/$${m#man/}; done
	for m in $(MAN5); do $(SUBST) $$m >$(DESTDIR)$(MANDIR)/man5/$${m#man/}; done
	chmod 0644 $(DESTDIR)$(MANDIR)/man8/*.8 $(DESTDIR)$(MANDIR)/man5/dunnd.json.5

# The option tables of man/dunnd.json.5 and README.md, from
# dunnd --dump-options (tests/options.sh checks them in make check).
options-doc: all
	python3 scripts/options-doc.py $(B)/dunnd $(B)/modules

clean:
	rm -rf build build-san build-fuzz

# Every C file git knows, against .clang-format; .ci/run fails on a diff.
FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRC)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_SRC) && echo "format: $(words $(FORMAT_SRC)) files match .clang-format"

.PHONY: all tests deps check demo install install-dev options-doc clean format format-check fuzz fuzz-build valgrind FORCE
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
