# ioc-vision: the two commands a user needs are `make demo` and `make test`.
SHELL := /bin/bash
export ONNXRUNTIME_NODE_INSTALL := skip

.PHONY: deps demo test lint typecheck unit integration bench eval clean

node_modules/.installed: package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $@

deps: node_modules/.installed
	@bash scripts/install-system-deps.sh

## Runs the whole platform on embedded defaults: simulated cameras playing real footage, ingest, workers, API, dashboard.
demo: deps
	node bin/ioc-vision.mjs demo

## Lint, typecheck and every test (unit + integration against real Redis, Postgres, ffmpeg, RTSP, S3 and models).
test: deps
	npm run lint
	npm run typecheck
	npx vitest run

lint: deps
	npm run lint

typecheck: deps
	npm run typecheck

unit: deps
	npx vitest run --project unit

integration: deps
	npx vitest run --project integration

bench: deps
	npm run bench

eval: deps
	npm run eval

clean:
	rm -rf node_modules var bench/out
