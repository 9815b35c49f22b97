# One install step behind both targets: .venv with torch pinned by constraints.txt.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: install run test bench clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv .venv
	$(PY) -m pip install -q --upgrade pip
	PIP_CONSTRAINT=constraints.txt $(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

run: install
	$(PY) -m explorer.cli --port 8501

test: install
	@command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || \
	  (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || \
	  echo "could not install chromium; the browser test will say so"
	$(PY) -m pytest

bench: install
	$(PY) bench/playground_bench.py

clean:
	rm -rf .venv build *.egg-info
