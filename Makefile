# onemap: `make run` starts the server with the demo data; `make test` runs every test.
# Both install what they need first (scripts/deps.sh).
export PATH := $(PATH):/usr/local/go/bin
GO      ?= go
BIN     := bin/onemap
ADDR    ?= :8080
DATA    ?= ./data/onemap.gpkg
TESTTIMEOUT ?= 30m

.PHONY: run test build deps deps-test bench lint clean fuzz

run: deps build
	./$(BIN) serve --addr $(ADDR) --data $(DATA) --as-of 2025-12-31 --demo --auth cmd/onemap/demo-auth.json

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

# make fuzz runs every go test -fuzz target for FUZZTIME each (one worker:
# the machine is shared); make test runs their seed corpora as plain tests.
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	./layers:FuzzParseCatalog ./layers/codec:FuzzDecodeFeature ./layers/codec:FuzzMarshalJSON ./layers/gpkg:FuzzGeoPackageBlob \
	./spatial/wkt:FuzzParse ./spatial/inputgeom:FuzzReadGeoJSON ./spatial/coordfile:FuzzParse \
	./spatial/cql2:FuzzParseText ./spatial/cql2:FuzzParseJSON ./api:FuzzTileAddress
fuzz: deps-test
	@for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t#*:}; echo "== $$pkg $$name ($(FUZZTIME))"; \
	  $(GO) test $$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -parallel 1 || exit 1; \
	done

clean:
	rm -rf bin
