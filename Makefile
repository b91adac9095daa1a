# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BROWSER_STAMP := tests/browser/node_modules/.installed

.PHONY: demo test test-long lint typecheck install bench gallery clean

$(STAMP): pyproject.toml constraints.txt
	@# WeasyPrint subsets fonts with HarfBuzz when libharfbuzz-subset is there (a gate pack renders in about
	@# half the time) and falls back to fontTools otherwise: installed when this machine can (Debian, root).
	@ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "installing the system package libharfbuzz-subset0 (apt-get, as root): faster PDF font subsetting" \
		&& apt-get install -y -q libharfbuzz-subset0 >/dev/null 2>&1 \
		|| echo "note: libharfbuzz-subset0 not installed (apt-get install libharfbuzz-subset0); PDF packs render slower"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $(STAMP)

# The browser test (tests/flows/test_ui.py) drives the Prefect UI in Debian's chromium (a system package:
# installed when this machine can) with playwright-core from npm (pinned in tests/browser/package-lock.json).
$(BROWSER_STAMP): tests/browser/package-lock.json
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "installing the system package chromium (apt-get, as root): the browser the Prefect UI test drives" \
		&& apt-get install -y -q chromium >/dev/null 2>&1 \
		|| echo "note: /usr/bin/chromium not installed (apt-get install chromium); the browser test will be skipped"; }
	@if command -v npm >/dev/null; then npm ci --prefix tests/browser --no-audit --no-fund --silent \
		&& touch $(BROWSER_STAMP); else echo "note: npm not found; the browser test will be skipped"; fi

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/governance demo

lint: $(STAMP)
	$(BIN)/ruff check models governance flows cli tests bench
	$(BIN)/ruff format --check models governance flows cli tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The kill -9 trials (tests/crash, marker `long`: 15-25 minutes of real processes) run in CI beside the
# suite (.ci/run) and by `make test-long`; `make test` runs everything else.
test: $(STAMP) $(BROWSER_STAMP) lint typecheck
	$(BIN)/python -m pytest -m "not long"

test-long: $(STAMP)
	$(BIN)/python -m pytest -m long -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

# docs/gallery/*.png: a page of each kind of pack, from the demo (docs/gallery.py). pdftoppm comes from the
# system package poppler-utils: installed when this machine can (Debian, root).
gallery: $(STAMP)
	@command -v pdftoppm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& echo "installing the system package poppler-utils (apt-get, as root): pdftoppm renders the pages" \
		&& apt-get install -y -q poppler-utils >/dev/null 2>&1 \
		|| echo "note: poppler-utils not installed (apt-get install poppler-utils); the gallery needs pdftoppm"; }
	$(BIN)/python docs/gallery.py

clean:
	rm -rf $(VENV) .governance governance.db out
