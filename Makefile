# Strata build entry points. `make run` sets up and starts one broker; `make test` runs every test.
SHELL := /bin/bash
ARGS ?=

# Every recipe (npm, npx, tsc, mocha, the broker, benchmarks) runs on Node >= 24: scripts/node.sh prints the
# directory of the `node` on PATH when it is already 24+, otherwise installs the pinned Node 24 into ~/.cache
# once. npm and npx themselves are the system's, started by that node through PATH.
ifneq ($(MAKECMDGOALS),clean)
NODE_BIN := $(shell bash scripts/node.sh)
$(if $(NODE_BIN),,$(error scripts/node.sh could not provide Node >= 24 (see the message above)))
export PATH := $(NODE_BIN):$(PATH)
endif

.PHONY: setup build gen test test-deps test-k8s unit e2e run start run-cluster bench bench-tier clean

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

setup: node_modules/.package-lock.json

build: setup
	npx tsc -p .
	npx tsc -p console/web

gen: setup
	npm run gen:protocol

# Test peers: kcat (librdkafka) and promtool from Debian, the Kafka Java client from Maven Central, moto (S3)
# from PyPI, etcd/kube-apiserver/kube-controller-manager/kubectl/helm built from the Go module proxy (cached in ~/.cache).
# The real-pods suite (e2e/k8s) adds containerd, runc, CNI plugins, podman/buildah, mmdebstrap and catatonit from
# Debian, and kubelet/kube-scheduler/kube-proxy/CoreDNS from the Go module proxy (cached in ~/.cache).
K8S_DEBS := containerd runc containernetworking-plugins podman buildah mmdebstrap catatonit nftables
# The console's browser tests (e2e/console) drive Debian's chromium through playwright-core; fonts-liberation
# gives screenshots readable text.
CONSOLE_DEBS := chromium fonts-liberation
# Installs the Debian packages $(1) unless all of them are installed already.
apt_ensure = @[ "$$(dpkg-query -W -f='$${db:Status-Status}\n' $(1) 2>/dev/null | grep -c '^installed$$')" = "$(words $(1))" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1); }
test-deps: setup
	@command -v kcat >/dev/null && command -v promtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kcat prometheus; }
	$(call apt_ensure,$(K8S_DEBS))
	$(call apt_ensure,$(CONSOLE_DEBS))
	bash e2e/java/install.sh
	bash bench/java/install.sh
	bash e2e/tier/install.sh >/dev/null
	bash e2e/franz-go/install.sh >/dev/null
	GO_BUILD_JOBS=2 bash operator/scripts/kube-tools/build.sh
	GO_BUILD_JOBS=2 bash operator/scripts/kube-tools/build.sh node

test: test-deps build
	npx mocha

# The operator and brokers in pods on a single-node cluster with real containers (root; also part of `make test`).
test-k8s: test-deps build
	npx mocha --no-config --timeout 120000 --exit --reporter spec 'dist/e2e/k8s/**/*.test.js'

unit: build
	npx mocha 'dist/broker/test/**/*.test.js'

e2e: test-deps build
	npx mocha 'dist/e2e/**/*.test.js'

run start: build
	broker/bin/strata $(ARGS)

# Three brokers on localhost:9092-9094 (metrics 9644-9646), data under ./data/broker-<id>, one shared local
# object store ./data/object-store; Ctrl-C stops all. ARGS are added to every broker's flags.
run-cluster: build
	bash scripts/run-cluster.sh $(ARGS)

bench: build
	bash e2e/java/install.sh
	bash bench/java/install.sh
	node dist/bench/produce-fetch.js $(ARGS)
	node dist/bench/e2e-latency.js
	node dist/bench/transactions.js

bench-tier: build
	bash e2e/tier/install.sh >/dev/null
	bash e2e/franz-go/install.sh >/dev/null
	node dist/bench/tier.js $(ARGS)

clean:
	rm -rf dist .tmp
