# sonde: an eBPF observer that gives unmodified services RED metrics.
#   make run    build and run the observer with its built-in defaults
#   make test   build and pass every test (unit, sanitizers, fuzz smoke, integration)
#   make bench  overhead benchmark (observed vs unobserved nginx under wrk)

# Debian packages: the one list. Installed when missing and make runs as root.
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
	libmicrohttpd-dev libcurl4-openssl-dev libcmocka-dev libclang-rt-14-dev \
	protobuf-c-compiler libprotobuf-c-dev libyaml-dev libjson-c-dev libhiredis-dev libpq-dev
TEST_PKGS := nginx-light curl openssl libssl-dev prometheus prometheus-alertmanager redis-server postgresql python3 procps \
	iproute2 protobuf-compiler python3-protobuf python3-grpcio python3-yaml python3-fastapi python3-uvicorn nodejs \
	util-linux libcap2-bin
BENCH_PKGS := wrk
PKGS := $(BUILD_PKGS) $(TEST_PKGS) $(BENCH_PKGS)

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
WARN := -Wall -Wextra -Werror
CFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -Ibuild -I/usr/include/postgresql -D_GNU_SOURCE -DSONDE_VERSION='"$(VERSION)"'
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
	-Ivmlinux/$(ARCH) -Iinclude -Ibpf
# What the pure modules link; the daemon adds the kernel and HTTP server side.
LIB_LIBS := -lprotobuf-c -lyaml -ljson-c -lhiredis -lpq -lcurl -lpthread -lm
LDLIBS := -lbpf -lelf -lz -lmicrohttpd $(LIB_LIBS)

BUILD := build
BPF_SRCS := bpf/maps.bpf.c bpf/targets.bpf.c bpf/sockets.bpf.c bpf/tcp.bpf.c bpf/tls.bpf.c
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))

# Pure modules: no BPF, no threads; unit-tested and fuzzed on their own.
LIB_SRCS := user/http.c user/routes.c user/histogram.c user/metrics.c user/prom.c \
	user/strbuf.c user/options.c user/services.c user/collector.c user/log.c user/identity.c \
	user/peers.c user/cgroup.c user/config.c user/tracecontext.c user/otel_config.c user/otlp.c user/tracing.c \
	user/check_probes.c user/notify_body.c user/window.c user/business.c user/alerts.c user/health.c user/timefmt.c user/k8s_pods.c \
	user/streams.c user/h2.c user/hpack.c user/resp.c user/pgwire.c \
	$(BUILD)/otlp.pb-c.c
DAEMON_SRCS := user/main.c user/lifecycle.c user/probe.c user/ringbuf.c user/stats.c \
	user/targets.c user/tls_probes.c user/server.c user/processes.c user/exporter.c user/checks.c user/notifier.c user/k8s.c
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(filter user/%,$(LIB_SRCS) $(DAEMON_SRCS))) \
	$(BUILD)/otlp.pb-c.o

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60

.PHONY: all deps run test unit unit-asan fuzz fuzz-smoke integration bench vmlinux clean

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

$(BUILD)/user/%.o: user/%.c include/*.h $(BUILD)/otlp.pb-c.h | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# OTLP messages, generated from the checked-in subset of the OTLP protos.
$(BUILD)/otlp.pb-c.c $(BUILD)/otlp.pb-c.h: proto/otlp.proto | deps
	@mkdir -p $(BUILD)
	protoc-c --proto_path=proto --c_out=$(BUILD) $<

$(BUILD)/otlp.pb-c.o: $(BUILD)/otlp.pb-c.c
	$(CC) $(CFLAGS) -Wno-unused-parameter -c $< -o $@

$(BUILD)/user/lifecycle.o $(BUILD)/user/tls_probes.o: $(BUILD)/sonde.skel.h

$(BUILD)/sonde: $(USER_OBJS)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

run: $(BUILD)/sonde
	$(BUILD)/sonde $(ARGS)

# Unit tests link the pure modules only, plain and under ASan+UBSan.
$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_SRCS) include/*.h | deps
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -O1 $< $(LIB_SRCS) -o $@ -lcmocka $(LIB_LIBS)

$(BUILD)/tests-asan/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_SRCS) include/*.h | deps
	@mkdir -p $(@D)
	$(CLANG) $(CFLAGS) -Wno-unused-parameter -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer $< $(LIB_SRCS) -o $@ -lcmocka $(LIB_LIBS)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(LIB_SRCS) include/*.h | deps
	@mkdir -p $(@D)
	$(CLANG) $(CFLAGS) -Wno-unused-parameter -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $< $(LIB_SRCS) -o $@ $(LIB_LIBS)

unit: $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))
	@tests/run-all.sh unit

unit-asan: $(addprefix $(BUILD)/tests-asan/,$(UNIT_TESTS))
	@tests/run-all.sh unit-asan

# Bounded fuzzing: FUZZ_SECONDS per harness.
fuzz: $(addprefix $(BUILD)/fuzz/,$(FUZZERS))
	@for f in $^; do echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(BUILD)/fuzz/ -print_final_stats=1 2>&1 | tail -3 || exit 1; done

integration: $(BUILD)/sonde
	@tests/run-all.sh integration

test: $(BUILD)/sonde $(addprefix $(BUILD)/tests/,$(UNIT_TESTS)) \
		$(addprefix $(BUILD)/tests-asan/,$(UNIT_TESTS)) $(addprefix $(BUILD)/fuzz/,$(FUZZERS))
	@tests/run-all.sh

bench: $(BUILD)/sonde
	@tests/bench/overhead.sh

# vmlinux.h is checked in per architecture; this regenerates it from the
# running kernel's BTF.
vmlinux:
	@mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h

clean:
	rm -rf $(BUILD)
