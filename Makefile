# SellerConnect. `make run` installs what is missing, builds and starts the
# app; `make test` runs vet and the race-enabled tests against a real Secret
# Service and a real X display.
GO        ?= go
BIN       := bin/sellerconnect
TAGS      := migrated_fynedo
PKGS      := ./...
TESTENV   := scripts/testenv.sh
VERSION   := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
LDFLAGS   := -X github.com/sellerconnect/sellerconnect/cli.Version=$(VERSION)

.PHONY: all deps build run test vet vet-cross lint bench fuzz screenshots package package-check clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN)

vet:
	$(GO) vet -tags $(TAGS) $(PKGS)

# The packages without Fyne (which needs cgo: ui and main) must build, tests
# included, for every system the installers ship to.
CROSS_PKGS := ./storage/... ./oauth/... ./accounts/... ./cli/... ./autostart/...
CROSS_OS   := windows darwin
vet-cross:
	@for os in $(CROSS_OS); do \
		echo "GOOS=$$os CGO_ENABLED=0 $(GO) vet $(CROSS_PKGS)"; \
		GOOS=$$os GOARCH=amd64 CGO_ENABLED=0 $(GO) vet -tags $(TAGS) $(CROSS_PKGS) || exit 1; \
	done

# staticcheck, and no function outside tests over a cyclomatic complexity
# of 20 (gocyclo); both pinned, built through the Go module proxy.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOCYCLO     := github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0
lint:
	$(GO) run $(STATICCHECK) -tags $(TAGS) $(PKGS)
	$(GO) run $(GOCYCLO) -over 20 -ignore '_test\.go$$' .

test: deps vet vet-cross lint
	$(TESTENV) $(GO) test -tags $(TAGS) -race -count=1 -timeout 30m $(PKGS)

bench: deps
	$(TESTENV) $(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m $(PKGS)

# Each fuzz target for FUZZTIME (default 1m); new findings land in
# oauth/testdata/fuzz as regression inputs.
FUZZTIME ?= 1m
fuzz:
	for f in FuzzParseCallback FuzzParsePasted FuzzParseTokenResponse FuzzProviderFile; do \
		$(GO) test -tags $(TAGS) -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) ./oauth/ || exit 1; \
	done

# PNGs of the real app under Xvfb, light and dark, into docs/screenshots/.
screenshots: deps
	scripts/screenshots.sh

# Installers into dist/ (see scripts/package.sh); package-check lints the
# .deb and .rpm, installs, runs and removes the .deb, validates the AppStream
# metadata, installs, upgrades and uninstalls the Windows setup under Wine,
# and verifies a signature made with a throwaway certificate.
package:
	scripts/package.sh

package-check: package
	scripts/package-check.sh

clean:
	rm -rf bin dist
