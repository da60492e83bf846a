# berth — a Docker-compatible container engine.
GO      ?= go
TAGS    := seccomp
BIN     := bin
export CGO_ENABLED := 1

.PHONY: build test unit lint demo bench clean

build: ## Build bin/berth, bin/berthd (the daemon alone), bin/berth-swarmd (swarm mode, on SwarmKit with third_party/swarmkit patches), bin/berth-shim and the bin/docker symlink
	$(GO) build -tags $(TAGS) -o $(BIN)/berth ./cmd/berth
	$(GO) build -tags $(TAGS) -o $(BIN)/berthd ./cmd/berthd
	GOWORK=$$(GO=$(GO) ./scripts/swarmkit-fork.sh) $(GO) build -tags $(TAGS) -o $(BIN)/berth-swarmd ./cmd/berth-swarmd
	$(GO) build -tags $(TAGS) -trimpath -ldflags '-s -w' -o $(BIN)/berth-shim ./cmd/berth-shim
	ln -sf berth $(BIN)/docker

test: ## Everything: deps, build, vet, unit and root integration tests
	./scripts/test.sh

unit: ## Unit tests only (no root needed)
	$(GO) test -tags $(TAGS) ./...

lint: ## gofmt and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet -tags $(TAGS) ./...

demo: ## Set up the machine, start a daemon and serve a page from a container
	./scripts/demo.sh

bench: build ## Side-by-side benchmarks against Docker Engine (engine, network, volumes, build, distribution, operations, compose, swarm)
	./bench/run.sh
	./bench/network.sh
	./bench/volumes.sh
	./bench/df.sh
	./bench/build.sh
	./bench/distribution.sh
	./bench/ops.sh
	./bench/compose.sh
	./bench/swarm.sh

clean: ## Remove build output
	rm -rf $(BIN)
