# cxrec: build, test, demo, bench.  `make V=1` shows the commands.
CC      ?= cc
PKGS    := libssl libcrypto libcjson libzstd zlib libbrotlidec
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
ALL_CFLAGS := $(WARN) $(CFLAGS) -MMD -MP -Icommon -Irelay -Ianalyzer -Icli \
              -DCXREC_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS))
LIBS    := $(shell pkg-config --libs $(PKGS)) -lpthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

LIB_SRC := $(wildcard common/*.c relay/*.c analyzer/*.c) \
           $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB     := $(BUILD)/libcxrec.a
BIN     := $(BUILD)/cxrec

TEST_SRC := $(wildcard tests/unit/test_*.c)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TEST_LIBS := $(shell pkg-config --libs check)

.PHONY: all check unit integration deps demo bench clean
ifeq ($(SAN),1)
all: $(BIN)             # ./cxrec stays the normal build
else
all: cxrec
endif

cxrec: $(BIN)
	$(Q)ln -sf $(BIN) cxrec

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/cli/main.o $(LIB)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/tracegen.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

check: all unit integration

unit: $(TEST_BIN)
	$(Q)set -e; for t in $(TEST_BIN); do echo "== $$t"; $$t; done

integration: $(BIN)
	$(Q)CXREC=$(CURDIR)/$(BIN) tests/run-integration.sh

deps:
	scripts/deps.sh

demo: cxrec
	scripts/demo.sh

bench: cxrec
	$(MAKE) -C scripts/bench
	CXREC=$(CURDIR)/$(BIN) scripts/bench/run.sh

clean:
	rm -rf build build-san cxrec

-include $(LIB_OBJ:.o=.d) $(BUILD)/cli/main.d $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%.d) \
    $(BUILD)/tests/unit/tracegen.d
