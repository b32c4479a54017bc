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

.PHONY: all deps build run test vet bench fuzz screenshots package clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .

run: build
	./$(BIN)

vet:
	$(GO) vet -tags $(TAGS) $(PKGS)

test: deps vet
	$(TESTENV) $(GO) test -tags $(TAGS) -race -count=1 -timeout 30m $(PKGS)

bench: deps
	$(TESTENV) $(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem -benchtime 1x -timeout 60m $(PKGS)

clean:
	rm -rf bin dist
