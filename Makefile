# SPDX-License-Identifier: Apache-2.0
# xdpflow build. `make help` lists the targets. Quiet by default; V=1 shows
# the commands. O= sets the output folder, SAN=1 builds with ASan+UBSan
# (clang), which is how `make test` runs every test a second time.

O ?= build
SAN ?= 0
PREFIX ?= /usr/local
DESTDIR ?=

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

ifeq ($(SAN),1)
CC := clang
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# Coverage instrumentation everywhere, so fuzz targets see the library.
SANFLAGS += -fsanitize=fuzzer-no-link
OPT := -O1 -g
else
CC ?= cc
SANFLAGS :=
OPT := -O2 -g
endif

PKGS := rdkafka libprotobuf-c libpcap libbpf libxdp libmicrohttpd libpq libcap
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS_BASE := -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers \
	-Iuser -Ibpf -I$(O)/gen $(PKG_CFLAGS)
CFLAGS ?= $(OPT)
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS) $(SANFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lpthread -lm

PROTOS := proto/flow.proto proto/flow_legacy.proto
GEN_C := $(patsubst proto/%.proto,$(O)/gen/%.pb-c.c,$(PROTOS))
GEN_H := $(GEN_C:.c=.h)

CMD_SRCS := $(wildcard user/cmd/*.c)
LIB_SRCS := $(filter-out $(CMD_SRCS),$(wildcard user/*/*.c))
LIB_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(LIB_SRCS)) $(GEN_C:.c=.o)
LIB := $(O)/libxdpflow.a
BINS := $(patsubst user/cmd/%.c,$(O)/%,$(CMD_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRCS))
# XDP programs (always clang -target bpf) and their bpf_prog_test_run tests,
# which `make unit` runs with the unit tests (they skip when not root).
BPF_CC ?= clang
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Ivmlinux -Ibpf
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.c,$(O)/bpf/%.o,$(BPF_SRCS))
BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(patsubst tests/bpf/%.c,$(O)/tests/bpf/%,$(BPF_TEST_SRCS))
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(O)/bench/%,$(BENCH_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all help deps test unit unit-bins fuzz fuzz-bins bench install format clean vmlinux FORCE

all: $(BINS) $(BPF_OBJS) ## build the daemon and tools into build/

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed 's/:.*## /\t/' | expand -t 16

deps: ## install the Debian packages and the Python venv the build and tests need
	$(Q)scripts/deps.sh

$(O)/gen/%.pb-c.c $(O)/gen/%.pb-c.h: proto/%.proto
	$(call msg,PROTOC,$<)
	$(Q)mkdir -p $(O)/gen
	$(Q)protoc-c --proto_path=proto --c_out=$(O)/gen $<

$(O)/gen/%.pb-c.o: $(O)/gen/%.pb-c.c
	$(call msg,CC,$<)
	$(Q)$(CC) $(filter-out -Werror,$(ALL_CFLAGS)) -c $< -o $@

# XDPFLOW_VERSION (scripts/gen/gen-version.sh: git describe, else VERSION):
# the script runs every time but rewrites the header only when the version
# changed, so only the files that include it (the .d files) rebuild.
$(O)/gen/version.h: FORCE
	$(Q)scripts/gen/gen-version.sh $@

FORCE:

$(O)/obj/%.o: %.c $(GEN_H) | $(O)/gen/version.h
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/%: $(O)/obj/user/cmd/%.o $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(SANFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(O)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -MF $@.d $< $(LIB) $(LDLIBS) -lcmocka -o $@

$(O)/bpf/%.bpf.o: bpf/%.bpf.c
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(BPF_CC) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(O)/tests/bpf/%: tests/bpf/%.c tests/unit/unit.h $(LIB) $(BPF_OBJS)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -DXDPFLOW_BPF_DIR='"$(abspath $(O))/bpf"' -MF $@.d $< $(LIB) $(LDLIBS) -lcmocka -o $@

vmlinux: ## regenerate vmlinux/vmlinux.h from the running kernel's BTF
	$(Q)bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	$(Q)mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

$(O)/bench/%: tests/bench/%.c $(LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -O2 -MF $@.d $< $(LIB) $(LDLIBS) -o $@

# libFuzzer targets: always clang with ASan+UBSan, in their own output tree.
$(O)/fuzz/%: tests/fuzz/%.c $(LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -MF $@.d $< $(LIB) $(LDLIBS) -o $@

unit-bins: $(UNIT_BINS) $(BPF_TEST_BINS)
fuzz-bins: $(FUZZ_BINS)

unit: unit-bins ## run the cmocka unit tests of this build
	$(Q)scripts/run-unit.sh $(UNIT_BINS) $(BPF_TEST_BINS)

test: deps ## everything: unit tests (plain and ASan+UBSan), fuzz smoke, system tests
	$(Q)scripts/test.sh

fuzz: ## run every fuzz target for FUZZ_SECONDS (default 300) each
	$(Q)$(MAKE) --no-print-directory O=$(O)/asan SAN=1 fuzz-bins
	$(Q)scripts/fuzz.sh $(O)/asan/fuzz $${FUZZ_SECONDS:-300}

bench: deps all ## benchmarks: decode speed, whole process vs GoFlow2, memory
	$(Q)$(MAKE) --no-print-directory bench-bins
	$(Q)scripts/bench.sh

bench-bins: $(BENCH_BINS)

install: all ## install binaries, the XDP object, proto and SQL under DESTDIR/PREFIX
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/xdpflow \
		$(DESTDIR)$(PREFIX)/share/xdpflow/proto $(DESTDIR)$(PREFIX)/share/xdpflow/sql/postgres \
		$(DESTDIR)$(PREFIX)/share/xdpflow/sql/clickhouse
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/xdpflow/
	install -m 644 $(PROTOS) $(DESTDIR)$(PREFIX)/share/xdpflow/proto/
	install -m 644 $(wildcard sql/postgres/*.sql) $(DESTDIR)$(PREFIX)/share/xdpflow/sql/postgres/
	install -m 644 $(wildcard sql/clickhouse/*.sql) $(DESTDIR)$(PREFIX)/share/xdpflow/sql/clickhouse/

format: ## reformat C sources with clang-format
	clang-format -i $(LIB_SRCS) $(CMD_SRCS) $(wildcard user/*/*.h) $(UNIT_SRCS) $(FUZZ_SRCS)

clean: ## remove build/
	rm -rf $(O)

# xdpflow-insert embeds sql/postgres/*.sql (.incbin): rebuild when they change.
$(O)/obj/user/insert/schema_sql.o: $(wildcard sql/postgres/*.sql)

.PHONY: stack-up stack-down
stack-up: ## start the local Kafka and PostgreSQL (idempotent); settings in build/stack.env
	$(Q)scripts/stack.sh up

stack-down: ## stop the local Kafka and PostgreSQL
	$(Q)scripts/stack.sh down

.PHONY: demo demo-mock
demo: ## live pipeline for DEMO_SECONDS (60): exporters in a netns -> xdpflowd (XDP) -> Kafka -> PostgreSQL
	$(Q)O=$(O) scripts/demo.sh collect

demo-mock: ## the same with xdpflow-mock in place of the exporters and xdpflowd
	$(Q)O=$(O) scripts/demo.sh mock

-include $(shell find $(O) -name '*.d' 2>/dev/null)
