"""Every test gets its own database file and a fixed "today"."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from salesflow import db
from salesflow.cli import app

TODAY = date(2026, 3, 16)  # a Monday


@pytest.fixture(autouse=True, scope="session")
def app_converted_once():
    """Typer's CliRunner converts the whole command tree on every invoke; the tree never
    changes during the tests, so convert it once (this halves the suite's time)."""
    import typer.testing
    from typer.main import get_command

    original = getattr(typer.testing, "_get_command", None)
    if original is None:
        yield
        return
    built: dict[int, object] = {}

    def converted(typer_app):
        if id(typer_app) not in built:
            built[id(typer_app)] = get_command(typer_app)
        return built[id(typer_app)]

    typer.testing._get_command = converted
    yield
    typer.testing._get_command = original


@pytest.fixture(autouse=True)
def isolated_book(tmp_path, monkeypatch):
    path = tmp_path / "book" / "salesflow.db"
    monkeypatch.setenv("SALESFLOW_DB", str(path))
    monkeypatch.setenv("SALESFLOW_TODAY", TODAY.isoformat())
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("SALESFLOW_LANG", "en")  # whatever the machine's locale
    monkeypatch.delenv("SALESFLOW_BUSY_TIMEOUT", raising=False)
    return path


@pytest.fixture
def old_book(tmp_path):
    """A copy of a book the first release wrote, to upgrade."""
    from books import M001_BOOK

    path = tmp_path / "old-book.db"
    shutil.copyfile(M001_BOOK, path)
    return path


@pytest.fixture
def conn(isolated_book):
    connection = db.open_db(isolated_book, write=True)
    yield connection
    connection.close()


class Cli:
    """Runs salesflow in-process; `json()` parses stdout of a `--format json` call."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, code: int | None = 0):
        result = self.runner.invoke(app, [str(arg) for arg in args], input=input)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--format", "json").stdout)


@pytest.fixture
def cli():
    return Cli()


# Runs the commands given as JSON in one process, in the language the environment
# chooses, and prints one JSON result per command (stdout and stderr as text).
RUNNER = """\
import io, json, os, sys
from salesflow import i18n
if os.environ.get("TEST_CATALOG"):
    i18n.catalog_path = lambda language: os.environ["TEST_CATALOG"]
from salesflow.cli.typer_i18n import prepare
prepare(i18n.choose_language([], os.environ))
from salesflow.cli import startup
results = []
real_stdout = sys.stdout
for args in json.loads(sys.argv[1]):
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    try:
        startup.main(args)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 0
    sys.stdout.flush()
    sys.stderr.flush()
    results.append({"code": code, "stdout": out.getvalue().decode("utf-8"),
                    "stderr": err.getvalue().decode("utf-8")})
real_stdout.write(json.dumps(results))
"""


@pytest.fixture
def run(tmp_path, isolated_book):
    """Run commands in a fresh process: run(language, [args, …], catalog=None)."""
    runner = tmp_path / "run_salesflow.py"
    runner.write_text(RUNNER, encoding="utf-8")

    def run(language: str, commands: list[list[str]], catalog: Path | None = None):
        environ = {
            key: value
            for key, value in os.environ.items()
            if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "TEST_CATALOG")
        }
        environ.update(SALESFLOW_LANG=language, SALESFLOW_DB=str(isolated_book), COLUMNS="200")
        if catalog is not None:
            environ["TEST_CATALOG"] = str(catalog)
        done = subprocess.run(
            [sys.executable, str(runner), json.dumps(commands)],
            capture_output=True,
            text=True,
            env=environ,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run
