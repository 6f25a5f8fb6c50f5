"""Hostile input through the CLI: stored and printed literally, or refused cleanly."""

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from salesflow.cli import app

from .conftest import TODAY

FUZZ = settings(max_examples=60, deadline=None)
NASTY = st.sampled_from(
    [
        "[bold]x[/bold]",
        ":smile:",
        "[red]",
        "\x1b[31mred\x1b[0m",
        "'; DROP TABLE customers; --",
        "Robert'); DELETE FROM sales;--",
        "=1+1",
        "@SUM(A1)",
        "-2+3",
        "\u202eevil",
        "a\tb",
        "a\nb",
        "🎉 客户",
        "\\N",
        "NULL",
        "%s%s%n",
        "{0}",
        "<script>",
        "x" * 5000,
        "￥",
        "‮",
    ]
)
TEXT = st.one_of(
    NASTY,
    st.text(min_size=1, max_size=60),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=20),
)


@contextmanager
def fresh_book() -> Iterator[Callable[..., Result]]:
    """salesflow on a new, empty file. Hypothesis runs every example inside one call of the
    test function, so a pytest fixture would hand all of them the same book."""
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "hostile.db"

        def call(*args: str, expect: int | None = None) -> Result:
            result = runner.invoke(app, ["--db", str(db), *args], env={"SALESFLOW_TODAY": TODAY})
            assert not (result.exception and not isinstance(result.exception, SystemExit)), (
                args,
                result.exception,
            )
            assert "Traceback" not in result.stderr
            assert result.exit_code in (0, 1, 2, 65), (args, result.exit_code, result.stderr)
            if result.exit_code:
                assert result.stderr.splitlines()[-1].startswith("Error"), result.stderr
            if expect is not None:
                assert result.exit_code == expect, (args, result.exit_code, result.stderr)
            return result

        yield call


@FUZZ
@given(name=TEXT, notes=TEXT)
def test_hostile_names_and_notes_are_stored_and_printed_literally(name, notes):
    with fresh_book() as invoke:
        check_names_and_notes(invoke, name, notes)


def check_names_and_notes(invoke: Callable[..., Result], name: str, notes: str) -> None:
    added = invoke("customer", "add", f"--notes={notes}", "--format", "json", "--", name)
    if added.exit_code:
        assert not name.strip() or "\x00" in name + notes
        return
    record = json.loads(added.stdout)
    assert record["name"] == name.strip() and record["notes"] == (notes.strip() or None)
    shown = json.loads(invoke("customer", "show", f"#{record['id']}", "--format", "json").stdout)
    assert shown["name"] == record["name"]
    listed = json.loads(invoke("customer", "list", "--format", "json", expect=0).stdout)
    assert [customer["id"] for customer in listed] == [record["id"]]  # a book of its own
    table = invoke("customer", "list", expect=0).stdout
    assert "\x1b" not in table


@FUZZ
@given(
    value=st.one_of(
        NASTY,
        st.text(max_size=30),
        st.sampled_from(
            [
                "2026-02-30",
                "2026-13-01",
                "13/03/2026",
                "+999999d",
                "-99999y",
                "2026年13月1日",
                "0000-01-01",
                "9999-12-31",
                "+1x",
                "tomorrow!",
                "",
                " ",
                "٢٠٢٦-٠٣-٠٥",
            ]
        ),
    )
)
def test_malformed_dates_are_usage_errors_and_change_nothing(value):
    with fresh_book() as invoke:
        invoke("customer", "add", "c", "--ref", "C", expect=0)
        invoke("log", "C", "visit", expect=0)
        before = json.loads(invoke("contact", "list", "--format", "json", expect=0).stdout)
        result = invoke("log", "C", "call", "--next", value)
        contacts = json.loads(invoke("contact", "list", "--format", "json", expect=0).stdout)
        if result.exit_code:
            assert result.exit_code == 2
            assert contacts == before
        else:
            assert len(contacts) == len(before) + 1


@FUZZ
@given(
    amount=st.one_of(
        NASTY,
        st.text(max_size=20),
        st.sampled_from(
            [
                "-1",
                "1e9",
                "1.234",
                "NaN",
                "inf",
                "1,2,3",
                "¥-5",
                "1..2",
                "０",
                "99999999999999999",
                "",
            ]
        ),
    )
)
def test_malformed_amounts_are_usage_errors_and_change_nothing(amount):
    with fresh_book() as invoke:
        invoke("customer", "add", "c", "--ref", "C", expect=0)
        invoke("sale", "add", "C", "--amount", "5", expect=0)
        before = json.loads(invoke("sale", "list", "--format", "json", expect=0).stdout)
        result = invoke("sale", "add", "C", "--amount", amount, "--format", "json")
        sales = json.loads(invoke("sale", "list", "--format", "json", expect=0).stdout)
        if result.exit_code:
            assert result.exit_code == 2 and sales == before
        else:
            assert json.loads(result.stdout)["amount"] >= 0
            assert len(sales) == len(before) + 1


CELLS = st.one_of(
    NASTY,
    st.text(max_size=40),
    st.sampled_from(
        ['"quoted"', "a,b", "line\nbreak", "nul\x00byte", "\r", '"', ",,,", '=HYPERLINK("x")']
    ),
)


@FUZZ
@given(rows=st.lists(st.tuples(CELLS, CELLS), min_size=1, max_size=5))
def test_hostile_csv_cells_import_literally_or_not_at_all(rows):
    with fresh_book() as invoke, tempfile.TemporaryDirectory() as folder:
        check_csv_cells(invoke, Path(folder) / "hostile.csv", rows)


def check_csv_cells(invoke: Callable[..., Result], path: Path, rows: list[tuple[str, str]]) -> None:
    invoke("customer", "add", "already here", expect=0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "notes"])
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    before = json.loads(invoke("customer", "list", "--format", "json", expect=0).stdout)
    result = invoke("import", "customers", str(path), "--on-duplicate", "skip")
    after = json.loads(invoke("customer", "list", "--format", "json", expect=0).stdout)
    if result.exit_code:
        assert after == before  # all or nothing
        return
    stored = {(c["name"], c["notes"]) for c in after}
    for name, notes in rows:
        if name.strip() and "\x00" not in name + notes:
            assert any(stored_name == name.strip() for stored_name, _ in stored)
    exported = invoke("export", "customers", expect=0).stdout
    for line in csv.reader(io.StringIO(exported)):
        for cell in line:
            assert not cell.startswith(("=", "+", "@", "\t", "\r", "＝", "＋", "＠")) or (
                cell.lstrip("+-").replace(".", "", 1).isdigit()
            )
