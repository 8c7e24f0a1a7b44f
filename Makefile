# CIRS — build, run, test. `make help` lists the targets.
CC      ?= cc
PKGS    := jansson sqlite3 libpq libsodium libmicrohttpd inih libcurl gmime-3.0 pangocairo
OPT     ?= -O2 -g
override CFLAGS += $(OPT) -std=c17 -D_DEFAULT_SOURCE -Wall -Wextra -Wformat=2 -Wshadow -Wno-format-nonliteral -MMD -MP
CPPFLAGS += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm -lpthread
B       ?= build

SRC      := $(wildcard src/common/*.c src/rules/*.c src/store/*.c src/audit/*.c src/model/*.c src/auth/*.c src/http/*.c src/api/*.c src/cli/*.c src/notify/*.c src/clock/*.c src/intake/*.c src/export/*.c src/pdf/*.c src/web/*.c)
LIB_OBJ  := $(patsubst %.c,$(B)/%.o,$(SRC)) $(B)/gen/embedded.o
MAIN_OBJ := $(B)/src/main.o
WEB      := $(sort $(wildcard web/*.html web/*.css web/*.svg web/js/*.js web/i18n/*.json))
EMBED    := $(sort $(wildcard rules/*.json)) $(sort $(wildcard data/*.json)) $(sort $(wildcard src/store/sql/*.sql)) $(sort $(wildcard src/store/sql/pg/*.sql)) src/api/openapi-schemas.json $(WEB)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
DB      ?= $(B)/demo.db

.PHONY: all deps run test unit blackbox clitest apitest apitest-pg openapi browsertest asan clean help
all: $(B)/cirs

help:
	@echo "make            build build/cirs"
	@echo "make run        install deps, build, create a demo database, serve http://127.0.0.1:8080"
	@echo "make test       install deps, build, run every test (unit, assess black-box, CLI, API on SQLite and on PostgreSQL, crash, OpenAPI lint, browser)"
	@echo "make apitest-pg the API suite on a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh)"
	@echo "make asan       unit, CLI and API tests under AddressSanitizer + UBSan (build-asan/)"
	@echo "make bench      the intake benchmark (docs/PERFORMANCE.md)"
	@echo "make bench-clocks  the deadline scheduler benchmark: 1 M pending deadlines, a 10 000 burst"
	@echo "make bench-ui   the web UI's inbox and statistics in Chromium with 100 000 incidents"
	@echo "make clean      remove build output"

deps:
	@scripts/install-deps.sh

$(B)/cirs: $(MAIN_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The test-clock binary: the same program, except that the modules that read the clock are compiled with
# CIRS_TEST_CLOCK (time_now_ms adds the offset in the file named by $$CIRS_TEST_CLOCK; the scheduler and the
# deliverer look at the clock often). Only the clocks tests use it; nothing installed is built this way.
TC_SRC := src/common/timeutil.c src/clock/sched.c src/notify/deliver.c
TC_OBJ := $(patsubst %.c,$(B)/testclock/%.o,$(TC_SRC))
$(B)/testclock/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -DCIRS_TEST_CLOCK -c -o $@ $<

$(B)/cirs-testclock: $(MAIN_OBJ) $(filter-out $(patsubst %.c,$(B)/%.o,$(TC_SRC)),$(LIB_OBJ)) $(TC_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 -Wall -Wextra -o $@ $<

# The web UI's text tables: every key in zh-CN and en, every key the sources use present (tools/i18n-check.c).
$(B)/tools/i18n-check: tools/i18n-check.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 -Wall -Wextra $(shell pkg-config --cflags jansson) -o $@ $< $(shell pkg-config --libs jansson)

$(B)/gen/i18n.ok: $(B)/tools/i18n-check $(WEB)
	@mkdir -p $(dir $@)
	$(B)/tools/i18n-check web/i18n/zh-CN.json web/i18n/en.json $(filter %.js %.html,$(WEB))
	@touch $@

$(B)/gen/embedded.c: $(B)/tools/embed $(EMBED) $(B)/gen/i18n.ok
	@mkdir -p $(dir $@)
	$(B)/tools/embed $@ $(EMBED)

$(B)/gen/embedded.o: $(B)/gen/embedded.c
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/tests/test_%: tests/unit/test_%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

run: deps $(B)/cirs
	@scripts/demo.sh $(B)/cirs $(DB)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

blackbox: $(B)/cirs
	@tests/assess/run.sh $(B)/cirs

clitest: $(B)/cirs
	@CIRS_BIN=$(abspath $(B)/cirs) /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/cli

apitest: $(B)/cirs $(B)/cirs-testclock
	@CIRS_BIN=$(abspath $(B)/cirs) CIRS_TESTCLOCK_BIN=$(abspath $(B)/cirs-testclock) /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api

# The same API suite on PostgreSQL: a throwaway cluster on 127.0.0.1 in a temporary directory (initdb as the
# `postgres` user when run as root), one fresh database per server of the suite, stopped and removed afterwards.
apitest-pg: $(B)/cirs $(B)/cirs-testclock
	@out=$$(scripts/pg-test-cluster.sh start) || exit 1; dir=$$(echo "$$out" | sed -n 1p); url=$$(echo "$$out" | sed -n 2p); \
	  echo "apitest-pg: PostgreSQL test cluster $$url ($$dir)"; \
	  CIRS_TEST_PG=$$url CIRS_BIN=$(abspath $(B)/cirs) CIRS_TESTCLOCK_BIN=$(abspath $(B)/cirs-testclock) \
	    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api; rc=$$?; \
	  scripts/pg-test-cluster.sh stop "$$dir"; exit $$rc

openapi: $(B)/cirs
	@tests/openapi/check.sh $(B)/cirs

# The web UI in a real browser: playwright-core (npm, tests/browser/package-lock.json) drives Debian's /usr/bin/chromium
# against cirs serve (node --test); screenshots in build/screenshots/ui-*.png.
browsertest: $(B)/cirs
	@tests/browser/run.sh $(B)/cirs

test: deps
	@$(MAKE) --no-print-directory all unit blackbox clitest apitest apitest-pg openapi browsertest
	@echo "make test: all passed"

asan:
	@scripts/install-deps.sh >/dev/null
	@LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) $(MAKE) --no-print-directory B=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all unit clitest apitest apitest-pg

clean:
	rm -rf build build-asan

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# make bench: the durable-intake benchmark (docs/PERFORMANCE.md): installs wrk and what it needs if missing, builds,
# then bench/intake/run.sh runs cirs serve next to the ceiling program bench/baseline.c (under 2 minutes).
.PHONY: bench
bench: deps
	@bench/install-deps.sh
	@$(MAKE) --no-print-directory all
	@B=$(B) bench/intake/run.sh $(B)/cirs

# make bench-clocks: the deadline scheduler with 1 000 000 pending obligations and a burst of 10 000 due in one
# second (docs/PERFORMANCE.md): start-up time, memory, firing lag (about a minute).
.PHONY: bench-clocks
bench-clocks: deps
	@bench/install-deps.sh
	@$(MAKE) --no-print-directory all
	@B=$(B) bench/clocks/run.sh $(B)/cirs

# make bench-ui: the web UI's inbox and statistics pages in Chromium with 100 000 incidents (bench/ui/run.sh, under a minute).
.PHONY: bench-ui
bench-ui: deps
	@$(MAKE) --no-print-directory all
	@bench/ui/run.sh $(B)/cirs
