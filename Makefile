# The two README commands. Everything else is CMake + ctest.
#   make run   install missing Debian packages, build, start the showcase on :8080
#   make test  install missing Debian packages, build, run every test
# Extra targets: make build, make asan (ASan+UBSan build and tests), make bench.

BUILD     ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all setup build run test asan bench clean

all: build

setup:
	@sh scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	cd examples && PORT=$${PORT:-8080} ../$(BUILD)/examples/showcase

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: setup
	cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DPT_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	sh bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_DIR)
