# The README's two commands: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup bench clean

$(BIN)/sweepdeck: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,ray,tensorboard,mlflow]'  # ray: tests/test_ray.py runs a real Ray cluster; tensorboard, mlflow: tests/test_export.py
	touch $@

setup: $(BIN)/sweepdeck

demo: setup
	$(BIN)/sweepdeck run configs/quick.json

test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup  # loadgroup: tests/test_ray.py shares one cluster

bench: setup
	$(BIN)/python bench/engine_vs_plain.py

clean:
	rm -rf $(VENV) runs
