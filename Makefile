# sonde: an eBPF observer that gives unmodified services RED metrics.
#   make run    build and run the observer with its built-in defaults
#   make test   build and pass every test (unit, sanitizers, fuzz smoke, integration)
#   make bench  overhead benchmark (observed vs unobserved nginx under wrk)

# Debian packages: the one list. Installed when missing and make runs as root.
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	libmicrohttpd-dev libcurl4-openssl-dev libcmocka-dev libclang-rt-14-dev \
	protobuf-c-compiler libprotobuf-c-dev libyaml-dev libjson-c-dev libhiredis-dev libpq-dev libcapstone-dev \
	libncurses-dev libcap-dev libseccomp-dev libgnutls28-dev libcrypt-dev
TEST_PKGS := nginx-light curl openssl libssl-dev prometheus prometheus-alertmanager redis-server postgresql python3 procps \
	iproute2 protobuf-compiler python3-protobuf python3-grpcio python3-yaml python3-fastapi python3-uvicorn nodejs apache2 gnutls-bin \
	util-linux libcap2-bin nghttp2-client golang-go chromium tmux apache2-utils memcached \
	libmemcached-tools mosquitto mosquitto-clients nats-server golang-github-nats-io-go-nats-dev \
	rabbitmq-server python3-pika mariadb-server mariadb-client sysbench dnsmasq-base bind9-dnsutils
BENCH_PKGS := wrk bpftrace
PKGS := $(BUILD_PKGS) $(TEST_PKGS) $(BENCH_PKGS)

BUILD := build
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
WARN := -Wall -Wextra -Werror
CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iuser -Iinclude -I$(BUILD) -I/usr/include/postgresql -D_GNU_SOURCE \
	-DSONDE_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
	-Ivmlinux/$(ARCH) -Iinclude -Ibpf
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
# What the library links; the daemon adds the kernel and HTTP server side.
LIB_LIBS := -lprotobuf-c -lyaml -ljson-c -lhiredis -lpq -lcurl -lelf -lpthread -lm
LDLIBS := -lbpf -lz -lmicrohttpd -lgnutls -lcrypt -lncursesw -lcap -lseccomp $(LIB_LIBS)

.DELETE_ON_ERROR:

# maps.bpf.c first: bpftool's linker places the shared maps where it
# first meets them, and an extern met before the definition lands at a
# wrong offset.
BPF_SRCS := bpf/maps.bpf.c $(filter-out bpf/maps.bpf.c,$(wildcard bpf/*.bpf.c))
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))

# user/ is one folder per subsystem. All but kernel/, daemon/ and top/ (the
# BPF skeleton, the process, the terminal view) form libsonde.a, which the daemon, the unit tests
# and the fuzzers link: each source is compiled once per build flavour.
LIB_SRCS := $(filter-out user/kernel/% user/daemon/% user/top/%,$(wildcard user/*/*.c))
DAEMON_SRCS := $(wildcard user/kernel/*.c user/daemon/*.c user/top/*.c)
LIB_OBJS := $(patsubst user/%.c,%.o,$(LIB_SRCS)) otlp.pb-c.o
DAEMON_OBJS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(DAEMON_SRCS))

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

.PHONY: all deps run test unit unit-asan fuzz fuzz-smoke integration bench soak vmlinux clean

all: $(BUILD)/sonde

deps:
	@missing=""; for p in $(PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "deps: installing$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "deps: missing Debian packages:$$missing (run make as root to install them)"; exit 1; \
		fi; \
	fi

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c bpf/*.h include/sonde.h | deps
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/sonde.bpf.o: $(BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/sonde.skel.h: $(BUILD)/sonde.bpf.o
	$(BPFTOOL) gen skeleton $< name sonde_bpf > $@

# OTLP messages, generated from the checked-in subset of the OTLP protos.
$(BUILD)/otlp.pb-c.c $(BUILD)/otlp.pb-c.h: proto/otlp.proto | deps
	@mkdir -p $(BUILD)
	protoc-c --proto_path=proto --c_out=$(BUILD) $<

# One object tree per flavour; -MMD writes each object's header
# dependencies beside it.
define flavour # name, compiler, extra flags
$(BUILD)/$(1)/%.o: user/%.c $(BUILD)/otlp.pb-c.h | deps
	@mkdir -p $$(@D)
	$(2) $$(CFLAGS) $(3) -MMD -MP -c $$< -o $$@

$(BUILD)/$(1)/otlp.pb-c.o: $(BUILD)/otlp.pb-c.c
	@mkdir -p $$(@D)
	$(2) $$(CFLAGS) $(3) -Wno-unused-parameter -c $$< -o $$@

$(BUILD)/$(1)/libsonde.a: $(addprefix $(BUILD)/$(1)/,$(LIB_OBJS))
	rm -f $$@
	ar rcs $$@ $$^
endef
$(eval $(call flavour,obj,$(CC),))
$(eval $(call flavour,obj-asan,$(CLANG),$(ASAN_FLAGS) -Wno-unused-parameter))
$(eval $(call flavour,obj-fuzz,$(CLANG),$(FUZZ_FLAGS) -Wno-unused-parameter))

# The objects that include the skeleton, found from the sources so a
# parallel build waits for it.
SKEL_USERS := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(shell grep -rl '"sonde.skel.h"' user))
$(SKEL_USERS): $(BUILD)/sonde.skel.h

$(BUILD)/sonde: $(DAEMON_OBJS) $(BUILD)/obj/libsonde.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

run: $(BUILD)/sonde
	$(BUILD)/sonde $(ARGS)

# Unit tests and fuzzers link the library, plain, under ASan+UBSan, and
# instrumented for libFuzzer.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/obj/libsonde.a | deps
	@mkdir -p $(@D) $(BUILD)/dep
	$(CC) $(CFLAGS) -O1 -MMD -MP -MF $(BUILD)/dep/$(subst /,_,$@).d -MT $@ $< $(BUILD)/obj/libsonde.a -o $@ -lcmocka $(LIB_LIBS)

$(BUILD)/tests-asan/%: tests/unit/%.c $(BUILD)/obj-asan/libsonde.a | deps
	@mkdir -p $(@D) $(BUILD)/dep
	$(CLANG) $(CFLAGS) -Wno-unused-parameter -O1 $(ASAN_FLAGS) -MMD -MP -MF $(BUILD)/dep/$(subst /,_,$@).d -MT $@ $< $(BUILD)/obj-asan/libsonde.a -o $@ \
		-lcmocka $(LIB_LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(BUILD)/obj-fuzz/libsonde.a | deps
	@mkdir -p $(@D) $(BUILD)/dep
	$(CLANG) $(CFLAGS) -Wno-unused-parameter -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-MMD -MP -MF $(BUILD)/dep/$(subst /,_,$@).d -MT $@ $< $(BUILD)/obj-fuzz/libsonde.a -o $@ $(LIB_LIBS)

unit: $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
	@tests/run-all.sh unit

unit-asan: $(addprefix $(BUILD)/tests-asan/,$(UNIT_TESTS))
	@tests/run-all.sh unit-asan

# Seed inputs: a harness's are in tests/fuzz/seeds/HARNESS and, built, in
# $(BUILD)/seeds/HARNESS.
# fuzz_elf's is a shared library with OpenSSL's entry points, so its
# mutations start from a real ELF file.
SEEDS := $(BUILD)/seeds/fuzz_elf/openssl_like.so
$(BUILD)/seeds/fuzz_elf/openssl_like.so: tests/fuzz/seeds/openssl_like.c | deps
	@mkdir -p $(dir $@)
	$(CC) -shared -fPIC -O1 -o $@ $<

# Bounded fuzzing: FUZZ_SECONDS per harness, from its seeds.
fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZERS)) | $(SEEDS)
	@for f in $^; do echo "fuzz: $$f for $(FUZZ_SECONDS)s"; corpus=$$(mktemp -d); \
		seeds=; for d in tests/fuzz/seeds/$$(basename $$f) $(BUILD)/seeds/$$(basename $$f); do \
			[ -d $$d ] && seeds="$$seeds $$d"; done; \
		$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(BUILD)/fuzz/ -print_final_stats=1 $$corpus $$seeds \
			>$$corpus.log 2>&1; rc=$$?; tail -3 $$corpus.log; rm -rf $$corpus $$corpus.log; [ $$rc = 0 ] || exit 1; done

integration: $(BUILD)/sonde
	@tests/run-all.sh integration

test: $(BUILD)/sonde $(addprefix $(BUILD)/tests/,$(UNIT_TESTS)) \
		$(addprefix $(BUILD)/tests-asan/,$(UNIT_TESTS)) $(addprefix $(BUILD)/fuzz/,$(FUZZERS)) $(SEEDS)
	@tests/run-all.sh

bench: $(BUILD)/sonde
	@tests/bench/overhead.sh
	@tests/bench/functions.sh
	@tests/bench/propagation.sh

# An hour (SOAK_MINUTES) of mixed traffic, churn, hostile clients and
# reloads, sampled for drift; not part of test.
soak: $(BUILD)/sonde
	@tests/soak/soak.sh

# vmlinux.h is checked in per architecture; this regenerates it from the
# running kernel's BTF.
vmlinux:
	@mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
