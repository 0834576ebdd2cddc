# The two commands: `make run` (the product on SQLite with a demo city) and `make test` (the whole suite).
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | sha1sum | cut -c1-12)
PORT ?= 5000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup lint format bench clean

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

instance/dev.env: | $(STAMP)
	$(BIN)/python -m bot.dev.env_file $@

# make run is development: instance/dev.env is read only when the environment says so (never on a production host).
run: export ZHIYONG_ENV := development
run: $(STAMP) instance/dev.env
	$(BIN)/flask --app bot db upgrade
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/flask --app bot demo seed --logins-file instance/demo-logins.txt
	PORT=$(PORT) $(BIN)/python -m bot.dev.run

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/webhook.py

clean:
	rm -rf $(VENV) .pytest_cache

# Issue 9: every benchmark side by side, and the load and soak runs (loopback only, bounded, outside `make test`).
.PHONY: bench-all load soak

bench-all: $(STAMP)
	$(BIN)/python bench/run_all.py

load: $(STAMP)
	$(BIN)/python bench/load.py --rate 200 --seconds 60

soak: $(STAMP)
	$(BIN)/python bench/soak.py --minutes 10 --rate 10
