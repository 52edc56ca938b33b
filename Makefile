# The two README commands. Everything else is CMake + ctest.
#   make run   install missing Debian packages, build, start the showcase on :8080
#   make test  install missing Debian packages, build, run every test
# Extra targets: make build, make asan (ASan+UBSan build and tests), make tsan
# (ThreadSanitizer, concurrency tests), make bench.

BUILD     ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all setup build run test asan tsan ucontext clang fuzz aarch64-check bench clean

all: build

setup:
	@sh scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	cd examples && PORT=$${PORT:-8080} NOTES_DB=$${NOTES_DB:-../$(BUILD)/notes.db} ../$(BUILD)/examples/showcase

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: setup
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DPT_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)

# ThreadSanitizer over the tests where threads meet: sync primitives and
# coroutines, the memo cache and locks across threads, and HTTP servers with
# several workers (test_ops: per-worker metrics summed by a scrape, the
# access log's buffers and its thread). A reported race fails the test (TSan exits with 66).
# (http.test_memo_cachetest is left out: its loads take 3 s each, and
# unit.test_memo_cache_flight covers the cache across threads.)
# Suppressions: tests/tsan/suppressions.txt.
TSAN_TESTS ?= ^unit\.test_(sync|coro|memo_cache|memo_cache_flight|memo_lock|testclient)$$|^http\.test_(errors|shutdown|keepalive|memo_locktest|ops)$$
tsan: setup
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPT_TSAN=ON $(CMAKE_ARGS)
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tests/tsan/suppressions.txt second_deadlock_stack=1 $${TSAN_OPTIONS:-}" \
		ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

# The ucontext fallback of the coroutine switch, with the unit tests.
ucontext: setup
	cmake -S . -B build-ucontext -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPT_CORO_UCONTEXT=ON $(CMAKE_ARGS)
	cmake --build build-ucontext -j $(JOBS)
	cd build-ucontext && ctest --output-on-failure -j $(JOBS) -R '^unit\.'

# The whole suite built with clang (the design pins gcc 12 and clang 14).
clang: setup
	@command -v clang >/dev/null || { echo "clang missing: apt-get install clang"; exit 1; }
	CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	cmake --build build-clang -j $(JOBS)
	cd build-clang && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (tests/fuzz: HTTP framing/routing/fields, JSON parse +
# schema compile/validate, the expiration grammar, key templates) under
# ASan + UBSan, FUZZ_SECS seconds each, FUZZ_JOBS at a time, from the seed
# corpora in tests/fuzz/corpus (new inputs go to build-fuzz/corpus). Any
# report fails; its reproducer is left in build-fuzz/.
FUZZ_SECS ?= 60
FUZZ_JOBS ?= 2
FUZZ_TARGETS ?= fuzz_http fuzz_json fuzz_expiry fuzz_key
fuzz: setup
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPT_FUZZ=ON $(CMAKE_ARGS)
	cmake --build build-fuzz -j $(JOBS)
	sh tests/fuzz/run.sh build-fuzz $(FUZZ_SECS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

# The aarch64 context switch, cross-compiled and run under qemu-user.
aarch64-check:
	@sh scripts/setup.sh cross
	mkdir -p build-cross
	aarch64-linux-gnu-gcc -O2 -static -Isrc -Iinclude tests/arch/coro_smoke.c src/core/coro.c \
		src/core/coro_switch_aarch64.S -lm -o build-cross/coro_smoke_aarch64
	qemu-aarch64 build-cross/coro_smoke_aarch64

bench: build
	sh bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_DIR) build-tsan build-ucontext build-clang build-cross build-fuzz
