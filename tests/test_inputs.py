"""What users type: dates, amounts, quantities, phones and profile facts."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesflow.errors import BadValue
from salesflow.inputs import (
    cents_to_decimal,
    normalise_phone,
    parse_birthday,
    parse_date,
    parse_fact,
    parse_moment,
    parse_money,
    parse_quantity,
)

MONDAY = date(2026, 3, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026-3-5", date(2026, 3, 5)),
        ("today", MONDAY),
        ("Yesterday", date(2026, 3, 15)),
        ("tomorrow", date(2026, 3, 17)),
        ("+3d", date(2026, 3, 19)),
        ("-2w", date(2026, 3, 2)),
        ("+1m", date(2026, 4, 16)),
        ("-1y", date(2025, 3, 16)),
        ("2026年3月5日", date(2026, 3, 5)),
        ("2026年12月25", date(2026, 12, 25)),
        ("fri", date(2026, 3, 20)),
        ("monday", date(2026, 3, 23)),  # the next one, not today
        ("sun", date(2026, 3, 22)),
        ("周三", date(2026, 3, 18)),
    ],
)
def test_parse_date_reads_every_documented_form(text, expected):
    assert parse_date(text, MONDAY) == expected


def test_month_arithmetic_clamps_to_month_end():
    assert parse_date("+1m", date(2026, 1, 31)) == date(2026, 2, 28)


@pytest.mark.parametrize(
    "text", ["", "03/05/2026", "2026-02-30", "2026-13-01", "next week", "+3x", "5", "2026年2月30日"]
)
def test_parse_date_refuses_unreadable_dates_naming_them(text):
    with pytest.raises(BadValue) as error:
        parse_date(text, MONDAY)
    assert repr(text) in str(error.value)


def test_parse_moment_keeps_the_time_of_day():
    assert parse_moment("2026-03-05 9:30", MONDAY) == "2026-03-05 09:30"
    assert parse_moment("2026-03-05T14:05", MONDAY) == "2026-03-05 14:05"
    assert parse_moment("yesterday", MONDAY) == "2026-03-15"
    with pytest.raises(BadValue):
        parse_moment("2026-03-05 25:00", MONDAY)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.5", 123450),
        ("1,234.50", 123450),
        ("¥1234", 123400),
        ("￥ 88.8", 8880),
        ("0", 0),
        ("12元", 1200),
        (".5", 50),
        ("1,000,000", 100000000),
    ],
)
def test_parse_money_reads_amounts_exactly_in_cents(text, cents):
    assert parse_money(text) == cents


@pytest.mark.parametrize(
    "text", ["-5", "abc", "1.234", "1,23", "", "1e5", "nan", "12.3.4", "¥-1", "1" * 20]
)
def test_parse_money_refuses_bad_or_negative_amounts(text):
    with pytest.raises(BadValue):
        parse_money(text)


@given(st.integers(min_value=0, max_value=10**13))
def test_money_round_trips_through_its_two_decimal_text(cents):
    text = f"{cents_to_decimal(cents):.2f}"
    assert parse_money(text) == cents
    assert cents_to_decimal(cents) == Decimal(cents) / 100


def test_parse_quantity_accepts_whole_and_decimal_units():
    assert parse_quantity("3") == 3
    assert parse_quantity("2.5") == 2.5
    for bad in ("0", "-1", "x", "1.23456", "inf"):
        with pytest.raises(BadValue):
            parse_quantity(bad)


@pytest.mark.parametrize(
    ("phone", "digits"),
    [
        ("138 0013 8000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("(010) 6552-1234", "01065521234"),
        ("", None),
        ("ext.", None),
    ],
)
def test_normalise_phone_keeps_the_digits_that_identify_it(phone, digits):
    assert normalise_phone(phone) == digits


def test_profile_facts_and_birthdays():
    assert parse_fact("hobby = golf") == ("hobby", "golf")
    assert parse_fact("birthday=3-5") == ("birthday", "03-05")
    assert parse_birthday("1990-03-05") == "1990-03-05"
    for bad in ("nokey", "=x"):
        with pytest.raises(BadValue):
            parse_fact(bad)
    with pytest.raises(BadValue):
        parse_fact("birthday=02-30")
