"""Every command's --help reads Chinese under SALESFLOW_LANG=zh: no English sentence left.

One subprocess prints the help of every command of the Typer tree (prepared for the language
before Typer loads, as the program does), so the walk costs one start-up, not one per command.
"""

import os
import re
import subprocess
import sys

import pytest
import typer.main

from salesflow.cli import app

MARKER = "@@@ "
WALK = f"""\
import sys
from salesflow.cli.typer_i18n import prepare
prepare(sys.argv[1])
import typer.main
from salesflow.cli.commands import app

def walk(command, path=()):
    yield path
    for name, sub in sorted(getattr(command, "commands", {{}}).items()):
        yield from walk(sub, (*path, name))

root = typer.main.get_command(app)
for path in walk(root):
    print({MARKER!r} + " ".join(path), flush=True)
    root.main(args=[*path, "--help"], prog_name="salesflow", standalone_mode=False)
    sys.stdout.flush()
"""


def all_paths(command=None, path=()):
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from all_paths(sub, (*path, name))


def help_pages(language: str, tmp_path) -> dict[str, str]:
    """Each command's help page, keyed by its path ('' for the root)."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "SALESFLOW_LANG")
    }
    environ.update(SALESFLOW_DB=str(tmp_path / "absent.db"), COLUMNS="100")
    done = subprocess.run(
        [sys.executable, "-c", WALK, language],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    pages = {}
    for chunk in done.stdout.split(MARKER)[1:]:
        path, _, page = chunk.partition("\n")
        pages[path] = page
    assert not (tmp_path / "absent.db").exists()  # help never opens the book
    return pages


@pytest.fixture(scope="module")
def chinese_pages(tmp_path_factory):
    return help_pages("zh", tmp_path_factory.mktemp("zh"))


@pytest.fixture(scope="module")
def english_pages(tmp_path_factory):
    return help_pages("en", tmp_path_factory.mktemp("en"))


# What is not prose, so may stay English: removed before looking for English words.
NOT_PROSE = [
    re.compile(r"`[^`]*`"),  # code in backticks
    re.compile(r"\"[^\"]*\"|'[^']*'"),  # quoted example data: "Demo went well"
    re.compile(r"<[^<>]*>|\[[^\[\]]*\]|\{[^{}]*\}"),  # metavars, [默认：table], {NAME}
    re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*"),  # option names: --force, -o
    re.compile(r"\S*(?:://|/|\.\w|=|@|_)\S*"),  # paths, URLs, keys, KEY=VALUE, a.csv
    re.compile(r"\b[A-Z][A-Z0-9]*\b"),  # METAVARS and acronyms: DEAL, CSV, RFM
]
# A command line in prose runs from `salesflow` up to the next Chinese character.
COMMAND_LINE = re.compile(r"\bsalesflow\b[^\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]*")
EXAMPLE = "示例："
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ ,;:()]+[A-Za-z][A-Za-z'’]*){2,}")


def paragraphs(page: str) -> list[str]:
    """The page's blocks, each wrapped block joined back into one line."""
    return [" ".join(line.strip() for line in block.splitlines()) for block in page.split("\n\n")]


def english_runs(page: str) -> list[str]:
    """Runs of three or more English words in the prose of a help page.

    Not prose: the usage line, example command lines (to the end of their paragraph, as
    Click may wrap them), command lines quoted in prose, option names, metavars,
    placeholders, paths, keys and quoted example data."""
    runs = []
    for block in paragraphs(page):
        if block.startswith("用法："):
            continue
        prose, example, command = block.partition(EXAMPLE)
        if example:
            block = prose + example + command.split("salesflow", 1)[0]
        block = COMMAND_LINE.sub(" ", block)
        for pattern in NOT_PROSE:
            block = pattern.sub(" ", block)
        runs.extend(match.group(0) for match in ENGLISH_RUN.finditer(block))
    return runs


@pytest.mark.parametrize(
    "page",
    [
        "  --to <文本>    Stage to move to (default: the next).",
        "  Add a product.",
        "命令：\n  list  Show a pipeline's stages.",
        "  kind  open, won or lost",
        "  --tier <文本>  只看此等级。\n                 Only customers nobody owns.",
    ],
)
def test_the_rule_finds_english_prose(page):
    assert english_runs(page) != []


@pytest.mark.parametrize(
    "page",
    [
        '  示例：salesflow deal check 3 "project information" --note "budget 2M confirmed"',
        '  示例：salesflow technique add trial-close --zh 试探成交 --description "Ask a small\n'
        '  yes first"',
        '  示例：salesflow deal advance 3   （或：--to bidding --force --reason "tender moved\n'
        '  up"）',
        "  示例：salesflow --db /tmp/demo.db demo --customers 500 && salesflow --db\n"
        "  /tmp/demo.db remind",
        "用法：salesflow deal check [选项] {DEAL} {ITEM}",
        "  --force  跳过未达成的关键节点（需要 --reason）。",
        "  --kind <follow-up|no-contact|never-contacted>\n       只看此类提醒（可重复）。",
        "  KEY...  `salesflow remind` 列出的键（输入唯一的开头即可）。  [必填]",
        "  用 salesflow deal check 3 勾选。",
        "  URL  副本地址：file:///folder、s3://bucket/path[?endpoint=…]、sftp://user@host/path。",
        "  --by DIM[,DIM]  company、department、rep、store；多个用逗号分隔。",
    ],
)
def test_the_rule_leaves_command_lines_options_and_data_alone(page):
    assert english_runs(page) == []


def test_the_walk_covers_every_command(chinese_pages):
    assert set(chinese_pages) == {" ".join(path) for path, _ in all_paths()}


def test_every_help_page_reads_chinese(chinese_pages):
    english = {path: runs for path, page in chinese_pages.items() if (runs := english_runs(page))}
    assert english == {}


def test_every_command_shows_its_example_in_chinese(chinese_pages):
    for path, command in all_paths():
        page = chinese_pages[" ".join(path)]
        assert page.startswith("用法：salesflow"), path
        assert "Example:" not in page, path
        if not hasattr(command, "commands"):
            assert "示例：salesflow " in page, path


def test_the_rule_finds_every_english_command_help(english_pages):
    """The same rule over the English pages flags each one, beyond Click's own help line:
    the Chinese pages pass because they are translated, not because the rule is blind."""
    unflagged = [
        path
        for path, page in english_pages.items()
        if not english_runs(page.replace("Show this message and exit.", ""))
    ]
    assert unflagged == []


def display_width(line: str) -> int:
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(char) in "WF" else 1 for char in line)


def test_chinese_help_fits_the_terminal_counting_a_chinese_character_as_two(chinese_pages):
    too_wide = {
        path: line
        for path, page in chinese_pages.items()
        for line in page.splitlines()
        # (a line whose one word is wider than the terminal cannot fit: the metavar of
        # `remind --kind` lists ten kinds)
        if display_width(line) > 100 and max(map(display_width, line.split())) < 60
    }
    assert too_wide == {}
    assert any(
        display_width(line) > 90 for page in chinese_pages.values() for line in page.splitlines()
    )  # the pages do use the width


def test_a_wide_line_breaks_at_a_space_or_beside_chinese_never_before_closing_punctuation():
    from salesflow.cli.typer_i18n import fitted

    assert fitted("客户来源：网站、社交媒体", 100) == ["客户来源：网站、社交媒体"]
    assert fitted("客户来源：网站、社交媒体", 12) == ["客户来源：网", "站、社交媒体"]
    assert fitted("客户来源：网站、社交媒体", 10) == ["客户来源：", "网站、社交", "媒体"]
    assert fitted("  档案信息 KEY=VALUE，如 hobby=golf", 20, "") == [
        "  档案信息",
        "  KEY=VALUE，如",
        "  hobby=golf",
    ]
    assert fitted("first 第一行很长的句子", 12, "    ") == [
        "first 第一行",
        "    很长的句",
        "    子",
    ]
    for line in (
        "甲乙丙丁戊己庚辛",
        "  a，b。c、d；e：f！g？h）i…",
        "  处理原因。  [必填]",
        "  available、reserved 或 sold（已售）。",
        "  导入（.xlsx、.ods）",
    ):
        for width in range(6, 20):
            pieces = fitted(line, width, "  ")
            assert "".join("".join(piece.split()) for piece in pieces) == "".join(line.split())
            # "  available、" (13 columns) has no break inside: it runs over a narrower width
            assert all(display_width(piece) <= max(width, 13) for piece in pieces)
            assert not any(piece.strip()[:1] in "，。、；：！？）…]）" for piece in pieces[1:])
            assert not any(piece.rstrip()[-1:] in "（[(" for piece in pieces[:-1])
    assert fitted("一个很长的词superlongwordwithoutspaces", 10)[-1].endswith("spaces")


def test_only_a_command_that_writes_a_file_offers_a_workbook(english_pages):
    offers, writes = {}, {}
    for path, page in english_pages.items():
        option = "\n  -f, --format"
        if option not in page:
            continue
        declared = page[page.index(option) + 1 :].split("\n  -", 1)[0]
        offers[path] = "xlsx" in declared
        writes[path] = "FILE.xlsx is a workbook" in " ".join(page.split())
    assert offers == writes
    assert offers["customer add"] is False and offers["customer list"] is True
