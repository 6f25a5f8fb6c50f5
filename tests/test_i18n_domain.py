"""The book's own messages in the user's language: every refusal is one whole sentence of
the catalog with its values filled in after translating; data a command prints as JSON,
and the summaries the book stores for `history`, stay English."""

import csv
import io
import json

import pytest

from salesflow import gates, i18n, replica


@pytest.fixture
def marked(monkeypatch):
    """A stand-in catalog that marks every message it translates, «like this»: a sentence
    built from translated pieces would show several marks, a value filled in before
    translating would show inside a message the catalog could never hold."""
    monkeypatch.setattr(i18n, "_translate", lambda message: f"«{message}»")


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_missing_customer_is_one_translated_sentence_with_its_id(cli, marked):
    refused = cli("customer", "show", "#99", code=1)
    assert "«no customer #99»" in refused.stderr
    refused = cli("customer", "show", "nobody", code=1)
    assert "«no customer matches 'nobody'»" in refused.stderr


def test_an_ambiguous_customer_lists_the_candidates_inside_one_sentence(cli, marked):
    for number in range(1, 13):
        cli("customer", "add", f"Zhang {number:02d}")
    refused = cli("customer", "show", "Zhang", code=1)
    listed = ", ".join(f"#{number} Zhang {number:02d}" for number in range(1, 11))
    assert f"«'Zhang' matches 12 customers: «{listed} and 2 more»; use the #id»" in refused.stderr


def test_a_bad_amount_is_a_usage_error_in_the_users_language(cli, marked):
    cli("customer", "add", "华为")
    refused = cli("deal", "add", "华为", "Data centre", "--amount", "abc", code=2)
    assert "«cannot read amount 'abc': use a number like 1234.50»" in refused.stderr
    assert cli.json("deal", "list") == []


def test_a_closed_deal_says_how_it_closed_in_a_sentence_of_its_own(cli):
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "Won one", "--pipeline", "retail", "--stage", "purchase")
    cli("deal", "add", "华为", "Lost one", "--pipeline", "retail")
    cli("deal", "won", "1")
    cli("deal", "lost", "2", "--reason", "price")
    assert "Error: deal #1 is already won" in cli("deal", "won", "1", code=1).stderr
    refused = cli("deal", "lost", "2", "--reason", "again", code=1)
    assert "Error: deal #2 is already lost" in refused.stderr
    refused = cli("deal", "back", "2", "--reason", "oops", code=1)
    assert "deal #2 is lost; reopen it to move it back" in refused.stderr


def test_a_closed_deal_refusal_is_translated_whole(cli, marked):
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "Won one", "--pipeline", "retail", "--stage", "purchase")
    cli("deal", "won", "1")
    assert "«deal #1 is already won»" in cli("deal", "won", "1", code=1).stderr
    refused = cli("deal", "deposit", "1", "100", code=1)
    assert "«deal #1 is won; deposits are taken on open deals»" in refused.stderr


def test_the_won_gate_names_the_stage_and_the_open_checkpoints_in_one_sentence(cli, marked):
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "Data centre")
    refused = cli("deal", "won", "1", code=1)
    message = refused.stderr[refused.stderr.index("«deal #1 cannot be won yet") :]
    assert message.startswith(
        "«deal #1 cannot be won yet: it is at 'development', before its closing stage "
        "'negotiation'; required checkpoint not met: ["
    )
    sentence = message[: message.index("»")]  # one sentence, not pieces
    assert "«" not in sentence[1:] and "required checkpoint not met" in sentence
    cli("deal", "advance", "1", "--to", "negotiation", "--force", "--reason", "tender")
    refused = cli("deal", "won", "1", code=1)
    assert "«deal #1 cannot be won yet: required checkpoint not met: [" in refused.stderr
    assert "before its closing stage" not in refused.stderr


def test_a_unit_held_by_another_deal_says_how_it_is_held(cli, marked):
    cli("unit", "add", "A-1801", "--price", "2,560,000")
    cli("customer", "add", "张三")
    cli("customer", "add", "李四")
    cli("deal", "add", "张三", "A-1801 张三", "--pipeline", "showroom", "--unit", "A-1801")
    cli("deal", "deposit", "1", "50,000")
    refused = cli("deal", "add", "李四", "A-1801 李四", "--pipeline", "showroom",
                  "--unit", "A-1801", code=1)  # fmt: skip
    assert "«unit A-1801 is already reserved by deal #1»" in refused.stderr
    refused = cli("unit", "delete", "A-1801", "--yes", code=1)
    assert "«unit A-1801 is reserved by deal #1; it cannot be deleted»" in refused.stderr


def test_import_reasons_are_for_people_and_the_rejects_headers_stay(cli, tmp_path, marked):
    path = write(tmp_path / "c.csv", "name,urgency\nok,3\n,1\nloud,9\n")
    refused = cli("import", "customers", path, code=65)
    assert f"«2 invalid rows in {path}; nothing was imported»" in refused.stderr
    assert "«a customer needs a name»" in refused.stderr
    rejects = tmp_path / "rejects.csv"
    cli("import", "customers", path, "--skip-invalid", "--rejects", rejects)
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert rows[0][:2] == ["line", "reason"]
    assert [row[1] for row in rows[1:]] == [
        "«a customer needs a name»",
        "«urgency must be 1-5, not '9'»",
    ]


def test_one_invalid_row_is_said_in_the_singular(cli, tmp_path):
    path = write(tmp_path / "c.csv", "name,phone\nok,1\n,2\n")
    refused = cli("import", "customers", path, code=65)
    assert f"Error: 1 invalid row in {path}; nothing was imported" in refused.stderr


def test_a_history_file_imported_twice_is_named_by_its_kind(cli, tmp_path, marked):
    cli("customer", "add", "华为", "--ref", "M1")
    path = write(tmp_path / "s.csv", "customer_ref,date,amount\nM1,2026-03-01,100\n")
    cli("import", "sales", path)
    refused = cli("import", "sales", path, code=1)
    assert "«this sales file was already imported (import #1 of s.csv at " in refused.stderr
    assert ", 1 rows)»" in refused.stderr
    assert len(cli.json("sale", "list")) == 1


def test_a_duplicate_row_names_the_line_it_repeats(cli, tmp_path, marked):
    path = write(tmp_path / "c.csv", "name,ref\nA,R1\nB,R1\n")
    refused = cli("import", "customers", path, code=65)
    assert "«duplicate of line 2 with different data»" in refused.stderr


def test_history_keeps_the_english_summary_the_book_stores(cli, marked):
    cli("customer", "add", "华为")
    cli("customer", "edit", "华为", "--owner", "李娜")
    assert [change["summary"] for change in cli.json("history")] == [
        "edited customer #1",
        "added customer #1",
    ]


def test_stakeholder_gaps_stay_english_in_json_and_are_worded_on_request(cli, marked):
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "Data centre")
    cli("stakeholder", "add", "华为", "王总", "--role", "decision-maker")
    gaps = json.loads(cli("deal", "show", "1", "--format", "json").stdout)["gaps"]
    assert [gap["message"] for gap in gaps] == [
        "no coach (引线人) identified",
        "decision maker 王总 has no owner on our side",
    ]
    assert [gates.gap_message(gap) for gap in gaps] == [
        "«no coach (引线人) identified»",
        "«decision maker 王总 has no owner on our side»",
    ]


def test_litestream_failures_say_what_it_was_doing(marked):
    failure = replica._failure("restore", "Error: disk full")
    assert str(failure) == "«Litestream failed restoring the book: disk full»"


def test_a_bad_busy_timeout_is_refused_in_the_users_language(cli, monkeypatch, marked):
    monkeypatch.setenv("SALESFLOW_BUSY_TIMEOUT", "soon")
    refused = cli("customer", "add", "华为", code=2)
    assert "«SALESFLOW_BUSY_TIMEOUT must be a number of seconds, not 'soon'»" in refused.stderr


def test_a_pipeline_files_problems_name_where_they_are(cli, tmp_path, marked):
    path = write(tmp_path / "p.toml", 'name = "mine"\n[[stages]]\nkey = "a"\nlabel = 3\n')
    refused = cli("pipeline", "import", path, code=65)
    assert "««stage 'a'»: `label` must be text»" in refused.stderr
    assert cli.json("pipeline", "list")[-1]["name"] != "mine"
