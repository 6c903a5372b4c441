# sshbox — multicall SSH server. `make` builds the static musl flavour,
# `make FLAVOR=system` the dynamic glibc one (PAM, SELinux), `make run`
# serves on 127.0.0.1:2222, `make test` runs every test.
#
# Sources are globbed: every shared/LAYER/*.c is library code, every
# applets/*.c one applet (applets/multicall.c is the dispatcher), every
# tests/unit/test_*.c one unit-test program.
#
# shared/ is grouped by the process that runs the code and its layer (see
# docs/design.md, "Layers"). Each folder is compiled with only the include
# paths of the layers it may use, so a wrong arrow fails the build.

FLAVOR ?= static
VERSION := 0.1.0
SHELL := /bin/bash

# Build configuration (config/<flavour>.config, busybox-style CONFIG_X=y|n):
# it selects sources and libraries, and config.h carries it to the code.
CONFIG := config/$(FLAVOR).config
cfg_on = $(filter y,$(shell sed -n 's/^$(1)=//p' $(CONFIG)))
ifeq ($(FLAVOR)$(call cfg_on,CONFIG_PAM),staticy)
  $(error CONFIG_PAM=y needs FLAVOR=system: a static musl binary cannot dlopen PAM modules)
endif

# The applet lists come from applets/applets.def (one APPLET line each):
# HELPER-side applets go into both binaries, DAEMON-side into sshbox only;
# an applet whose condition is a CONFIG_ flag that is off is not built.
applet_names = $(shell build/applets.sh $(1) $(CONFIG))
HELPER_APPLETS := $(call applet_names,HELPER)
ALL_APPLETS := $(HELPER_APPLETS) $(call applet_names,DAEMON)

LAYERS := lib crypto ssh ipc child server $(if $(call cfg_on,CONFIG_DEBUG_SERVICE),debug)
LIB_SRCS := $(foreach l,$(LAYERS),$(wildcard shared/$(l)/*.c shared/$(l)/*/*.c))
# What each layer may include (itself and the layers below it).
INC_lib := lib
INC_crypto := lib crypto
INC_ssh := lib crypto ssh
INC_ipc := lib ipc
INC_child := lib ipc child
INC_server := lib crypto ssh ipc server
INC_debug := lib ipc server debug
INC_helper_applets := lib ipc child
INC_all := $(LAYERS)
# The child applets (and the dispatcher, built into the helper too) see
# only what the helper links; sshd and debug see everything.
HELPER_SIDE_SRCS = $(HELPER_APPLETS:%=applets/%.c) applets/multicall.c
layer_inc = -Iapplets $(addprefix -Ishared/,$(INC_$(1)))
# Include flags for one source file: by its folder under shared/, or by
# which side of the helper line an applet is on.
src_inc = $(if $(filter shared/%,$(1)),$(call layer_inc,$(word 2,$(subst /, ,$(1)))),$(if \
  $(filter $(HELPER_SIDE_SRCS),$(1)),$(call layer_inc,helper_applets),$(call layer_inc,all)))
# The helper's library: only the layers a child applet may use.
HELPER_LIB_SRCS := $(foreach l,$(INC_helper_applets),$(wildcard shared/$(l)/*.c shared/$(l)/*/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

WARN := -std=c17 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -ffunction-sections -fdata-sections
# No unwind tables: nothing unwinds C frames here (no C++, no
# pthread_cancel, no backtrace(); the CPU profiler walks frame pointers),
# and .eh_frame was 55 KB of sshbox.
NO_UNWIND := -fno-asynchronous-unwind-tables -fno-unwind-tables
DEFS := -D_GNU_SOURCE -DSSHBOX_VERSION='"$(VERSION)"'

# Builds (once) or finds the cached dependency prefix: the static libraries,
# and src/sntrup761.c and src/libcrux_mlkem768_sha3.h, which every flavour
# compiles (see build/deps.sh).
# (skipped only when every goal is one that needs no dependencies)
ifneq ($(if $(MAKECMDGOALS),$(filter-out clean format peers,$(MAKECMDGOALS)),all),)
  DEPS := $(shell build/deps.sh)
  ifeq ($(DEPS),)
    $(error build/deps.sh failed; see its messages above)
  endif
endif
# Third-party C from the deps prefix: built with each flavour's compiler
# and hardening, but without our warning set (not our code to change).
# -O3: sntrup761 encapsulation (per connection) takes 5.5 ms instead of
# 7.4 ms at -O2 here (its reference polynomial code vectorises).
SNTRUP_SRC := $(DEPS)/src/sntrup761.c
SNTRUP_SHIM := build/sntrup761/crypto_api.h build/sntrup761/includes.h
EXT_CFLAGS := -std=c17 -w -Ibuild/sntrup761
# ML-KEM-768: libcrux's header from the deps prefix, compiled through the
# wrapper in build/mlkem768/ (also at -O3, like sntrup761).
MLKEM_SRC := build/mlkem768/mlkem768_libcrux.c
MLKEM_HDR := $(DEPS)/src/libcrux_mlkem768_sha3.h
MLKEM_CFLAGS := -std=c17 -w -Werror=implicit-function-declaration -I$(DEPS)/src

ifeq ($(FLAVOR),static)
  OUT := build/out
  # musl-gcc's specs cannot make static-pie binaries; build/musl-static-pie.sh
  # derives a specs file from them that can (rcrt1.o, no interpreter).
  MUSL_SPECS := $(OUT)/musl-static-pie.specs
  CC := gcc -specs=$(MUSL_SPECS)
  DEPFLAGS := -isystem $(DEPS)/include -isystem $(DEPS)/kinc
  # --strip-debug: the only DWARF is that of musl's crt and Debian's nettle
  # objects (128 KB); .symtab stays (CPU profiles name functions with it).
  LDFLAGS := -static-pie -L$(DEPS)/lib -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--gc-sections -Wl,--strip-debug
  # A static libselinux needs its regex library after it on the link line.
  SYS_LIBS := $(if $(call cfg_on,CONFIG_SELINUX),-lpcre2-8)
  OPT := -O2 -fno-omit-frame-pointer
else ifeq ($(FLAVOR),system)
  OUT := build/out-system
  CC ?= gcc
  DEPFLAGS :=
  LDFLAGS := -pie -Wl,-z,relro,-z,now,-z,noexecstack -Wl,--gc-sections
  SYS_LIBS := -lutil
  OPT := -O2 -fno-omit-frame-pointer
else
  $(error FLAVOR must be static or system)
endif

# Libraries: the crypto set always; the rest only when its feature is on.
LIBS := -lsodium -lbearssl -lnettle $(if $(call cfg_on,CONFIG_ZLIB),-lz) \
  $(if $(call cfg_on,CONFIG_SHADOW_CRYPT),-lcrypt) $(if $(call cfg_on,CONFIG_AUDIT),-laudit) \
  $(if $(call cfg_on,CONFIG_PAM),-lpam) $(if $(call cfg_on,CONFIG_SELINUX),-lselinux) $(SYS_LIBS)

CFLAGS_ALL := $(WARN) $(OPT) $(HARDEN) $(NO_UNWIND) $(DEFS) -I$(OUT)/gen $(DEPFLAGS) $(EXTRA_CFLAGS)
OBJ := $(OUT)/obj
LIB_OBJS := $(patsubst shared/%.c,$(OBJ)/shared/%.o,$(LIB_SRCS))
LIBA := $(OUT)/libsshbox.a
HELPER_LIB_OBJS := $(patsubst shared/%.c,$(OBJ)/shared/%.o,$(HELPER_LIB_SRCS))
HELPER_LIBA := $(OUT)/libsshbox-helper.a
HELPER_OBJS := $(patsubst %,$(OBJ)/applets/%.o,$(HELPER_APPLETS))
ALL_OBJS := $(patsubst %,$(OBJ)/applets/%.o,$(ALL_APPLETS))
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))

.PHONY: all clean test unit unit-asan integration run bench fuzz fuzz-long fuzz-build format install-deps peers image
.DELETE_ON_ERROR:

all: $(OUT)/sshbox $(OUT)/sshbox-helper

$(OUT)/gen/config.h: $(CONFIG) build/genconfig.sh $(MUSL_SPECS)
	@mkdir -p $(@D)
	build/genconfig.sh $(CONFIG) $(FLAVOR) > $@

ifneq ($(MUSL_SPECS),)
$(MUSL_SPECS): build/musl-static-pie.sh
	@mkdir -p $(@D)
	build/musl-static-pie.sh > $@
endif

$(OBJ)/%.o: %.c $(OUT)/gen/config.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(call src_inc,$<) -MMD -MP -c $< -o $@

# The dispatcher is built twice: with every applet, and with the child applets only.
$(OBJ)/multicall-full.o: applets/multicall.c $(OUT)/gen/config.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(call src_inc,$<) -MMD -MP -c $< -o $@
$(OBJ)/multicall-helper.o: applets/multicall.c $(OUT)/gen/config.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(call src_inc,$<) -DSSHBOX_HELPER=1 -MMD -MP -c $< -o $@

$(OBJ)/ext/sntrup761.o: $(SNTRUP_SRC) $(SNTRUP_SHIM) $(MUSL_SPECS)
	@mkdir -p $(@D)
	$(CC) $(EXT_CFLAGS) $(OPT) -O3 $(HARDEN) $(NO_UNWIND) -c $< -o $@

$(OBJ)/ext/mlkem768.o: $(MLKEM_SRC) $(MLKEM_HDR) $(MUSL_SPECS)
	@mkdir -p $(@D)
	$(CC) $(MLKEM_CFLAGS) $(OPT) -O3 $(HARDEN) $(NO_UNWIND) -c $< -o $@

$(LIBA): $(LIB_OBJS) $(OBJ)/ext/sntrup761.o $(OBJ)/ext/mlkem768.o
	@rm -f $@
	ar rcs $@ $^
# The helper links this smaller archive: a child applet that reached for
# ssh/, server/ or crypto code would fail to link, not grow silently.
$(HELPER_LIBA): $(HELPER_LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/sshbox-helper.unstripped: $(OBJ)/multicall-helper.o $(HELPER_OBJS) $(HELPER_LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/sshbox-helper: $(OUT)/sshbox-helper.unstripped
	strip --strip-all -R .comment -o $@ $<

# The full binary carries the stripped helper byte for byte in .rodata.
$(OBJ)/helper_blob.o: build/helper_blob.S $(OUT)/sshbox-helper
	$(CC) -c -DHELPER_FILE='"$(OUT)/sshbox-helper"' $< -o $@

$(OUT)/sshbox: $(OBJ)/multicall-full.o $(ALL_OBJS) $(OBJ)/helper_blob.o $(LIBA)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(OUT)/tests/%: tests/unit/%.c $(LIBA) $(OUT)/gen/config.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(call layer_inc,all) -Itests/unit $(LDFLAGS) -o $@ $< $(LIBA) $(LIBS)

unit: $(UNIT_BINS)

# Unit tests again under ASan+UBSan, built with clang against glibc and
# Debian's -dev packages (a separate object tree).
ASAN_OUT := build/out-asan
ASAN_CFLAGS := $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
  -fno-sanitize-recover=all $(DEFS) -I$(ASAN_OUT)/gen -Itests/unit
ASAN_LIBS := -lsodium -lbearssl -lnettle -lz -lcrypt -laudit -lutil
ASAN_LIB_OBJS := $(patsubst %.c,$(ASAN_OUT)/obj/%.o,$(LIB_SRCS))
ASAN_BINS := $(patsubst tests/unit/%.c,$(ASAN_OUT)/tests/%,$(UNIT_SRCS))

$(ASAN_OUT)/gen/config.h: config/static.config build/genconfig.sh
	@mkdir -p $(@D)
	build/genconfig.sh config/static.config asan > $@
$(ASAN_OUT)/obj/%.o: %.c $(ASAN_OUT)/gen/config.h
	@mkdir -p $(@D)
	clang $(ASAN_CFLAGS) $(call src_inc,$<) -MMD -MP -c $< -o $@
$(ASAN_OUT)/obj/ext/sntrup761.o: $(SNTRUP_SRC) $(SNTRUP_SHIM)
	@mkdir -p $(@D)
	clang $(EXT_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -c $< -o $@
$(ASAN_OUT)/obj/ext/mlkem768.o: $(MLKEM_SRC) $(MLKEM_HDR)
	@mkdir -p $(@D)
	clang $(MLKEM_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
	  -c $< -o $@
$(ASAN_OUT)/libsshbox.a: $(ASAN_LIB_OBJS) $(ASAN_OUT)/obj/ext/sntrup761.o $(ASAN_OUT)/obj/ext/mlkem768.o
	@rm -f $@
	ar rcs $@ $^
$(ASAN_OUT)/tests/%: tests/unit/%.c $(ASAN_OUT)/libsshbox.a
	@mkdir -p $(@D)
	clang $(ASAN_CFLAGS) $(call layer_inc,all) -o $@ $< $(ASAN_OUT)/libsshbox.a $(ASAN_LIBS)

unit-asan: $(ASAN_BINS)

# libFuzzer targets (tests/fuzz/fuzz_*.c), clang with ASan+UBSan, glibc.
FUZZ_OUT := build/out-fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CFLAGS := $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
  $(DEFS) -I$(ASAN_OUT)/gen -Itests/unit
FUZZ_LIB_OBJS := $(patsubst %.c,$(FUZZ_OUT)/obj/%.o,$(LIB_SRCS))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(FUZZ_SRCS))

$(FUZZ_OUT)/obj/%.o: %.c $(ASAN_OUT)/gen/config.h
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $(call src_inc,$<) -MMD -MP -c $< -o $@
$(FUZZ_OUT)/obj/ext/sntrup761.o: $(SNTRUP_SRC) $(SNTRUP_SHIM)
	@mkdir -p $(@D)
	clang $(EXT_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(FUZZ_OUT)/obj/ext/mlkem768.o: $(MLKEM_SRC) $(MLKEM_HDR)
	@mkdir -p $(@D)
	clang $(MLKEM_CFLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(FUZZ_OUT)/libsshbox.a: $(FUZZ_LIB_OBJS) $(FUZZ_OUT)/obj/ext/sntrup761.o $(FUZZ_OUT)/obj/ext/mlkem768.o
	@rm -f $@
	ar rcs $@ $^
$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OUT)/libsshbox.a
	clang $(FUZZ_CFLAGS) $(call layer_inc,all) -fsanitize=fuzzer -o $@ $< $(FUZZ_OUT)/libsshbox.a $(ASAN_LIBS)

fuzz-build: $(FUZZ_BINS)

install-deps:
	build/apt-packages.sh

# Today's SSH peers (OpenSSH 10.0p1, PuTTY 0.83, Dropbear 2025.89, from Debian
# trixie's sources) for the integration tests and benchmarks: built once into
# the cache by build/peers.sh, which prints their prefix.
peers: install-deps
	build/peers.sh

# Everything: unit tests (musl), unit tests (ASan+UBSan, glibc), system
# flavour build, integration tests with real clients. One closing line.
test: install-deps all unit unit-asan fuzz-build peers
	$(MAKE) FLAVOR=system all
	OUT=$(OUT) SYSOUT=build/out-system tests/run.sh $(sort $(wildcard tests/gates/*)) $(UNIT_BINS) $(ASAN_BINS) tests/fuzz/ci.sh \
	  $(sort $(wildcard tests/integration/test_*.sh tests/integration/test_*.py))

integration: all
	OUT=$(OUT) SYSOUT=build/out-system tests/run.sh $(sort $(wildcard tests/integration/test_*.sh tests/integration/test_*.py))

run: all
	build/run.sh $(OUT)/sshbox

# The container image: no base image, no container engine, no downloads.
# build/out/image/: rootfs/, oci/ (OCI layout), sshbox-oci.tar, sshbox-docker.tar
# (`docker load -i`). See README "Distroless / containers".
IMAGE_OUT := $(OUT)/image
image: all
	rm -rf $(IMAGE_OUT)/rootfs
	mkdir -p $(IMAGE_OUT)
	build/image/rootfs.sh $(OUT)/sshbox $(IMAGE_OUT)/rootfs
	build/image/mkimage.py $(IMAGE_OUT)/rootfs $(IMAGE_OUT) $(VERSION)

bench: all peers
	tests/bench/run.sh

# Runs every fuzz target FUZZ_SECONDS (default 30) on its checked-in corpus.
fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BINS)

# Long runs with a persistent corpus outside the tree (default 30 min per
# pre-auth target, 10 min for the others); FUZZ_MERGE=1 merges new coverage
# back into tests/fuzz/corpus. Knobs: tests/fuzz/long.sh.
fuzz-long: fuzz-build
	tests/fuzz/long.sh $(FUZZ_BINS)

format:
	clang-format -i shared/*/*.c shared/*/*.h shared/*/*/*.c shared/*/*/*.h applets/*.c applets/*.h tests/unit/*.c

clean:
	rm -rf build/out build/out-system build/out-asan build/out-fuzz

-include $(shell find $(OUT)/obj $(ASAN_OUT)/obj $(FUZZ_OUT)/obj -name '*.d' 2>/dev/null)
