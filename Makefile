# nasfit — one non-recursive Makefile. Sources are found by wildcard, so a new
# op, loader or test is one new file and no edit here.
#
#   make            build build/nasfit and every test binary
#   make test       install dependencies, build, run every test binary
#   make run        install dependencies, build, run a real search (configs/default.conf)
#   make bench      install dependencies (with PyTorch), build, print speed ratios
#   make asan       the tests under AddressSanitizer + UBSan (build-asan/)
#   make clean
#
# BUILD=dir puts objects elsewhere (make asan uses build-asan).

CC      ?= gcc
BUILD   ?= build
OPT     ?= -O2 -march=native
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -fopenmp -D_DEFAULT_SOURCE -I. -I$(BUILD)/gen -MMD -MP \
           $(shell pkg-config --cflags plplot 2>/dev/null)
LDLIBS  += -lopenblas -lglpk -lsqlite3 -lpng -lz -ljansson -lprotobuf-c -lplplot -lm -fopenmp
# Open MPI: app/session/mpi_pool.c is its only includer (nasfit fit --mpi).
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs ompi-c 2>/dev/null)

# The ONNX schema as Debian's python3-onnx ships it; protoc-c (protobuf-c-compiler)
# turns it into C in $(BUILD)/gen at build time. Nothing generated is committed.
ONNX_PROTO ?= /usr/lib/python3/dist-packages/onnx/onnx.proto
GEN_ONNX  := $(BUILD)/gen/onnx.pb-c

LIB_SRC   := $(wildcard engine/*.c engine/ops/*.c nas/*.c datasets/*.c app/*/*.c)
LIB_SRC   := $(filter-out app/cmd/main.c,$(LIB_SRC))
TEST_SRC  := $(wildcard tests/test_*.c)
BENCH_SRC := $(wildcard bench/*.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_ONNX).o
LIB       := $(BUILD)/libnasfit.a
TESTS     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# The ONNX export check: a fixture program and a script (tests/onnx_check.sh).
ONNX_FIXTURE := $(BUILD)/tests/onnx_fixture
BENCHES   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
NASFIT    := $(BUILD)/nasfit

.PHONY: all test run bench asan clean deps deps-bench
all: $(NASFIT) $(TESTS) $(ONNX_FIXTURE) $(BENCHES)

deps:
	@sh scripts/install-deps.sh
deps-bench:
	@sh scripts/install-deps.sh --bench

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(GEN_ONNX).c $(GEN_ONNX).h &: $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(BUILD)/gen $(ONNX_PROTO)

$(GEN_ONNX).o: $(GEN_ONNX).c
	$(CC) $(CFLAGS) -w -c $< -o $@

$(BUILD)/app/session/mpi_pool.o: CFLAGS += $(MPI_CFLAGS)

# Only the exporter includes the generated header.
$(BUILD)/app/formats/onnx_export.o: | $(GEN_ONNX).h

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(NASFIT): $(BUILD)/app/cmd/main.o $(LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) -lcmocka $(TEST_LDFLAGS)

# tests/test_faults.c fails the library's Nth allocation: its link sends
# every allocator call of the library through the test's wrappers.
$(BUILD)/tests/test_faults: TEST_LDFLAGS = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=strdup

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# Tests run one binary after another; each prints cmocka's summary.
test: deps
	@$(MAKE) --no-print-directory $(TESTS) $(NASFIT) $(ONNX_FIXTURE)
	@sh scripts/run-tests.sh $(TESTS) tests/onnx_check.sh tests/store_check.sh tests/report_check.sh tests/hostile_check.sh tests/mpi_check.sh tests/sql_check.sh tests/v1_check.sh tests/exit_check.sh

run: deps
	@$(MAKE) --no-print-directory $(NASFIT)
	sh scripts/run.sh $(NASFIT)

# The benchmarks link the library only; they do not need build/nasfit.
bench: deps-bench
	@$(MAKE) --no-print-directory $(BENCHES)
	sh scripts/bench.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDLIBS="$(LDLIBS) -fsanitize=address,undefined" build-asan/nasfit $(TESTS:$(BUILD)/%=build-asan/%) build-asan/tests/onnx_fixture
	@NASFIT_ASAN=1 BUILD=build-asan LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 sh scripts/run-tests.sh $(TESTS:$(BUILD)/%=build-asan/%) tests/onnx_check.sh tests/store_check.sh tests/report_check.sh tests/hostile_check.sh tests/sql_check.sh tests/v1_check.sh tests/exit_check.sh

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.d) $(ONNX_FIXTURE).d $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%.d) $(BUILD)/app/cmd/main.d
