"""The plain table (pipes, files, cron mail) is the same text, byte for byte, as the
straightforward cell-by-cell renderer it replaced, whatever the cells hold."""

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from salesflow import output


def reference_width(text: str) -> int:
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF"
        else 1
        for char in text
    )  # fmt: skip


def reference_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """The renderer as it was: every cell through display_text, measured, padded, joined."""
    cells = [[output.display_text(row.get(key)) for key, _ in columns] for row in rows]
    headings = [heading for _, heading in columns]
    widths = [reference_width(heading) for heading in headings]
    for line in cells:
        widths = [
            max(width, reference_width(cell)) for width, cell in zip(widths, line, strict=True)
        ]
    numeric = [output.numeric_column(rows, key) for key, _ in columns]

    def fit(text: str, width: int, right: bool) -> str:
        padding = " " * (width - reference_width(text))
        return padding + text if right else text + padding

    lines = []
    for line in [headings, *cells]:
        fitted = (fit(c, w, r) for c, w, r in zip(line, widths, numeric, strict=True))
        lines.append("  ".join(fitted).rstrip())
    return "\n".join(lines) + "\n"


class Tier(StrEnum):
    A = "A"
    B = "B级"


class Level(IntEnum):
    LOW = 1
    HIGH = 12


COLUMNS = [
    ("id", "#"),
    ("name", "Customer"),
    ("amount", "Amount"),
    ("tags", "Tags"),
    ("note", "备注"),
]
VARIED = [
    {
        "id": 1,
        "name": "张三",
        "amount": Decimal("1234567.5"),
        "tags": ["vip", "老客户"],
        "note": None,
    },
    {
        "id": 22,
        "name": "Li\tNa\n",
        "amount": Decimal("-3.10"),
        "tags": [],
        "note": "a\x00b\x7fc\x9f",
    },
    {"id": 333, "name": None, "amount": None, "tags": None, "note": "  trailing  "},
    {
        "id": None,
        "name": "ｆｕｌｌ　ｗｉｄｔｈ",
        "amount": Decimal("0"),
        "note": "e\u0301 combining",
    },
    {"id": 4, "name": "emoji 😀 and \u200b zero width", "amount": Decimal("9.999"), "note": ""},
    {
        "id": 5,
        "name": "Émile",
        "amount": Decimal("12"),
        "tags": {"a": 1, "b": None},
        "note": "\u3000",
    },
]


def test_varied_cells_render_byte_for_byte_as_before():
    assert output.plain_table(VARIED, COLUMNS) == reference_table(VARIED, COLUMNS)


def test_every_kind_of_value_renders_as_before():
    rows = [
        {
            "a": True,
            "b": 1.5,
            "c": date(2026, 3, 16),
            "d": datetime(2026, 3, 16, 9, 30),
            "e": Tier.B,
        },
        {"a": False, "b": -2.0, "c": None, "d": None, "e": Tier.A},
        {"a": None, "b": 10**20, "c": date(1999, 1, 1), "d": Level.HIGH, "e": Level.LOW},
        {"a": 3, "b": None, "c": "2026-01-01", "d": "x", "e": "Ω"},
    ]
    columns = [(key, key.upper()) for key in "abcde"]
    assert output.plain_table(rows, columns) == reference_table(rows, columns)


def test_numbers_right_aligned_text_left_and_the_last_column_unpadded():
    rows = [{"n": 5, "s": "short"}, {"n": 12345, "s": "a longer text"}, {"n": None, "s": "x"}]
    text = output.plain_table(rows, [("n", "N"), ("s", "Text")])
    assert text == "    N  Text\n    5  short\n12345  a longer text\n       x\n"
    assert text == reference_table(rows, [("n", "N"), ("s", "Text")])


def test_no_rows_and_no_columns_render_as_before():
    assert output.plain_table([], COLUMNS) == reference_table([], COLUMNS)
    assert output.plain_table([{"a": 1}, {"a": 2}], []) == reference_table([{"a": 1}, {"a": 2}], [])
    assert output.plain_table([], []) == reference_table([], [])


def test_a_column_of_bools_and_numbers_and_empty_cells_keeps_its_alignment():
    rows = [{"x": True}, {"x": 3}, {"x": None}, {"x": Decimal("2.5")}]
    assert output.plain_table(rows, [("x", "X")]) == reference_table(rows, [("x", "X")])
    rows = [{"x": None}, {"x": None}]
    assert output.plain_table(rows, [("x", "宽")]) == reference_table(rows, [("x", "宽")])


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**9, min_value=-(10**9)
    ),
    st.dates(),
    st.text(max_size=12),
    st.text(alphabet="张三李娜ｆＡé\u0301 \t\x00\x85\u200b😀ab", max_size=8),
    st.lists(st.text(max_size=4), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.fixed_dictionaries({}, optional={k: VALUES for k in "abc"}), max_size=8),
    st.lists(st.sampled_from([("a", "A"), ("b", "金额"), ("c", "c "), ("d", "")]), max_size=4),
)
def test_any_rows_render_byte_for_byte_as_before(rows, columns):
    assert output.plain_table(rows, columns) == reference_table(rows, columns)
