# talkbook — every command creates/refreshes .venv first, so a fresh clone needs nothing else.
SHELL      := /bin/bash
PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed
HOST       ?= 127.0.0.1
PORT       ?= 8000
HTML       := _build/html
JB_FLAGS   := -W -n --keep-going
JOBS       ?= auto
PYTEST_ARGS ?=

.PHONY: install build serve test lab bench bench-quick search-eval check clean chromium

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  [ "$$(id -u)" = 0 ] && echo "Installing python3-venv from Debian's packages..." && rm -rf $(VENV) && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && \
	  $(PYTHON) -m venv $(VENV); } || { echo "Cannot create .venv: install python3-venv (sudo apt-get install -y python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## build: the book, strictly (warnings are errors), into _build/html, on every core (JOBS=1: serial)
build: install
	$(BIN)/python scripts/build_parallel.py . -j $(JOBS) $(JB_FLAGS)

# The server `make serve` runs: the first free port from PORT on (PORT..PORT+19), the URL
# printed only once the port is ours, a clean message (no traceback) when none is free.
define SERVE_PY
import functools, http.server, sys
host, first, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
for port in range(first, first + 20):
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
        break
    except OSError:
        continue
else:
    sys.exit(f"Ports {first}-{first + 19} on {host} are all in use: stop the other server, or choose a port: make serve PORT=9000")
if port != first:
    print(f"  Port {first} is in use; serving on port {port} instead.")
print(f"\n  talkbook is served at http://{host}:{port}/   (Ctrl+C to stop)\n", flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    print("\n  stopped.")
endef
export SERVE_PY

## serve: build, then serve the book on http://127.0.0.1:8000 (or the next free port)
serve: build
	@$(BIN)/python -c "$$SERVE_PY" $(HOST) $(PORT) $(HTML)

## chromium: Debian's Chromium and Korean fonts for the browser tests (installed when missing and root)
chromium:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=ko 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Chromium and Korean fonts (Noto CJK) from Debian's packages..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else \
	  echo "Chromium or a Korean font is missing and you are not root: run 'sudo apt-get install -y chromium fonts-noto-cjk'."; \
	  echo "Browser tests will be skipped until then."; \
	fi

## test: every test (builds the real book once, runs the notebooks, drives Chromium)
test: install chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## check: fast checks of notes and catalog, without building
check: install
	$(BIN)/talkbook check

## lab: JupyterLab with jupytext, so the MyST notebooks in book/demos open as notebooks
##      (as root, e.g. in a container, it passes --allow-root, which Jupyter asks for)
lab: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-lab.txt
	$(BIN)/jupyter lab book/demos $$([ "$$(id -u)" = 0 ] && echo --allow-root)

## search-eval: stock Sphinx, talkbook.search and Pagefind side by side (recall@5, MRR,
##              zero results, latency per query kind; index size) on the book and, when
##              present, the foreign corpus ../shared/corpora/tensorflow-docs-ko
search-eval: install chromium
	$(BIN)/python scripts/search_eval.py

## bench: build-time and size benchmark on synthetic books (QUICK=1 for N=100,500;
##        BENCH_ARGS="--sizes 1000 --variants ours" etc., see scripts/bench.py --help)
bench: install chromium
	$(BIN)/python scripts/bench.py $(if $(QUICK),--quick,) $(BENCH_ARGS)

clean:
	rm -rf _build
