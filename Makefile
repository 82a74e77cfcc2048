# cxrec: build, test, demo, bench.  `make V=1` shows the commands.
CC      ?= cc

# What cxrec needs from Debian is installed before anything is built, so
# that `make demo` and `make check` are the whole set-up on a fresh
# machine (as root; otherwise scripts/deps.sh says in one line what to
# run).  `make clean` and `make deps` itself do not need it.
ifneq ($(filter-out clean deps,$(or $(MAKECMDGOALS),all)),)
ifneq ($(shell scripts/deps.sh --quiet >&2 && echo ok),ok)
$(error missing Debian packages (see the line above))
endif
endif
PKGS    := libssl libcrypto libcjson libzstd zlib libbrotlidec libcurl
VERSION := 0.1.0

CFLAGS  ?= -O2 -g
WARN    := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
           -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
           -Wformat=2 -Wwrite-strings
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
BUILD   ?= build-san
endif
BUILD   ?= build
BASE_CFLAGS := $(WARN) $(CFLAGS) -MMD -MP -DCXREC_VERSION='"$(VERSION)"' \
               $(shell pkg-config --cflags $(PKGS))
# Layers (docs/architecture.md): each folder sees only the headers of the
# layers below it, so a wrong-way include fails the build.  common/ is
# below everything; the capture paths (relay/, probe/, preload/) and the
# analyzer stand on common/ alone; the CLI and the tests see everything.
INCS      = -Icommon -Irelay -Iprobe -Ipreload -Ianalyzer -Icli
ALL_CFLAGS = $(BASE_CFLAGS) $(INCS)
$(BUILD)/common/%.o:   INCS = -Icommon
$(BUILD)/relay/%.o:    INCS = -Icommon -Irelay
$(BUILD)/probe/%.o:    INCS = -Icommon -Iprobe
$(BUILD)/analyzer/%.o: INCS = -Icommon -Ianalyzer
LIBS    := $(shell pkg-config --libs $(PKGS)) -lpthread

# The kernel probe (probe/): built when libbpf, clang and bpftool are here
# and the kernel has BTF; BPF=0 leaves it out, BPF=1 insists on it.
BPF     ?= auto
BPF_MISSING :=
ifneq ($(BPF),0)
ifeq ($(shell pkg-config --exists libbpf && echo y),)
BPF_MISSING += libbpf-dev
endif
ifeq ($(shell command -v clang),)
BPF_MISSING += clang
endif
ifeq ($(shell command -v bpftool || ls /usr/sbin/bpftool 2>/dev/null),)
BPF_MISSING += bpftool
endif
ifeq ($(wildcard /sys/kernel/btf/vmlinux),)
BPF_MISSING += /sys/kernel/btf/vmlinux
endif
endif
ifeq ($(BPF),0)
HAVE_BPF :=
else ifeq ($(strip $(BPF_MISSING)),)
HAVE_BPF := 1
else ifeq ($(BPF),1)
$(error BPF=1 but the probe cannot be built: missing $(strip $(BPF_MISSING)))
else
HAVE_BPF :=
$(info probe: not built (missing $(strip $(BPF_MISSING))); `make deps` installs what it needs)
endif
ifeq ($(HAVE_BPF),1)
LIBS    += $(shell pkg-config --libs libbpf)
endif
BPFTOOL := $(shell command -v bpftool || echo /usr/sbin/bpftool)
BPF_ARCH := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')

ifeq ($(V),1)
Q :=
else
Q := @
endif

# The library: the recorder and the analyzer (what tests and fuzz targets
# link); the CLI is not in it, but in the binary and its own archive for
# the unit tests of its modules.
LIB_SRC := $(wildcard common/*.c relay/*.c analyzer/*.c) probe/probe.c
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libcxrec.a
CLI_SRC := $(filter-out cli/main.c,$(wildcard cli/*.c cli/agents/*.c))
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
CLI_LIB := $(BUILD)/libcxrec-cli.a
BIN     := $(BUILD)/cxrec
# The LD_PRELOAD recorder: built without sanitizers even under SAN=1 (a
# library preloaded into other programs cannot bring ASan's runtime).
PRELOAD := $(BUILD)/libcxrec-preload.so
PRELOAD_SRC := $(wildcard preload/*.c) common/trace.c common/crc32c.c common/srcredact.c \
               common/shmring.c common/line.c \
               common/credname.c common/hostpat.c common/jsonobj.c
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(BUILD)/pic/%.o)
PRELOAD_CFLAGS := $(WARN) -O2 -g -fPIC -fvisibility=hidden -MMD -MP -Icommon -Ipreload

TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_LIBS := $(shell pkg-config --libs check)

.PHONY: all check unit integration fuzz-replay fuzz fuzz-build deps demo bench \
        protocol-docs protocol-docs-check clean FORCE
ifeq ($(SAN),1)
all: $(BIN) $(PRELOAD)  # ./cxrec stays the normal build
else
all: cxrec $(PRELOAD)
endif

cxrec: $(BIN)
	$(Q)ln -sf $(BIN) cxrec

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The probe: vmlinux.h from the kernel's BTF, the BPF object (CO-RE), its
# skeleton, then probe.c with it.
ifeq ($(HAVE_BPF),1)
$(BUILD)/probe/vmlinux.h:
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  BTF     $@")
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/probe/probe.bpf.o: probe/probe.bpf.c probe/probe_event.h $(BUILD)/probe/vmlinux.h
	@$(if $(Q),echo "  BPF     $<")
	$(Q)clang -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_ARCH) -I$(BUILD)/probe -Iprobe \
	    $(shell pkg-config --cflags libbpf) -c $< -o $@

$(BUILD)/probe/probe.skel.h: $(BUILD)/probe/probe.bpf.o
	@$(if $(Q),echo "  SKEL    $@")
	$(Q)$(BPFTOOL) gen skeleton $< name cxprobe > $@.tmp && mv $@.tmp $@

$(BUILD)/probe/probe.o: ALL_CFLAGS += -DCX_HAVE_BPF -I$(BUILD)/probe
$(BUILD)/probe/probe.o: $(BUILD)/probe/probe.skel.h
endif
# probe.o is rebuilt when the probe comes or goes.
$(BUILD)/probe/probe.o: $(BUILD)/probe/have-bpf
$(BUILD)/probe/have-bpf: FORCE
	@mkdir -p $(dir $@)
	@echo "$(HAVE_BPF)" | cmp -s - $@ || echo "$(HAVE_BPF)" > $@

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (pic)")
	$(Q)$(CC) $(PRELOAD_CFLAGS) -c $< -o $@

$(PRELOAD): $(PRELOAD_OBJ) preload/exports.map
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) -shared -o $@ $(PRELOAD_OBJ) -Wl,--version-script=preload/exports.map \
	    -Wl,-z,defs -ldl -lpthread

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(CLI_LIB): $(CLI_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/cli/main.o $(CLI_OBJ) $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/tracegen.o $(CLI_LIB) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# Programs the integration tests run (tests/lib/progs/).
PROG_SRC := $(wildcard tests/lib/progs/*.c)
PROGS    := $(PROG_SRC:tests/lib/progs/%.c=$(BUILD)/progs/%)
$(BUILD)/progs/%: tests/lib/progs/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(WARN) -O2 -g -o $@ $< -lpthread

# Fuzz targets (tests/fuzz/).  Under `make check` each replays its seed
# corpus and its crash regressions (tests/fuzz/{corpus,regress}/NAME/)
# through driver.c; `make fuzz` builds them with clang's libFuzzer in
# build-fuzz/ and runs each for FUZZ_TIME seconds (tests/fuzz/run.sh).
FUZZ_NAMES := reader http chunked sse ws body decode srcredact proxy conv prices protocol cursor
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_TIME ?= 60
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined
FUZZ_COMMON := $(BUILD)/tests/fuzz/fuzz_common.o

$(BUILD)/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/driver.o $(FUZZ_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/fuzz/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

fuzz-replay: $(FUZZ_REPLAY)
	$(Q)set -e; for n in $(FUZZ_NAMES); do \
	    $(BUILD)/fuzz/replay_$$n tests/fuzz/corpus/$$n $$(ls -d tests/fuzz/regress/$$n 2>/dev/null); \
	done

.SECONDARY:

fuzz-build: $(FUZZ_BIN)

fuzz:
	$(MAKE) fuzz-build BUILD=build-fuzz CC=clang BPF=0 SAN= CFLAGS="$(FUZZ_CFLAGS)"
	tests/fuzz/run.sh build-fuzz/fuzz $(FUZZ_TIME) $(FUZZ_NAMES)

check: all unit fuzz-replay integration

unit: $(TEST_BIN)
	$(Q)set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

integration: $(BIN) $(PRELOAD) $(PROGS)
	$(Q)CXREC=$(CURDIR)/$(BIN) CXREC_PROGS=$(CURDIR)/$(BUILD)/progs tests/run-integration.sh

deps:
	scripts/deps.sh

demo: cxrec
	scripts/demo.sh

# docs/protocol/: each pinned agent recorded against the mocks, what it
# speaks and what changed between versions (scripts/protocol-docs.sh);
# the check regenerates and fails when the committed pages are stale.
protocol-docs: all
	CXREC=$(CURDIR)/$(BIN) CXREC_PROGS=$(CURDIR)/$(BUILD)/progs scripts/protocol-docs.sh

protocol-docs-check: all
	CXREC=$(CURDIR)/$(BIN) CXREC_PROGS=$(CURDIR)/$(BUILD)/progs scripts/protocol-docs.sh --check

bench: cxrec
	$(MAKE) -C scripts/bench
	CXREC=$(CURDIR)/$(BIN) scripts/bench/run.sh

clean:
	rm -rf build build-san build-prof build-fuzz cxrec

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(PRELOAD_OBJ:.o=.d) $(BUILD)/cli/main.d $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
    $(BUILD)/tests/unit/tracegen.d $(wildcard $(BUILD)/tests/fuzz/*.d)
