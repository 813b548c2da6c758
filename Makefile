# xTrader build.
#
# Two worlds in one Makefile:
#  - the PostgreSQL extension, built with PGXS (`make`, `make install`, `make installcheck`);
#  - the pure C core (src/engine, src/common) with its unit tests, sanitizer builds, fuzzers and
#    benchmarks, built with plain $(CC) into build/ and needing no PostgreSQL at all.
# The one command that runs every test is scripts/test (see README.md); it drives these targets.

EXTENSION    = xtrader
MODULE_big   = xtrader
PGFILEDESC   = "xtrader - price-time priority exchange engine inside PostgreSQL"

CORE_SRCS    = $(sort $(wildcard src/engine/*.c src/common/*.c))
PG_SRCS      = $(sort $(wildcard src/pg/*.c))
# the network worker links the REST/WS protocol core and its server
EXT_NET_SRCS = $(sort $(wildcard src/net/*.c))
# ... and the broker workers the publishers
EXT_BROKER_SRCS = $(filter-out src/brokers/consumer_main.c,$(sort $(wildcard src/brokers/*.c)))
OBJS         = $(PG_SRCS:.c=.o) $(CORE_SRCS:.c=.o) $(EXT_NET_SRCS:.c=.o) $(EXT_BROKER_SRCS:.c=.o)

DATA         = $(sort $(wildcard sql/xtrader--*.sql))

# pg_regress layout: scripts in test/sql, expected output in test/expected (PostgreSQL 15's
# pg_regress reads <inputdir>/expected), results written to build/regress (git-ignored).
# The scripts run in the engine's own database (xtrader.database, default "xtrader"), since
# trading functions work only there; each script creates and drops the extension itself.
REGRESS      = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --outputdir=build/regress --use-existing

PG_CPPFLAGS  = -I$(srcdir)/src
PG_CFLAGS    = -std=gnu11 -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
               -Wno-missing-field-initializers -Wno-declaration-after-statement
SHLIB_LINK   = -lcrypto -lhiredis -lrdkafka -lrabbitmq

PG_CONFIG   ?= pg_config
PGXS        := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# (after the include: Makefile.global sets its own default)
CONTRIB_TESTDB = xtrader

# PGXS does not track headers; a changed struct must rebuild every object that sees it, or the
# library links objects that disagree about a layout.
$(OBJS): $(wildcard src/*/*.h)

# PGXS's installcheck does not create the output folder.
installcheck: | build/regress
build/regress:
	mkdir -p $@

# ---- the pure C core ------------------------------------------------------------------------

CORE_CC      ?= cc
FUZZ_CC      ?= clang
CORE_WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
CORE_INC      = -Isrc -Itest/unit
UNIT_SUPPORT  = $(sort $(filter-out test/unit/test_%.c,$(wildcard test/unit/*.c)))
UNIT_NAMES    = $(sort $(basename $(notdir $(wildcard test/unit/test_*.c))))
# src/net: the REST/WS protocol core (pure C + OpenSSL's libcrypto for HMAC), tested like the core
NET_SRCS      = $(sort $(wildcard src/net/*.c))
CORE_LIBS     = -lcrypto -lm
CORE_HEADERS  = $(wildcard src/engine/*.h src/common/*.h src/net/*.h test/unit/*.h)
CORE_SRCS_ALL = $(CORE_SRCS) $(NET_SRCS)

# unit: optimised, invariants checked after every command
UNIT_CFLAGS   = $(CORE_WARN) -O2 -g -DXT_CHECK_INVARIANTS $(CORE_INC)
# asan: the same suites under AddressSanitizer + UndefinedBehaviorSanitizer
ASAN_CFLAGS   = $(CORE_WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all -DXT_CHECK_INVARIANTS $(CORE_INC)
BENCH_CFLAGS  = $(CORE_WARN) -O3 -DNDEBUG $(CORE_INC)

build/unit/%: test/unit/%.c $(CORE_SRCS_ALL) $(UNIT_SUPPORT) $(CORE_HEADERS)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(UNIT_CFLAGS) -o $@ $< $(CORE_SRCS_ALL) $(UNIT_SUPPORT) $(CORE_LIBS)

build/asan/%: test/unit/%.c $(CORE_SRCS_ALL) $(UNIT_SUPPORT) $(CORE_HEADERS)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(ASAN_CFLAGS) -o $@ $< $(CORE_SRCS_ALL) $(UNIT_SUPPORT) $(CORE_LIBS)

.PHONY: unit-build asan-build unit asan
unit-build: $(addprefix build/unit/,$(UNIT_NAMES))
asan-build: $(addprefix build/asan/,$(UNIT_NAMES))

# Run every suite; each prints "N passed, N failed" (scripts/test sums them).
unit: unit-build
	@rc=0; for t in $(UNIT_NAMES); do echo "== unit $$t"; build/unit/$$t || rc=1; done; exit $$rc
asan: asan-build
	@rc=0; for t in $(UNIT_NAMES); do echo "== asan $$t"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  build/asan/$$t || rc=1; done; exit $$rc

# ---- fuzzers (libFuzzer; clang) ----------------------------------------------------------------
FUZZ_NAMES    = $(sort $(basename $(notdir $(wildcard test/fuzz/fuzz_*.c))))
FUZZ_CFLAGS   = -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all $(CORE_INC)
FUZZ_SECONDS ?= 10

build/fuzz/%: test/fuzz/%.c $(CORE_SRCS_ALL) $(CORE_HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRCS_ALL) $(CORE_LIBS)

.PHONY: fuzz-build fuzz
fuzz-build: $(addprefix build/fuzz/,$(FUZZ_NAMES))
# A short fixed-time run of each target from its seed corpus (a test); FUZZ_SECONDS=600 for a
# real campaign (docs/development.md).
fuzz: fuzz-build
	@rc=0; for f in $(FUZZ_NAMES); do \
	  mkdir -p build/fuzz/corpus/$$f; \
	  echo "== fuzz $$f ($(FUZZ_SECONDS)s)"; \
	  if build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 \
	       build/fuzz/corpus/$$f test/fuzz/corpus/$$f > build/fuzz/$$f.log 2>&1; \
	  then echo "1 passed, 0 failed"; \
	  else tail -n 40 build/fuzz/$$f.log; echo "0 passed, 1 failed"; rc=1; fi; \
	done; exit $$rc

# ---- broker publishers (src/brokers): tests against the real servers of scripts/brokers -----------
BROKER_SRCS   = $(filter-out src/brokers/consumer_main.c,$(sort $(wildcard src/brokers/*.c)))
BROKER_NAMES  = $(sort $(basename $(notdir $(wildcard test/brokers/test_*.c))))
BROKER_LIBS   = -lhiredis -lrdkafka -lrabbitmq -lcrypto -lm
BROKER_CFLAGS = $(CORE_WARN) -O2 -g -D_GNU_SOURCE $(CORE_INC)

# (a pattern rule's prerequisites must all be in the rule with the recipe: a second recipe-less
# pattern rule for the same target is never consulted, so a changed test helper header rebuilt
# nothing)
build/brokers/%: test/brokers/%.c $(BROKER_SRCS) $(CORE_SRCS_ALL) $(CORE_HEADERS) \
                 $(wildcard src/brokers/*.h test/brokers/*.h)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(BROKER_CFLAGS) -o $@ $< $(BROKER_SRCS) $(CORE_SRCS_ALL) $(BROKER_LIBS)

# the brokers' reader of chaos_pg.sh and bench/brokers/catchup.sh needs the client libraries only
build/brokers/broker_dump: test/brokers/broker_dump.c $(wildcard test/brokers/*.h src/brokers/*.h)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(BROKER_CFLAGS) -o $@ $< $(BROKER_LIBS)

# ---- xtrader-consumer: a consumer-group member for another host (libpq) -------------------------
CONSUMER_PROG_SRCS = src/brokers/consumer_main.c src/brokers/consumer.c src/brokers/redis_conn.c \
                     src/brokers/broker_url.c src/brokers/exec_msg.c src/net/json.c \
                     src/common/utf8.c src/common/decimal.c
build/xtrader-consumer: $(CONSUMER_PROG_SRCS) $(wildcard src/brokers/*.h) $(CORE_HEADERS)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(CORE_WARN) -Wmissing-prototypes -O2 -g -D_GNU_SOURCE -DXT_CONSUMER_PROGRAM \
	  -Isrc -I$(shell $(PG_CONFIG) --includedir) -o $@ $(CONSUMER_PROG_SRCS) -lhiredis -lpq

# ---- xtrader-ws-gateway: WebSocket fan-out fed by RabbitMQ (scales out WS capacity) ------------
GATEWAY_SRCS = src/gateway/ws_gateway.c $(NET_SRCS) $(CORE_SRCS) src/brokers/broker_url.c
build/xtrader-ws-gateway: $(GATEWAY_SRCS) $(CORE_HEADERS) $(wildcard src/brokers/*.h)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(CORE_WARN) -O2 -g -D_GNU_SOURCE -pthread $(CORE_INC) -o $@ $(GATEWAY_SRCS) -lrabbitmq -lcrypto -lm

.PHONY: brokers-build brokers-unit
brokers-build: $(addprefix build/brokers/,$(BROKER_NAMES))
# needs the servers: scripts/brokers start
brokers-unit: brokers-build
	@rc=0; for t in $(BROKER_NAMES); do echo "== brokers $$t"; build/brokers/$$t || rc=1; done; exit $$rc

# ---- benchmarks ---------------------------------------------------------------------------------
# The engine benchmark measures the reference model (test/unit/reference.c) on the same stream as
# its same-run baseline.
build/bench/%: bench/engine/%.c $(CORE_SRCS) $(UNIT_SUPPORT) $(CORE_HEADERS)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(BENCH_CFLAGS) -o $@ $< $(CORE_SRCS) $(UNIT_SUPPORT) $(CORE_LIBS)

.PHONY: bench-engine bench-brokers bench-catchup
bench-engine: build/bench/bench_engine
	build/bench/bench_engine $(BENCH_ARGS)

# the publishers (src/brokers/publisher.h) and what they use; not the consumer group's code
PUB_SRCS = $(addprefix src/brokers/,broker_url.c redis_conn.c redis_pub.c kafka_pub.c amqp_pub.c)
build/bench/bench_brokers: bench/brokers/bench_brokers.c $(PUB_SRCS) $(wildcard src/brokers/*.h)
	@mkdir -p $(dir $@)
	$(CORE_CC) $(BENCH_CFLAGS) -D_GNU_SOURCE -o $@ $< $(PUB_SRCS) $(BROKER_LIBS)

# needs the servers: scripts/brokers start
bench-brokers:
	bench/brokers/run.sh $(BENCH_ARGS)

# the broker workers' catch-up after an outage; a private cluster and brokers of its own, the
# extension installed last (make install); BENCH_ARGS="--quick" for a smoke run
bench-catchup: build/bench/bench_brokers
	bench/brokers/catchup.sh $(BENCH_ARGS)

.PHONY: clean-build
clean: clean-build
clean-build:
	rm -rf build
