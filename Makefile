# beian-audit — every target here is what CI and developers run.
.DEFAULT_GOAL := help
CARGO ?= cargo
VENV := .venv
PY := $(VENV)/bin/python

help: ## List targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

BEIAN := $(CARGO) run --locked --release --quiet --bin beian --
DEMO := results/demo

demo: ## Build; audit the simulated fleet on day 1 (a week ago) and day 2 (today) into a history; report day 2 against day 1
	rm -rf $(DEMO)
	$(BEIAN) demo --day 1 --as-of $$(date -u -d '7 days ago' +%F) --history $(DEMO) --quiet
	$(BEIAN) demo --day 2 --history $(DEMO)
	$(BEIAN) report --history $(DEMO) --split-by owner --out $(DEMO)/report

VENV_STAMP := $(VENV)/.installed

$(VENV_STAMP): tests/requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $@

pyenv: $(VENV_STAMP) ## Python venv with the independent readers the tests use (pyarrow, Polars, DuckDB, PySpark)

java: ## A Java runtime for Spark: Debian's openjdk-17-jre-headless, installed when missing
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }

chromium: ## Debian's chromium (rendering, screenshots, the report's rendering test) and a Chinese font, installed when missing
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }
	@fc-list :lang=zh 2>/dev/null | grep -q . || { apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei; }

nginx: ## Debian's nginx (nginx-light) for the tests and bench that serve the fleet's export, installed when missing
	@command -v nginx >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }

test: $(VENV_STAMP) java chromium nginx fuzz-check ## Run the whole test suite (unit, property, end-to-end against the fleet)
	BEIAN_PYTHON=$(abspath $(PY)) $(CARGO) test --workspace --locked

fuzz-check: ## Compile the cargo-fuzz targets (fuzz/, outside the workspace)
	cd fuzz && $(CARGO) check --locked --bins

lint: ## rustfmt and clippy, warnings as errors
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

doc: ## API docs, warnings as errors
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace --locked

.PHONY: help demo pyenv java chromium nginx test fuzz-check lint doc bench bench-fleet bench-nginx bench-render bench-report bench-latency bench-scale bench-shards edge-data

bench: bench-fleet ## All benchmarks: hot path (criterion), then the 10,000-domain fleet
	$(CARGO) bench --locked --bench hot_path

bench-fleet: ## Audit 10,000 simulated domains; the same URLs with curl and a minimal client
	$(CARGO) bench --locked --bench fleet -- --domains 10000 --concurrency 256

bench-report: ## The report over two synthetic runs of 1,000,000 sites: wall time and peak RSS
	$(CARGO) bench --locked --bench report -- --sites 1000000

bench-shards: ## 10,000 simulated domains: one process, four shards, and one process writing to S3 (moto) on loopback
	$(CARGO) bench --locked --bench shards -- --domains 10000 --concurrency 256

bench-nginx: nginx ## 10,000 simulated domains served by Debian's nginx (installed when missing): requests, connections, handshakes, CPU
	$(CARGO) bench --locked --bench nginx -- --domains 10000 --concurrency 256

bench-render: chromium ## 200 sites whose footers scripts write, rendered in headless Chromium: renders/s, CPU per render
	$(CARGO) bench --locked --bench render -- --domains 200

bench-latency: ## Audit 10,000 and 100,000 simulated domains at internet latency (mainland, overseas) at concurrency 256, 1,024, 4,096
	$(CARGO) bench --locked --bench latency -- --domains 10000,100000 --concurrency 256,1024,4096 --profiles 'mainland;overseas'

bench-scale: ## Audit 100,000 simulated domains: peak RSS and throughput at scale
	$(CARGO) bench --locked --bench fleet -- --domains 100000 --concurrency 256 --no-curl --no-minimal

CDNCHECK_URL := https://raw.githubusercontent.com/projectdiscovery/cdncheck/main/sources_data.json

edge-data: ## Refresh datasets/edge/cdncheck.json from projectdiscovery/cdncheck (needs the internet; then date it in datasets/edge/README.md)
	curl -fsSL $(CDNCHECK_URL) -o datasets/edge/sources_data.json.tmp
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump({k: d[k] for k in ("cdn","waf","common")}, open(sys.argv[2],"w"), ensure_ascii=False, separators=(",",":"), sort_keys=True)' datasets/edge/sources_data.json.tmp datasets/edge/cdncheck.json
	rm -f datasets/edge/sources_data.json.tmp
