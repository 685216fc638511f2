# onair: `make run` opens the studio, `make test` runs every test.
# Both install what is missing first (Debian packages via apt-get).

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export LANG ?= C.UTF-8

BIN := bin/onair

.PHONY: run build test bench setup setup-test clean

run: build
	./$(BIN)

build: setup
	go build -o bin/ ./cmd/onair ./cmd/onair-studio

test: setup-test
	./scripts/test.sh

# make bench: Go micro-benchmarks of the hot paths, then onair against the
# ffmpeg command line (bench/results.json). QUICK=1: one short case of each kind.
bench: setup-test
	go test -run '^$$' -bench . -benchmem $(if $(QUICK),-benchtime 200ms,) ./capture/... ./overlay ./encoder/... ./outputs/... ./studio/ui
	go run ./bench $(if $(QUICK),-quick,)

setup:
	@./scripts/setup.sh build

setup-test:
	@./scripts/setup.sh test

clean:
	rm -rf bin
