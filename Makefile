# onemap: `make run` starts the server with the demo data; `make test` runs every test.
# Both install what they need first (scripts/deps.sh).
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     := bin/onemap
ADDR    ?= :8080
DATA    ?= ./data/onemap.gpkg
TESTTIMEOUT ?= 30m

.PHONY: run test build deps deps-test bench lint clean

run: deps build
	./$(BIN) serve --addr $(ADDR) --data $(DATA) --as-of 2025-12-31

build:
	$(GO) build -o $(BIN) ./cmd/onemap

deps:
	@scripts/deps.sh run

deps-test:
	@scripts/deps.sh test

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test: deps-test lint
	$(GO) test -count=1 -timeout $(TESTTIMEOUT) ./...
	$(GO) test -count=1 -race -timeout $(TESTTIMEOUT) ./layers ./spatial/...

bench: deps-test
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

clean:
	rm -rf bin
