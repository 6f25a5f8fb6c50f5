"""Every test gets its own database file and a fixed "today"."""

import json
import shutil
from datetime import date

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
