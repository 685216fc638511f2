# onair: `make run` opens the studio, `make test` runs every test.
# Both install what is missing first (Debian packages via apt-get).

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin
export LANG ?= C.UTF-8

BIN := bin/onair

.PHONY: run build test bench soak setup setup-test clean package install uninstall screenshot

run: build
	./$(BIN)

build: setup
	go build -o bin/ ./cmd/onair ./cmd/onair-studio

test: setup-test
	./scripts/test.sh

# make bench: Go micro-benchmarks of the hot paths, then onair against the
# ffmpeg command line (bench/results.json; the scene: bench/scene.json; the
# camera path: bench/camera.json; the window: bench/window.json; a WebRTC
# output: bench/webrtc.json). QUICK=1: one short case of each kind.
bench: setup-test
	go test -run '^$$' -bench . -benchmem $(if $(QUICK),-benchtime 200ms,) ./capture/... ./overlay ./encoder/... ./outputs/... ./studio/ui ./studio/chat
	go run ./bench $(if $(QUICK),-quick,)
	go run ./bench/scene $(if $(QUICK),-rounds 1 -seconds 5,)
	go run ./bench/camera $(if $(QUICK),-rounds 1 -seconds 5,)
	go run ./bench/window $(if $(QUICK),-rounds 1 -seconds 5 -warm 4,)
	go run ./bench/webrtc $(if $(QUICK),-rounds 1 -seconds 5 -warm 4,)

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

# make screenshot: the studio under Xvfb against local nginx-rtmp servers:
# docs/screenshots/{idle,destinations-editor,preflight,live-two-healthy,
# live-one-reconnecting}.png.
screenshot: setup-test
	go run ./bench/screenshot -out docs/screenshots

# make package: the desktop bundle (dist/onair.tar.xz: onair-studio, its
# .desktop entry and icon, and a Makefile to install them) by fyne package.
FYNE := go run fyne.io/tools/cmd/fyne@v1.7.4
package: build
	mkdir -p dist
	$(FYNE) package --os linux --src cmd/onair-studio --exe $(CURDIR)/bin/onair-studio --name onair \
		--icon $(CURDIR)/assets/icon.png --app-id studio.onair.app --release
	mv onair.tar.xz dist/onair.tar.xz
	@echo "dist/onair.tar.xz"

# make install: onair and onair-studio in $(PREFIX)/bin, the desktop entry
# and the icon under $(PREFIX)/share: onair starts from the desktop menu.
PREFIX ?= $(HOME)/.local
install: build
	install -Dm755 bin/onair $(DESTDIR)$(PREFIX)/bin/onair
	install -Dm755 bin/onair-studio $(DESTDIR)$(PREFIX)/bin/onair-studio
	install -Dm644 assets/icon.png $(DESTDIR)$(PREFIX)/share/icons/hicolor/256x256/apps/studio.onair.app.png
	install -Dm644 assets/studio.onair.app.desktop $(DESTDIR)$(PREFIX)/share/applications/studio.onair.app.desktop
	sed -i 's,^Exec=.*,Exec=$(PREFIX)/bin/onair-studio,' $(DESTDIR)$(PREFIX)/share/applications/studio.onair.app.desktop
	@if command -v update-desktop-database >/dev/null; then update-desktop-database -q $(DESTDIR)$(PREFIX)/share/applications; fi
	@echo "installed under $(PREFIX): onair is in the desktop menu (and $(PREFIX)/bin/onair for the terminal)"

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/onair $(DESTDIR)$(PREFIX)/bin/onair-studio \
		$(DESTDIR)$(PREFIX)/share/icons/hicolor/256x256/apps/studio.onair.app.png \
		$(DESTDIR)$(PREFIX)/share/applications/studio.onair.app.desktop

clean:
	rm -rf bin dist
