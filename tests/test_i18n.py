"""The Chinese interface: choosing the language, the catalog, and Typer's own words."""

import importlib.util
import os
import re
import shutil
import sqlite3
import string
import subprocess
import sys
from pathlib import Path

import pytest

from salesflow import i18n
from salesflow.cli.typer_i18n import MESSAGE_FORMS, translated_message
from salesflow.errors import BadValue
from salesflow.i18n import choose_language

ROOT = Path(__file__).resolve().parent.parent
# Every message of the package must have its Chinese: a new message without it fails here.
TRANSLATED_MODULES = ["salesflow"]

_spec = importlib.util.spec_from_file_location("catalog_tool", ROOT / "tools" / "i18n.py")
assert _spec is not None and _spec.loader is not None
catalog_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalog_tool)


@pytest.fixture
def chinese():
    i18n.install("zh")
    yield
    i18n.install("en")


# ---------------------------------------------------------------- choosing the language


@pytest.fixture(scope="module")
def blank_book(tmp_path_factory):
    """A book made by salesflow itself, as a user's would be."""
    path = tmp_path_factory.mktemp("made") / "book.db"
    environment = {**os.environ, "SALESFLOW_DB": str(path)}
    subprocess.run(
        [sys.executable, "-m", "salesflow", "--db", str(path), "config", "set", "cadence.A", "7"],
        check=True,
        capture_output=True,
        env=environment,
    )
    return path


def book_with_language(blank_book: Path, folder: Path, value: str) -> Path:
    path = folder / "book.db"
    shutil.copy(blank_book, path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('ui.language', ?)", [value])
    conn.close()
    return path


def test_salesflow_lang_beats_the_setting_and_the_locale(blank_book, tmp_path):
    book = book_with_language(blank_book, tmp_path, "en")
    environ = {"SALESFLOW_LANG": "zh", "SALESFLOW_DB": str(book), "LANG": "en_US.UTF-8"}
    assert choose_language([], environ) == "zh"
    environ = {"SALESFLOW_LANG": "EN", "LANG": "zh_CN.UTF-8", "LC_ALL": "zh_CN"}
    assert choose_language([], environ) == "en"


@pytest.mark.parametrize("value", ["fr", "zh_CN", "chinese", "1"])
def test_an_unknown_salesflow_lang_is_refused_in_both_languages(value):
    with pytest.raises(BadValue) as refused:
        choose_language([], {"SALESFLOW_LANG": value, "LANG": "zh_CN.UTF-8"})
    message = str(refused.value)
    assert refused.value.exit_code == 2
    assert f"SALESFLOW_LANG must be zh or en, not {value!r}" in message
    assert f"SALESFLOW_LANG 只能是 zh 或 en，不能是 {value!r}" in message


@pytest.mark.parametrize("damage", [b"", b"not a catalog at all", "cut"])
def test_a_damaged_catalog_leaves_the_refusal_in_english(monkeypatch, tmp_path, damage):
    catalog = tmp_path / "salesflow.mo"
    whole = Path(i18n.catalog_path("zh")).read_bytes()
    catalog.write_bytes(whole[: len(whole) // 2] if damage == "cut" else damage)
    monkeypatch.setattr(i18n, "catalog_path", lambda language: str(catalog))
    with pytest.raises(BadValue) as refused:
        choose_language([], {"SALESFLOW_LANG": "fr"})
    assert str(refused.value) == "SALESFLOW_LANG must be zh or en, not 'fr'"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_argument_that_is_not_text_is_a_usage_error(tmp_path, language):
    """Bytes the terminal's encoding cannot decode reach Python as lone surrogates."""
    environ = {**os.environ, "SALESFLOW_LANG": language, "SALESFLOW_DB": str(tmp_path / "b.db")}
    cases = {
        (b"customer", b"list", b"\xff"): {"zh": "错误：多余的参数", "en": "Error: Got unexpected"},
        (b"--\xff",): {"zh": "错误：没有", "en": "Error: No such option"},
        (b"customer", b"show", b"\xff"): {
            "zh": "错误：有参数不是终端编码下的文本",
            "en": "Error: an argument is not text in the terminal's encoding",
        },
    }
    for args, said in cases.items():
        done = subprocess.run(
            [sys.executable, "-m", "salesflow", *args], capture_output=True, env=environ
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.decode("utf-8", "replace").splitlines()
        assert lines[-1].startswith(said[language]), lines
    assert i18n.Catalog.read(i18n.catalog_path("zh")).gettext("\udcff 选项") == "\udcff 选项"


def test_a_file_named_in_another_encoding_imports_and_is_named_in_history(tmp_path):
    folder = os.fsencode(tmp_path)
    named = folder + b"/\xc4\xe3.csv"  # "你" in GBK, on a system reading names as UTF-8
    with open(named, "wb") as file:
        file.write("name\n张三\n".encode())
    environ = {**os.environ, "SALESFLOW_LANG": "en", "SALESFLOW_DB": str(tmp_path / "b.db")}
    done = subprocess.run(
        [sys.executable, "-m", "salesflow", b"import", b"customers", named],
        capture_output=True, env=environ,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    history = subprocess.run(
        [sys.executable, "-m", "salesflow", "history", "--format", "json"],
        capture_output=True, env=environ, text=True, check=True,
    )  # fmt: skip
    assert "imported 1 customers from \ufffd\ufffd.csv" in history.stdout


def test_the_books_setting_beats_the_locale_variables(blank_book, tmp_path):
    book = book_with_language(blank_book, tmp_path, "zh")
    assert choose_language([], {"SALESFLOW_DB": str(book), "LANG": "en_US.UTF-8"}) == "zh"
    (tmp_path / "other").mkdir()
    english = book_with_language(blank_book, tmp_path / "other", "en")
    locale = {"LANGUAGE": "zh_CN", "LC_ALL": "zh_CN.UTF-8", "LANG": "zh_CN.UTF-8"}
    assert choose_language([], {"SALESFLOW_DB": str(english), **locale}) == "en"


def test_the_book_is_found_as_commands_find_it(blank_book, tmp_path):
    chinese_book = book_with_language(blank_book, tmp_path, "zh")
    environ = {"SALESFLOW_DB": str(tmp_path / "absent.db"), "LANG": "C"}
    assert choose_language(["--db", str(chinese_book), "remind"], environ) == "zh"
    assert choose_language([f"--db={chinese_book}", "remind"], environ) == "zh"
    # after the subcommand, --db is not the global option
    assert choose_language(["remind", "--db", str(chinese_book)], environ) == "en"
    assert choose_language(["remind"], {"SALESFLOW_DB": str(chinese_book)}) == "zh"


def test_the_per_user_book_is_the_default(blank_book, tmp_path, monkeypatch):
    from platformdirs import user_data_dir

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = Path(user_data_dir("salesflow", appauthor=False)) / "salesflow.db"
    default.parent.mkdir(parents=True)
    book_with_language(blank_book, default.parent, "zh")
    (default.parent / "book.db").rename(default)
    assert choose_language(["--help"], {"LANG": "C"}) == "zh"


@pytest.mark.parametrize("value", ["fr", "", "Chinese"])
def test_an_unknown_stored_language_is_refused(blank_book, tmp_path, value):
    book = book_with_language(blank_book, tmp_path, value)
    with pytest.raises(BadValue) as refused:
        choose_language([], {"SALESFLOW_DB": str(book)})
    assert refused.value.exit_code == 2
    assert f"ui.language must be zh or en, not {value!r}" in str(refused.value)
    assert "ui.language 只能是 zh 或 en" in str(refused.value)


def test_no_book_falls_back_silently_and_creates_nothing(tmp_path):
    missing = tmp_path / "folder" / "book.db"
    assert choose_language([], {"SALESFLOW_DB": str(missing), "LANG": "zh_CN.UTF-8"}) == "zh"
    assert not missing.parent.exists()


def test_a_book_without_the_setting_falls_back(blank_book, tmp_path):
    book = tmp_path / "book.db"
    shutil.copy(blank_book, book)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert choose_language([], {"SALESFLOW_DB": str(book), "LANG": "zh_SG"}) == "zh"
    assert choose_language([], {"SALESFLOW_DB": str(book)}) == "en"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no -wal/-shm left


def test_files_that_are_not_books_fall_back(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for path in (text, other, tmp_path):
        assert choose_language([], {"SALESFLOW_DB": str(path), "LANG": "zh_CN"}) == "zh"
        assert choose_language([], {"SALESFLOW_DB": str(path), "LANG": "C"}) == "en"


def test_a_locked_book_falls_back(tmp_path):
    book = tmp_path / "journal.db"
    holder = sqlite3.connect(book, isolation_level=None)
    holder.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    holder.execute("INSERT INTO settings VALUES ('ui.language', 'zh')")
    assert choose_language([], {"SALESFLOW_DB": str(book)}) == "zh"
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert choose_language([], {"SALESFLOW_DB": str(book), "LANG": "C"}) == "en"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_book_open_in_another_process_is_read_without_waiting(blank_book, tmp_path):
    book = book_with_language(blank_book, tmp_path, "zh")
    writer = sqlite3.connect(book, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE settings SET value = 'en' WHERE key = 'ui.language'")
    try:
        assert (tmp_path / "book.db-wal").exists()
        assert choose_language([], {"SALESFLOW_DB": str(book)}) == "zh"  # the committed one
    finally:
        writer.execute("COMMIT")
        writer.close()
    assert choose_language([], {"SALESFLOW_DB": str(book), "LANG": "zh_CN"}) == "en"


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "zh"}, "zh"),
        ({"LANG": "zh_CN"}, "zh"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "zh_SG"}, "zh"),
        ({"LANG": "zh-Hans"}, "zh"),
        ({"LANG": "zh_CN.GB18030@pinyin"}, "zh"),
        ({"LANG": "C"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "fr_FR"}, "en"),
        ({"LANG": "zhx"}, "en"),
        ({}, "en"),
        ({"LANGUAGE": "zh_CN:en", "LC_ALL": "C"}, "zh"),
        ({"LANGUAGE": "en:zh_CN", "LANG": "zh_CN"}, "en"),
        ({"LANGUAGE": "", "LC_ALL": "zh_CN.UTF-8", "LANG": "C"}, "zh"),
        ({"LC_ALL": "C", "LC_MESSAGES": "zh_CN", "LANG": "zh_CN"}, "en"),
        ({"LC_ALL": "", "LC_MESSAGES": "zh_CN", "LANG": "C"}, "zh"),
        ({"LC_MESSAGES": "", "LANG": "zh_CN.UTF-8"}, "zh"),
        ({"SALESFLOW_LANG": "", "LANG": "zh_CN.UTF-8"}, "zh"),
    ],
)
def test_the_locale_variables_in_posix_order(environ, language, tmp_path):
    environ = {"SALESFLOW_DB": str(tmp_path / "none.db"), **environ}
    assert choose_language([], environ) == language


def test_install_switches_what_messages_read(chinese):
    assert i18n._("Options") == "选项"
    assert i18n._("") == ""  # not the catalog's header
    assert i18n._("a message the catalog lacks") == "a message the catalog lacks"
    i18n.install("en")
    assert i18n._("Options") == "Options"
    with pytest.raises(ValueError):
        i18n.install("fr")


# ---------------------------------------------------------------- the catalog


def placeholders(text: str) -> list[str]:
    """Named `{name!r:spec}` fields and printf `%s`/`%(name)s` conversions, in order."""
    fields = [
        f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    ]
    printf = re.findall(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]", text)
    return sorted(fields) + sorted(p for p in printf if p != "%%")


def test_placeholders_are_read_both_ways():
    assert placeholders("{name!r} owes {amount:.2f} to {}") == ["{amount:.2f}", "{name!r}", "{}"]
    assert placeholders("%s of %(total)d, 100%%") == ["%(total)d", "%s"]
    assert placeholders("{count} 个") != placeholders("{count} of {total}")


def test_every_message_of_the_translated_modules_has_chinese():
    found = catalog_tool.extract([ROOT / module for module in TRANSLATED_MODULES])
    assert found.problems == []
    assert found.messages, "the extractor found nothing"
    translated = catalog_tool.po_translations()
    missing = [message for message in found.messages if not translated.get(message, "").strip()]
    assert missing == []


def test_translations_keep_their_placeholders():
    translated = catalog_tool.po_translations()
    assert translated
    differing = {
        message: text
        for message, text in translated.items()
        if placeholders(message) != placeholders(text)
    }
    assert differing == {}


def test_the_committed_mo_is_the_compiled_po(tmp_path):
    assert catalog_tool.mo_translations() == catalog_tool.po_translations()
    recompiled = tmp_path / "salesflow.mo"
    catalog_tool.compile_catalog(catalog_tool.PO_PATH, recompiled)
    assert catalog_tool.mo_translations(recompiled) == catalog_tool.mo_translations()


def test_the_program_finds_every_message_of_the_catalog_by_its_lookup(tmp_path):
    assert catalog_tool.unfound_by_lookup() == []
    catalog = i18n.Catalog.read(str(catalog_tool.MO_PATH))
    assert catalog.gettext("Options") == "选项"
    # before the first message, after the last, and between two: not in the catalog
    for absent in ("", "\x00", "\U0010ffff", "Optionsx", "a message the catalog lacks"):
        assert catalog.gettext(absent) == absent
    # a catalog whose originals are out of order is caught by the check
    unsorted = tmp_path / "unsorted.mo"
    header = ("", "Content-Type: text/plain; charset=UTF-8\n")
    unsorted.write_bytes(mo_file([header, ("b", "乙"), ("a", "甲"), ("c", "丙")]))
    assert catalog_tool.unfound_by_lookup(unsorted) != []


def test_a_catalog_is_read_in_either_byte_order_and_other_files_are_refused(tmp_path):
    entries = [("", "header"), ("Options", "选项"), ("Usage: ", "用法：")]
    for order in "<>":
        catalog = i18n.Catalog(mo_file(entries, order))
        assert catalog.gettext("Usage: ") == "用法："
        assert catalog.gettext("Options") == "选项"
        assert catalog.gettext("Arguments") == "Arguments"
    with pytest.raises(ValueError):
        i18n.Catalog(b"SQLite format 3\x00" + bytes(100))
    with pytest.raises(ValueError):
        i18n.Catalog(b"")
    whole = mo_file(entries)
    with pytest.raises(ValueError, match="cut short"):
        i18n.Catalog(whole[:40])  # the tables end past the file
    with pytest.raises(ValueError, match="cut short"):
        i18n.Catalog(whole[:-8]).gettext("Usage: ")  # a string ends past the file


def mo_file(entries: list[tuple[str, str]], order: str = "<") -> bytes:
    """A .mo holding `entries` in the order given (no hash table), as msgfmt lays it out."""
    import struct

    count = len(entries)
    originals_at, translations_at = 28, 28 + 8 * count
    strings_at = translations_at + 8 * count
    tables: list[bytes] = [b"", b""]
    body = b""
    for which in (0, 1):
        for entry in entries:
            encoded = entry[which].encode()
            tables[which] += struct.pack(order + "II", len(encoded), strings_at + len(body))
            body += encoded + b"\x00"
    header = struct.pack(order + "7I", 0x950412DE, 0, count, originals_at, translations_at, 0, 0)
    return header + tables[0] + tables[1] + body


def test_the_extractor_finds_marked_messages_and_help(tmp_path):
    source = tmp_path / "commands.py"
    source.write_text(
        "import typer\n"
        "app = typer.Typer(help=_('Customers and sales.'))\n"
        "KINDS = {'due': N_('{count} due')}\n"
        "@app.command()\n"
        "def remind() -> None:\n"
        "    '''List who needs attention today.\n\n"
        "    Example: salesflow remind\n"
        "    '''\n"
        "def helper() -> None:\n"
        "    '''Not shown to anyone.'''\n"
        "    print(_('card {number}: no name'), _(dynamic))\n",
        encoding="utf-8",
    )
    found = catalog_tool.extract([tmp_path])
    assert list(found.messages) == [
        "Customers and sales.",
        "{count} due",
        "List who needs attention today.\n\nExample: salesflow remind",
        "card {number}: no name",
    ]
    assert found.messages["{count} due"] == [f"{source}:3"]
    assert found.problems == []


def test_the_extractor_refuses_f_strings(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text("number = 3\nmessage = _(f'card {number}')\n", encoding="utf-8")
    found = catalog_tool.extract([source])
    assert found.messages == {}
    assert len(found.problems) == 1 and "f-string" in found.problems[0]


def test_merge_keeps_translations_and_adds_new_messages_empty(tmp_path):
    po = tmp_path / "salesflow.po"
    first = catalog_tool.Extraction({"Options": ["a.py:1"], "Gone": ["a.py:2"]})
    catalog_tool.merge(first, po)
    catalog = catalog_tool.read_po(po)
    catalog["Options"].string = "选项"
    catalog["Gone"].string = "没了"
    from babel.messages.pofile import write_po

    with po.open("wb") as target:
        write_po(target, catalog)
    second = catalog_tool.Extraction({"Options": ["b.py:9"], "New {name}": ["b.py:10"]})
    assert catalog_tool.merge(second, po) == (2, 1)
    assert catalog_tool.po_translations(po) == {"Options": "选项"}
    assert '#~ msgid "Gone"' in po.read_text(encoding="utf-8")


# ---------------------------------------------------------------- Typer's and Click's words


def test_usage_errors_are_rebuilt_in_chinese(chinese):
    assert translated_message("Missing argument 'NAME'.") == "缺少参数 'NAME'。"
    assert translated_message("No such option: --bogus") == "没有选项：--bogus"
    assert (
        translated_message("Invalid value for '--kind': 'nope' is not one of 'a', 'b'.")
        == "'--kind' 的值无效：'nope' 不是可选值之一：'a', 'b'。"
    )
    assert (
        translated_message("没有命令 'custmer'。. Did you mean 'customer'?")
        == "没有命令 'custmer'。是否想输入 'customer'？"
    )
    assert (
        translated_message("Missing argument 'KIND'. Choose from:\n\tcustomers,\n\tsales")
        == "缺少参数 'KIND'。可选：\n\tcustomers,\n\tsales"
    )
    assert translated_message("the book is busy") == "the book is busy"


# One message of each form, as Typer 0.28's Click words it.
CLICK_MESSAGES = [
    "'x' is not a valid UUID.. Did you mean 'y'?",
    "Invalid value for '--kind': 'nope' is not one of 'a', 'b'.",
    "Invalid value: 'x' is not a valid float.",
    "Missing argument 'NAME'.",
    "Missing option '--reason'.",
    "Missing parameter 'kind'.",
    "Missing argument 'KIND'. Choose from:\n\tcustomers,\n\tsales",
    "Choose from:\n\ta,\n\tb",
    "No such option: --kin (Possible options: --kind)",
    "No such option: --bogus",
    "Got unexpected extra argument(s) (y z)",
    "Option '--yes' does not take a value.",
    "Option '--ref' requires an argument.",
    "Option '--pair' requires 2 arguments.",
    "Argument 'pair' takes 2 values.",
    "Takes 2 values but 3 given.",
    "2 values are required, but 1 given.",
    "'nope' is not one of 'a', 'b'.",
    "'abc' is not a valid int range.",
    "'abc' is not a valid float.",
    "'abc' is not a valid UUID.",
    "'maybe' is not a valid boolean. Recognized values: 0, 1, false, true",
    "9 is not in the range 1<=x<=5.",
    "'x' does not match the formats '%Y-%m-%d'.",
    "File 'a.csv' does not exist.",
    "Path 'a' is a file.",
    "Directory 'out' is a directory.",
    "File 'a.csv' is not readable.",
    "Directory 'out' is not writable.",
    "Could not open file 'a.csv': Permission denied",
    "Value must be an iterable.",
]


def test_each_form_of_click_message_has_a_sample():
    forms = [re.compile(form, re.DOTALL) for form, _template, _nested in MESSAGE_FORMS]
    first_matches = {
        next(i for i, form in enumerate(forms) if form.fullmatch(message))
        for message in CLICK_MESSAGES
    }
    assert first_matches == set(range(len(forms)))


@pytest.mark.parametrize("message", CLICK_MESSAGES)
def test_each_click_message_reads_chinese(chinese, message):
    translated = translated_message(message)
    assert translated != message
    assert re.search(r"[\u4e00-\u9fff]", translated)
    english_words = {"not", "valid", "Missing", "Invalid", "value", "such", "option", "requires"}
    assert not english_words & set(re.findall(r"[A-Za-z]+", translated))


WRAPPER = """\
import os, runpy, sys
from salesflow.i18n import choose_language
from salesflow.cli.typer_i18n import prepare
prepare(choose_language(sys.argv[1:], os.environ))
runpy.run_module("salesflow", run_name="__main__", alter_sys=True)
"""
RESIDUAL_ENGLISH = [
    "Usage:",
    "Options:",
    "Arguments:",
    "Commands:",
    "Show this message and exit.",
    "[required]",
    "[default:",
    "Install completion",
    "Show completion",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    "<str>",
    "<int range>",
    "Error:",
    "Missing argument",
    "No such option",
    "No such command",
    "Invalid value for",
    "is not one of",
    "Did you mean",
    "Got unexpected extra argument",
    "requires an argument",
    "for help.",
    "Try '",
]


@pytest.fixture(scope="module")
def speak(tmp_path_factory):
    """Run salesflow with prepare() hooked in before Typer is imported."""
    folder = tmp_path_factory.mktemp("wrapper")
    wrapper = folder / "salesflow_i18n.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "SALESFLOW_LANG")
    }
    base.update(SALESFLOW_DB=str(folder / "absent.db"), COLUMNS="100")

    def run(args: list[str], **environ: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(wrapper), *args],
            capture_output=True,
            text=True,
            env={**base, **environ},
            timeout=60,
        )

    return run


def residual_english(text: str) -> list[str]:
    return [phrase for phrase in RESIDUAL_ENGLISH if phrase in text]


def test_help_pages_have_no_framework_english(speak):
    root = speak(["--help"], SALESFLOW_LANG="zh")
    assert root.returncode == 0, root.stderr
    assert residual_english(root.stdout) == []
    for chinese in (
        "用法：salesflow [选项] 命令 [参数]...",
        "选项：",
        "命令：",
        "显示本帮助并退出。",
    ):
        assert chinese in root.stdout
    assert "为当前 shell 安装命令补全。" in root.stdout
    add = speak(["customer", "add", "--help"], SALESFLOW_LANG="zh")
    assert add.returncode == 0, add.stderr
    assert residual_english(add.stdout) == []
    for chinese in ("用法：salesflow customer add [选项]", "参数：", "[必填]", "<文本>", "<整数>"):
        assert chinese in add.stdout
    assert len(help_columns(add.stdout)) == 1, "option help misaligned by wide characters"


def help_columns(page: str) -> set[int]:
    """The display columns where option help starts, a Chinese character being two wide."""
    from unicodedata import east_asian_width

    columns = set()
    for line in page.splitlines():
        found = re.match(r"(  -\S.*?)\s{2,}\S", line)
        if found:
            option = line[: found.end() - 1]
            columns.add(sum(2 if east_asian_width(char) in "WF" else 1 for char in option))
    return columns


@pytest.mark.parametrize(
    ("args", "chinese"),
    [
        (["customer", "add"], "错误：缺少参数 'NAME'。"),
        (["--bogus"], "错误：没有选项：--bogus"),
        (["remind", "--kind", "nope"], "错误：'--kind' 的值无效：'nope' 不是可选值之一："),
        (["custmer"], "错误：没有命令 'custmer'。是否想输入 'customer'？"),
        (["customer", "add", "x", "--urgency", "abc"], "'abc' 不是有效的整数。"),
    ],
)
def test_usage_errors_have_no_framework_english(speak, args, chinese):
    done = speak(args, SALESFLOW_LANG="zh")
    assert done.returncode == 2
    assert done.stdout == ""
    assert residual_english(done.stderr) == []
    assert chinese in done.stderr
    assert "用法：salesflow" in done.stderr
    assert "查看帮助。" in done.stderr


def test_a_chinese_locale_alone_selects_chinese(speak):
    done = speak(["customer", "add"], LANG="zh_CN.UTF-8")
    assert "错误：缺少参数 'NAME'。" in done.stderr


def test_english_is_typers_own_output_byte_for_byte(speak):
    for args in (["--help"], ["customer", "add", "--help"], ["remind", "--kind", "nope"]):
        plain = subprocess.run(
            [sys.executable, "-m", "salesflow", *args],
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "100", "SALESFLOW_LANG": "en"},
            timeout=60,
        )
        english = speak(args, SALESFLOW_LANG="en", LANG="zh_CN.UTF-8")
        assert (english.returncode, english.stdout, english.stderr) == (
            plain.returncode,
            plain.stdout,
            plain.stderr,
        )
        assert "Usage: salesflow" in plain.stdout + plain.stderr
