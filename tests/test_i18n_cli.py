"""The command line in the user's language: what people read goes through the catalog,
what machines read (JSON, CSV, exports) is the same byte for byte in every language.

Typer reads gettext when it is imported, so a language is chosen in a fresh process: each
test runs salesflow in one subprocess (a few commands in a row), with the shipped catalog
or with a small test catalog whose translations are known here, so the tests check the
wiring whatever the shipped catalog holds today.
"""

import json
import os
import subprocess
import sys
from datetime import date

import pytest

from salesflow import db, i18n, reminders, settings
from salesflow.choices import REMINDER_KINDS

# What the test catalog says: each message as the code writes it, and a translation.
TEST_TRANSLATIONS = {
    "{kind}: {count} due": "{kind}：{count} 项到期",
    "follow-up": "跟进",
    "stale-deal": "停滞商机",
    "Customer": "客户",
    "Detail": "详情",
    "Due": "到期",
    "follow-up planned at the contact of {date}": "{date} 联系时约定的跟进",
    "{title}: in {stage} since {date} (max {days} days)": (
        "{title}：自 {date} 起在{stage}阶段（最多 {days} 天）"
    ),
    "line {line}: {reason}": "第 {line} 行：{reason}",
    "hint: {text}": "提示：{text}",
    "Error: {message}": "错误：{message}",
    "Added customer #{id} {name}": "已添加客户 #{id} {name}",
    "Stage": "阶段",
}


@pytest.fixture(scope="module")
def test_catalog(tmp_path_factory):
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    catalog = Catalog(locale="zh", domain="salesflow")
    for message, translation in TEST_TRANSLATIONS.items():
        catalog.add(message, translation)
    path = tmp_path_factory.mktemp("catalog") / "salesflow.mo"
    with path.open("wb") as compiled:
        write_mo(compiled, catalog)
    return path


def follow_up_book(cli):
    cli("customer", "add", "张三", "--created", "2025-01-01")
    cli("log", "张三", "call", "--at", "2026-03-10", "--next", "2026-03-15")


# ---------------------------------------------------------------- what people read


def test_the_remind_table_reads_in_the_catalogs_language(cli, run, test_catalog):
    follow_up_book(cli)
    chinese, english = (run(language, [["remind"]], test_catalog)[0] for language in ("zh", "en"))
    assert chinese["code"] == english["code"] == 0
    lines = chinese["stdout"].splitlines()
    assert lines[0] == "跟进：1 项到期"
    assert lines[1].split()[:3] == ["Key", "#", "客户"] and "详情" in lines[1]
    assert "2026-03-10 联系时约定的跟进" in lines[2]
    assert "follow-up planned" not in chinese["stdout"]
    english_lines = english["stdout"].splitlines()
    assert english_lines[0] == "follow-up: 1 due"
    assert "Customer" in english_lines[1] and "Detail" in english_lines[1]
    assert "follow-up planned at the contact of 2026-03-10" in english_lines[2]


def test_a_stalled_deal_names_its_stage_by_the_chinese_label(cli, run, test_catalog):
    cli("customer", "add", "华为", "--created", "2025-01-01")
    cli("deal", "add", "华为", "Cabling")  # key-account, development: max 30 days
    commands = [["remind", "--kind", "stale-deal", "--as-of", "2026-05-01"]]
    shown = run("zh", commands, test_catalog)[0]["stdout"]
    assert shown.startswith("停滞商机：1 项到期\n")
    assert "Cabling：自 2026-03-16 起在开发阶段（最多 30 天）" in shown
    english = run("en", commands)[0]["stdout"]
    assert "Cabling: in development since 2026-03-16 (max 30 days)" in english


def test_deal_tables_name_built_in_stages_in_chinese(cli, run, test_catalog):
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "Cabling")
    listing, pipeline, as_csv = run(
        "zh",
        [
            ["deal", "list"],
            ["pipeline", "show", "key-account"],
            ["deal", "list", "--format", "csv"],
        ],
        test_catalog,
    )
    assert "阶段" in listing["stdout"].splitlines()[0]
    assert "开发" in listing["stdout"].splitlines()[1]
    assert "development" not in listing["stdout"]
    assert "立项" in pipeline["stdout"]
    assert ",development," in as_csv["stdout"]  # CSV keeps the stage key


def test_a_confirmation_is_one_translated_sentence(run, test_catalog):
    done = run("zh", [["customer", "add", "王五"]], test_catalog)[0]
    assert done["code"] == 0
    assert done["stderr"] == "已添加客户 #1 王五\n"


def test_a_refused_import_reports_its_rows_and_error_in_the_language(run, test_catalog, tmp_path):
    bad = tmp_path / "members.csv"
    bad.write_text("name,phone,tier\n张三,13800138000,A\n,13900139000,Q\n", encoding="utf-8")
    chinese, english = (
        run(language, [["import", "customers", str(bad)]], test_catalog)[0]
        for language in ("zh", "en")
    )
    assert chinese["code"] == english["code"] == 65
    assert chinese["stdout"] == english["stdout"] == ""
    chinese_lines = chinese["stderr"].splitlines()
    english_lines = english["stderr"].splitlines()
    assert len(chinese_lines) == len(english_lines)
    rows = [line for line in english_lines if line.startswith("line ")]
    assert rows and all(line.startswith("line 3: ") for line in rows)
    assert [line for line in chinese_lines if line.startswith("第 3 行：")] != []
    assert not any(line.startswith("line ") for line in chinese_lines)
    assert english_lines[-1].startswith("Error: ")
    assert chinese_lines[-1].startswith("错误：")
    hints = [line for line in english_lines if line.startswith("hint: ")]
    assert len([line for line in chinese_lines if line.startswith("提示：")]) == len(hints)


# ---------------------------------------------------------------- what machines read


def test_reminder_json_carries_no_detail_parts(cli):
    follow_up_book(cli)
    items = cli.json("remind")
    assert len(items) == 2  # the follow-up, and no purchase yet
    assert all(list(item) == list(reminders.REMINDER_KEYS) for item in items)
    assert items[0]["detail"] == "follow-up planned at the contact of 2026-03-10"
    brief = cli.json("remind", "--brief")
    assert "detail_args" not in brief["kinds"][0]["items"][0]


MACHINE_COMMANDS = [
    ["remind", "--format", "json", "--days-ahead", "30"],
    ["remind", "--format", "csv", "--days-ahead", "30", "--all"],
    ["remind", "--brief", "--format", "json"],
    *(
        ["export", kind, "--format", fmt]
        for kind in ("customers", "products", "sales", "contacts", "deals", "returns")
        for fmt in ("csv", "json")
    ),
    ["customer", "list", "--format", "csv"],
    ["deal", "list", "--format", "json"],
    ["deal", "show", "1", "--format", "csv"],
    ["pipeline", "show", "key-account", "--format", "csv"],
    ["tiers", "--format", "csv"],
    ["report", "sales", "--format", "json", "--compare", "prev"],
    ["report", "funnel", "--format", "csv"],
    ["config", "list", "--format", "json"],
    ["history", "--format", "json"],
]


@pytest.mark.parametrize("catalog", ["shipped", "test"])
def test_json_csv_and_exports_are_the_same_in_both_languages(run, test_catalog, catalog):
    chosen = test_catalog if catalog == "test" else None
    assert run("en", [["demo", "--customers", "40"]])[0]["code"] == 0
    chinese = run("zh", MACHINE_COMMANDS, chosen)
    english = run("en", MACHINE_COMMANDS)
    for args, zh, en in zip(MACHINE_COMMANDS, chinese, english, strict=True):
        assert (zh["code"], zh["stdout"]) == (en["code"], en["stdout"]), args
        assert en["code"] == 0 and en["stdout"], args
    json.loads(english[0]["stdout"])


# ---------------------------------------------------------------- the detail's parts


@pytest.fixture
def demo_book(run, isolated_book):
    assert run("en", [["demo", "--customers", "120"]])[0]["code"] == 0
    conn = db.open_db(isolated_book, write=True)
    with db.change(conn, "config set") as change:
        settings.set_value(change, "remind.slipping", "on")
    yield conn
    conn.close()


def test_every_detail_is_rebuilt_from_its_parts(demo_book, monkeypatch, test_catalog):
    config = settings.load(demo_book)
    items = list(
        reminders.reminders(
            demo_book,
            date(2026, 3, 16),
            config=config,
            days_ahead=30,
            everything=True,
            detail_args=True,
        )
    )
    assert {item["kind"] for item in items} == set(REMINDER_KINDS)
    assert [reminders.detail_text(item) for item in items] == [item["detail"] for item in items]
    monkeypatch.setattr(i18n, "catalog_path", lambda language: str(test_catalog))
    i18n.install("zh")
    try:
        follow_up = next(item for item in items if item["kind"] == "follow-up")
        assert reminders.detail_text(follow_up) == "{date} 联系时约定的跟进".format(
            **follow_up["detail_args"]
        )
        untranslated = next(item for item in items if item["kind"] == "never-contacted")
        assert reminders.detail_text(untranslated) == untranslated["detail"]
    finally:
        i18n.install("en")


def test_an_item_without_parts_shows_its_detail(demo_book):
    config = settings.load(demo_book)
    item = next(reminders.reminders(demo_book, date(2026, 3, 16), config=config))
    assert "detail_args" not in item
    assert reminders.detail_text(item) == item["detail"]


def test_reports_name_built_in_stages_by_their_chinese_labels_in_tables_only(tmp_path):

    env = {**os.environ, "SALESFLOW_DB": str(tmp_path / "b.db"), "SALESFLOW_LANG": "zh"}

    def salesflow(*args):
        done = subprocess.run(
            [sys.executable, "-m", "salesflow", *args], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    salesflow("demo", "--customers", "40")
    for report in (["report", "funnel"], ["report", "pipeline"]):
        assert "开发" in salesflow(*report)
        assert "开发" not in salesflow(*report, "--format", "csv")
        assert "development" in salesflow(*report, "--format", "csv")


def test_check_says_its_problems_in_chinese_and_keeps_them_english_in_json(tmp_path):

    foreign = tmp_path / "notes.db"
    foreign.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)

    def check(language, *options):
        env = {**os.environ, "SALESFLOW_LANG": language}
        return subprocess.run(
            [sys.executable, "-m", "salesflow", "--db", str(foreign), "check", *options],
            capture_output=True,
            text=True,
            env=env,
        )

    chinese = check("zh")
    assert chinese.returncode == 1
    assert "problem:" not in chinese.stdout and "damaged" not in chinese.stderr
    assert check("zh", "--format", "json").stdout == check("en", "--format", "json").stdout
    assert "problem:" in check("en").stdout
