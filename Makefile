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

PKGS := rdkafka libprotobuf-c libpcap libbpf libxdp libmicrohttpd libpq libcap libmaxminddb netsnmp libssl libcrypto
# Goals that need none of PKGS in this make (they install them, compile
# nothing, or run a sub-make that checks). Any other goal stops at once,
# naming what is missing, rather than failing later on a missing header.
NOPKG_GOALS := help deps clean format format-check clickhouse-sql test fuzz fuzz-long bench bench-compare \
	stack-up stack-down demo demo-mock vmlinux
ifneq ($(filter-out $(NOPKG_GOALS),$(or $(MAKECMDGOALS),all)),)
ifeq ($(shell command -v pkg-config),)
$(error pkg-config is missing (scripts/deps.sh installs it))
endif
ifneq ($(shell pkg-config --exists $(PKGS) && echo ok),ok)
PKG_MISSING := $(strip $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) && echo ok),,$(p))))
$(error missing pkg-config package$(if $(word 2,$(PKG_MISSING)),s) $(PKG_MISSING) (scripts/deps.sh installs $(if $(word 2,$(PKG_MISSING)),them,it)))
endif
endif
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
# Fast protobuf encoders, generated from the same protos (user/encode).
GEN_ENC_C := $(patsubst proto/%.proto,$(O)/gen/%.pb-enc.c,$(PROTOS))
GEN_H += $(GEN_ENC_C:.c=.h)

CMD_SRCS := $(wildcard user/cmd/*.c)
LIB_SRCS := $(filter-out $(CMD_SRCS),$(wildcard user/*/*.c))
LIB_OBJS := $(patsubst %.c,$(O)/obj/%.o,$(LIB_SRCS)) $(GEN_C:.c=.o) $(GEN_ENC_C:.c=.o)
LIB := $(O)/libxdpflow.a
BINS := $(patsubst user/cmd/%.c,$(O)/%,$(CMD_SRCS))

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/%,$(UNIT_SRCS))
# Programs the system tests drive (built with the unit tests, never run
# by `make unit`): tests/helpers/x_y.c -> O/tests/helpers/x-y.
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(O)/tests/helpers/%,$(subst _,-,$(HELPER_SRCS)))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(O)/fuzz/%,$(FUZZ_SRCS))
# XDP programs (always clang -target bpf) and their bpf_prog_test_run tests,
# which `make unit` runs with the unit tests (they skip when not root).
BPF_CC ?= clang
# __TARGET_ARCH_xxx (bpf_tracing.h's register names) from the build machine.
BPF_ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/i.86/x86/' \
	-e 's/aarch64.*/arm64/' -e 's/arm.*/arm/' -e 's/ppc64.*/powerpc/' \
	-e 's/s390x/s390/' -e 's/riscv64/riscv/' -e 's/loongarch64/loongarch/' -e 's/mips.*/mips/')
BPF_CFLAGS := -O2 -g -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -Wall -Werror -Ivmlinux -Ibpf
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.c,$(O)/bpf/%.o,$(BPF_SRCS))
BPF_TEST_SRCS := $(wildcard tests/bpf/test_*.c)
BPF_TEST_BINS := $(patsubst tests/bpf/%.c,$(O)/tests/bpf/%,$(BPF_TEST_SRCS))
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(O)/bench/%,$(BENCH_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all help deps test unit unit-bins fuzz fuzz-long fuzz-bins bench bench-compare bench-bins install format format-check clean vmlinux FORCE

all: $(BINS) $(BPF_OBJS) ## build the daemon and tools into build/

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | sed 's/:.*## /\t/' | expand -t 16
	@echo 'variables: V=1 (show commands), O=DIR (output, default build), SAN=1 (clang ASan+UBSan),'
	@echo '  PREFIX, DESTDIR (install), FUZZ_SECONDS, FUZZ_RUNS, FUZZ_TARGETS (fuzz), DEMO_SECONDS (demo), BPF_ARCH (default from uname -m)'

deps: ## install the Debian packages and the Python venv the build and tests need
	$(Q)scripts/deps.sh

$(O)/gen/%.pb-c.c $(O)/gen/%.pb-c.h: proto/%.proto
	$(call msg,PROTOC,$<)
	$(Q)mkdir -p $(O)/gen
	$(Q)protoc-c --proto_path=proto --c_out=$(O)/gen $<

$(O)/gen/%.pb-c.o: $(O)/gen/%.pb-c.c
	$(call msg,CC,$<)
	$(Q)$(CC) $(filter-out -Werror,$(ALL_CFLAGS)) -c $< -o $@

$(O)/gen/%.desc: proto/%.proto
	$(call msg,PROTOC,$@)
	$(Q)mkdir -p $(O)/gen
	$(Q)protoc --proto_path=proto --descriptor_set_out=$@ $<

$(O)/gen/%.pb-enc.c $(O)/gen/%.pb-enc.h: $(O)/gen/%.desc scripts/gen/gen-pb-encoder.py
	$(call msg,GEN,$(O)/gen/$*.pb-enc.c)
	$(Q)scripts/gen/gen-pb-encoder.py $< $* $(O)/gen

$(O)/gen/%.pb-enc.o: $(O)/gen/%.pb-enc.c $(GEN_H)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

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
	$(Q)$(CC) $(SANFLAGS) $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(O)/tests/%: tests/unit/%.c tests/unit/unit.h $(LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -MF $@.d $(LDFLAGS) $< $(LIB) $(LDLIBS) -lcmocka -o $@

define helper_rule
$(O)/tests/helpers/$(subst _,-,$(basename $(notdir $(1)))): $(1) $(LIB)
	$$(call msg,CC,$(1))
	$(Q)mkdir -p $$(dir $$@)
	$(Q)$$(CC) $$(ALL_CFLAGS) -MF $$@.d $$(LDFLAGS) $(1) $$(LIB) $$(LDLIBS) -o $$@
endef
$(foreach h,$(HELPER_SRCS),$(eval $(call helper_rule,$(h))))

$(O)/bpf/%.bpf.o: bpf/%.bpf.c
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(BPF_CC) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(O)/tests/bpf/%: tests/bpf/%.c tests/unit/unit.h $(LIB) $(BPF_OBJS)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit -DXDPFLOW_BPF_DIR='"$(abspath $(O))/bpf"' -MF $@.d $(LDFLAGS) $< $(LIB) $(LDLIBS) -lcmocka -o $@

vmlinux: ## regenerate vmlinux/vmlinux.h from the running kernel's BTF
	$(Q)bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h.tmp
	$(Q)mv vmlinux/vmlinux.h.tmp vmlinux/vmlinux.h

$(O)/bench/%: tests/bench/%.c $(LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -O2 -MF $@.d $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

# libFuzzer targets: always clang with ASan+UBSan (the library too, so
# `make fuzz` builds them in O/asan with SAN=1).
FUZZ_CC ?= clang
FUZZ_SANFLAGS := -fsanitize=address,undefined,fuzzer -fno-sanitize-recover=all -fno-omit-frame-pointer
$(O)/fuzz/%: tests/fuzz/%.c $(LIB)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(filter-out $(SANFLAGS),$(ALL_CFLAGS)) $(FUZZ_SANFLAGS) -MF $@.d $(LDFLAGS) $< $(LIB) $(LDLIBS) -o $@

unit-bins: $(UNIT_BINS) $(BPF_TEST_BINS) $(HELPER_BINS) ## build the unit and XDP test binaries and test helpers, without running them
fuzz-bins: $(FUZZ_BINS) ## build the libFuzzer targets (use with O=build/asan SAN=1)

unit: unit-bins ## run the cmocka unit tests of this build
	$(Q)scripts/test/run-unit.sh $(UNIT_BINS) $(BPF_TEST_BINS)

test: deps ## everything: format check, unit tests (plain and ASan+UBSan), fuzz smoke, system tests
	$(Q)scripts/test/test.sh

fuzz: ## run every fuzz target for FUZZ_SECONDS (default 300) each, ASan+UBSan
	$(Q)$(MAKE) --no-print-directory O=$(O)/asan SAN=1 fuzz-bins
	$(Q)scripts/test/fuzz.sh $(O)/asan/fuzz $${FUZZ_SECONDS:-300} $(FUZZ_RUNS)

# With FUZZ_RUNS and no FUZZ_SECONDS, only the run count ends a target.
fuzz-long: ## the same, FUZZ_SECONDS (default 3600) and/or FUZZ_RUNS executions each, whichever ends first; table in build/fuzz/summary.txt
	$(Q)$(MAKE) --no-print-directory O=$(O)/asan SAN=1 fuzz-bins
	$(Q)scripts/test/fuzz.sh $(O)/asan/fuzz $${FUZZ_SECONDS:-$(if $(FUZZ_RUNS),0,3600)} $(FUZZ_RUNS)

bench: deps ## benchmarks: decode speed, whole process vs GoFlow2, memory
	$(Q)$(MAKE) --no-print-directory all bench-bins
	$(Q)scripts/bench/bench.sh

bench-compare: deps ## xdpflowd side by side with GoFlow2, pmacct and nfcapd: table and charts in docs/bench/ (BENCH_QUICK=1: quick)
	$(Q)scripts/bench/bench_compare.sh

bench-bins: $(BENCH_BINS) ## build the benchmark binaries, without running them

MAN_PAGES := $(wildcard docs/man/*.[158])
# The units run PREFIX/bin's programs.
UNITS := $(wildcard packaging/systemd/*.service)
EXAMPLES := $(wildcard packaging/default/* packaging/enrich/*)

install: all ## install binaries, the XDP object, proto, SQL, man pages, systemd units and examples under DESTDIR/PREFIX
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/xdpflow \
		$(DESTDIR)$(PREFIX)/share/xdpflow/proto $(DESTDIR)$(PREFIX)/share/xdpflow/sql/postgres \
		$(DESTDIR)$(PREFIX)/share/xdpflow/sql/clickhouse $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/lib/systemd/system \
		$(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/share/doc/xdpflow/examples
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BPF_OBJS) $(DESTDIR)$(PREFIX)/lib/xdpflow/
	install -m 644 $(PROTOS) $(DESTDIR)$(PREFIX)/share/xdpflow/proto/
	install -m 644 $(wildcard sql/postgres/*.sql) $(DESTDIR)$(PREFIX)/share/xdpflow/sql/postgres/
	install -m 644 $(wildcard sql/clickhouse/*.sql) $(DESTDIR)$(PREFIX)/share/xdpflow/sql/clickhouse/
	install -m 644 $(filter %.1,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(filter %.5,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 $(filter %.8,$(MAN_PAGES)) $(DESTDIR)$(PREFIX)/share/man/man8/
	for u in $(UNITS); do \
		sed 's|/usr/bin/xdpflow|$(PREFIX)/bin/xdpflow|g' $$u > $(DESTDIR)$(PREFIX)/lib/systemd/system/$${u##*/} && \
		chmod 644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$${u##*/} || exit 1; \
	done
	install -m 644 packaging/sysusers/xdpflow.conf $(DESTDIR)$(PREFIX)/lib/sysusers.d/
	install -m 644 $(EXAMPLES) $(DESTDIR)$(PREFIX)/share/doc/xdpflow/examples/

# Debian packages, built by dpkg-buildpackage on a copy of the tree (the
# files git knows, edits included) in $(O)/deb/src, so that the .deb,
# .buildinfo and .changes files land in $(O)/deb, not beside the checkout.
# The packaging metadata lives in packaging/debian. Rebuilt only when a
# source file changed; always a plain (non-sanitizer) build; the copy is
# removed afterwards (build.log stays).
DEB_DIR := $(O)/deb
ifneq ($(filter deb,$(MAKECMDGOALS)),)
DEB_SRCS := $(filter-out .venv,$(wildcard $(shell git ls-files -co --exclude-standard)))
endif

.PHONY: deb
deb: $(DEB_DIR)/deb.stamp ## Debian packages xdpflow and xdpflow-insert into build/deb (dpkg-buildpackage)

$(DEB_DIR)/deb.stamp: $(DEB_SRCS)
	$(call msg,DEB,$(DEB_DIR))
	$(Q)rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	$(Q)git ls-files -co --exclude-standard -z | grep -zv '^\.venv$$' | tar --null -T - -cf - | tar -xf - -C $(DEB_DIR)/src
	$(Q)cp -rL packaging/debian $(DEB_DIR)/src/debian
	$(Q)cd $(DEB_DIR)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -b -us -uc > ../build.log 2>&1 || { tail -40 ../build.log; rm -rf ../src; exit 1; }
	$(Q)rm -rf $(DEB_DIR)/src # its build/ would be read for *.d files
	$(Q)touch $@

# Every C file we write (not vmlinux/ nor generated code), formatted by
# .clang-format with Debian 12's clang-format (14): other versions format
# differently, so format-check refuses them.
FORMAT_SRCS := $(sort $(wildcard user/*/*.[ch] bpf/*.[ch] tests/*/*.[ch]))
CLANG_FORMAT ?= clang-format
CLANG_FORMAT_VERSION ?= 14
define clang_format_ok
	command -v $(CLANG_FORMAT) >/dev/null || { echo "$(CLANG_FORMAT) is missing (scripts/deps.sh installs it)"; exit 1; }; \
	v=$$($(CLANG_FORMAT) --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p'); \
	[ "$$v" = $(CLANG_FORMAT_VERSION) ] || { echo "$(CLANG_FORMAT) is version $$v, .clang-format is tuned for $(CLANG_FORMAT_VERSION) (CLANG_FORMAT=clang-format-$(CLANG_FORMAT_VERSION))"; exit 1; }
endef

format: ## reformat every C source and header with clang-format (.clang-format)
	$(Q)$(clang_format_ok)
	$(Q)$(CLANG_FORMAT) -i $(FORMAT_SRCS)

format-check: ## list the C files `make format` would change; fails if there is any
	$(Q)$(clang_format_ok)
	$(Q)bad=; for f in $(FORMAT_SRCS); do $(CLANG_FORMAT) "$$f" | cmp -s "$$f" - || bad="$$bad $$f"; done; \
	if [ -n "$$bad" ]; then \
		echo "format-check: these files differ from what clang-format makes of them (make format):"; \
		printf '  %s\n' $$bad; echo "format-check: 0 passed, 1 failed"; exit 1; \
	fi; echo "format-check: $(words $(FORMAT_SRCS)) files formatted; 1 passed, 0 failed"

clean: ## remove build/
	rm -rf $(O)

# The ClickHouse DDL: generated from flows.sql.in, committed (the release
# and tests/sys/test_clickhouse.py read them), remade when the source or the
# generator changes.
CH_SQL := sql/clickhouse/flows.sql sql/clickhouse/flows-cluster.sql
.PHONY: clickhouse-sql
clickhouse-sql: $(CH_SQL) ## regenerate sql/clickhouse/flows{,-cluster}.sql from flows.sql.in
all: $(CH_SQL)
$(CH_SQL) &: sql/clickhouse/flows.sql.in scripts/gen/gen-clickhouse-sql.py
	$(call msg,GEN,$<)
	$(Q)python3 scripts/gen/gen-clickhouse-sql.py

# xdpflow-insert embeds sql/postgres/*.sql (.incbin): rebuild when they change.
$(O)/obj/user/insert/schema_sql.o: $(wildcard sql/postgres/*.sql)

.PHONY: stack-up stack-down
stack-up: ## start the local Kafka and PostgreSQL (idempotent); settings in build/stack.env
	$(Q)scripts/stack/stack.sh up

stack-down: ## stop the local Kafka and PostgreSQL
	$(Q)scripts/stack/stack.sh down

.PHONY: demo demo-mock
demo: ## live pipeline for DEMO_SECONDS (60): exporters in a netns -> xdpflowd (XDP) -> Kafka -> PostgreSQL
	$(Q)O=$(O) scripts/demo/demo.sh collect

demo-mock: ## the same with xdpflow-mock in place of the exporters and xdpflowd
	$(Q)O=$(O) scripts/demo/demo.sh mock

# Header dependencies (-MMD/-MF) of this build only (not of an O= nested in it).
-include $(wildcard $(O)/obj/*/*/*.d $(O)/gen/*.d $(O)/bpf/*.d $(O)/tests/*.d \
	$(O)/tests/bpf/*.d $(O)/tests/helpers/*.d $(O)/fuzz/*.d $(O)/bench/*.d)
