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
CFLAGS  += -std=c11 $(OPT) -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -fopenmp -D_DEFAULT_SOURCE -I. -MMD -MP
LDLIBS  += -lopenblas -lglpk -lsqlite3 -lpng -lz -lm -fopenmp

LIB_SRC   := $(wildcard engine/*.c engine/ops/*.c nas/*.c datasets/*.c app/*.c)
LIB_SRC   := $(filter-out app/main.c,$(LIB_SRC))
TEST_SRC  := $(wildcard tests/test_*.c)
BENCH_SRC := $(wildcard bench/*.c)

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB       := $(BUILD)/libnasfit.a
TESTS     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCHES   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
NASFIT    := $(BUILD)/nasfit

.PHONY: all test run bench asan clean deps deps-bench
all: $(NASFIT) $(TESTS) $(BENCHES)

deps:
	@sh scripts/install-deps.sh
deps-bench:
	@sh scripts/install-deps.sh --bench

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(NASFIT): $(BUILD)/app/main.o $(LIB)
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
	@$(MAKE) --no-print-directory $(TESTS)
	@sh scripts/run-tests.sh $(TESTS)

run: deps
	@$(MAKE) --no-print-directory $(NASFIT)
	sh scripts/run.sh $(NASFIT)

# The benchmarks link the library only; they do not need build/nasfit.
bench: deps-bench
	@$(MAKE) --no-print-directory $(BENCHES)
	sh scripts/bench.sh $(BUILD)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	  LDLIBS="$(LDLIBS) -fsanitize=address,undefined" build-asan/nasfit $(TESTS:$(BUILD)/%=build-asan/%)
	@NASFIT_ASAN=1 sh scripts/run-tests.sh $(TESTS:$(BUILD)/%=build-asan/%)

clean:
	rm -rf build build-asan

-include $(LIB_OBJ:.o=.d) $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.d) $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%.d) $(BUILD)/app/main.d
