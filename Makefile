# Vigil — the two commands of the README are the contract:
#   make run    installs what is missing, builds, opens the GUI on the demo project
#   make test   installs what is missing, runs vet, staticcheck and every test
# Both work as root on a fresh Debian machine (apt-get) and reuse the Go build
# cache: nothing that the cache holds is rebuilt.

SHELL        := /bin/bash
GO           ?= go
BIN          := bin/vigil
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS      := -X main.version=$(VERSION)
STATICCHECK  := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN        := $(shell $(GO) env GOPATH)/bin

# Debian packages: Fyne's cgo build (GL, X11, xkbcommon), the end-to-end test
# (Xvfb, ImageMagick's import for screenshots) and the serial test (socat).
APT_BUILD    := gcc pkg-config libgl1-mesa-dev xorg-dev libxkbcommon-dev libasound2-dev
APT_TEST     := xvfb imagemagick socat mosquitto xdotool
STAMP        := .cache/stamps

.PHONY: run test bench build deps-build deps-test apt-build apt-test vet staticcheck unit fmt clean

run: deps-build build
	./$(BIN)

build: deps-build
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/vigil

test: deps-test vet staticcheck unit

# Every test, with the race detector; the e2e package builds the real binary
# and runs it under Xvfb (VIGIL_E2E=1 makes a missing Xvfb a failure, not a skip).
unit:
	VIGIL_E2E=1 $(GO) test -race -count=1 -timeout 20m ./...

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

staticcheck: $(GOBIN)/staticcheck
	$(GOBIN)/staticcheck ./...

$(GOBIN)/staticcheck:
	$(GO) install $(STATICCHECK)

bench: deps-build
	$(GO) test -run '^$$' -bench . -benchmem ./... | tee bench.out
	@echo; echo "== figures =="; grep -E '^Benchmark' bench.out | sed -E 's/ +/ /g'

deps-build: apt-build $(STAMP)/gomod
deps-test: deps-build apt-test

# dpkg -s is instant, so the package check runs every time rather than
# trusting a stamp file that a removed package would make lie.
apt-build:
	@./.ci/apt-ensure $(APT_BUILD)

apt-test:
	@./.ci/apt-ensure $(APT_TEST)

$(STAMP)/gomod: go.mod go.sum
	@mkdir -p $(STAMP)
	$(GO) mod download
	@touch $@

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin dist .cache bench.out

# Installers (issue 9), built on this Linux machine: make package writes
# dist/vigil_*.deb, dist/Vigil.tar.xz, dist/windows/vigil.exe and
# dist/vigil-*-setup.exe; make package-test checks them. Neither is part of
# make test. See docs/install.md and packaging/package.sh.
APT_PACKAGE  := gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 nsis dpkg-dev xz-utils p7zip-full imagemagick binutils
FYNE_TOOL    := fyne.io/tools/cmd/fyne@v1.7.4
FYNE         := $(GOBIN)/fyne

.PHONY: package package-test apt-package

apt-package:
	@./.ci/apt-ensure $(APT_PACKAGE)

$(FYNE):
	$(GO) install $(FYNE_TOOL)

package: deps-build apt-package $(FYNE)
	VERSION='$(VERSION)' GO='$(GO)' FYNE='$(FYNE)' ./packaging/package.sh

# Depends on package so the artifacts checked are this tree's (warm: seconds).
package-test: package
	VERSION='$(VERSION)' ./packaging/test.sh
