# onair: `make run` opens the studio, `make test` runs every test.
# Both install what is missing first (Debian packages via apt-get).

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export LANG ?= C.UTF-8

BIN := bin/onair

.PHONY: run build test bench soak setup setup-test clean

run: build
	./$(BIN)

build: setup
	go build -o bin/ ./cmd/onair ./cmd/onair-studio

test: setup-test
	./scripts/test.sh

# make bench: Go micro-benchmarks of the hot paths, then onair against the
# ffmpeg command line (bench/results.json; the scene: bench/scene.json; the
# camera path: bench/camera.json). QUICK=1: one short case of each kind.
bench: setup-test
	go test -run '^$$' -bench . -benchmem $(if $(QUICK),-benchtime 200ms,) ./capture/... ./overlay ./encoder/... ./outputs/... ./studio/ui ./studio/chat
	go run ./bench $(if $(QUICK),-quick,)
	go run ./bench/scene $(if $(QUICK),-rounds 1 -seconds 5,)
	go run ./bench/camera $(if $(QUICK),-rounds 1 -seconds 5,)

# make soak: onair live for an hour to three destinations (one server killed
# every 2 minutes, one on a thin link), sampled every 10 s: bench/soak.json and
# bench/soak.png. make test runs a 3-minute one. SOAK_FLAGS adds flags
# (go run ./bench/soak -h).
soak: setup-test
	go run ./bench/soak -out bench $(SOAK_FLAGS)

setup:
	@./scripts/setup.sh build

setup-test:
	@./scripts/setup.sh test

clean:
	rm -rf bin
