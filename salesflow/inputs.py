"""Parsing of what users type: dates, money, quantities, phones, key=value facts.

Every parser raises `BadValue` naming the bad value, so the CLI reports a usage error
(exit 2) instead of storing something it cannot read back.
"""

import os
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from salesflow.errors import BadValue
from salesflow.i18n import _

if TYPE_CHECKING:
    from decimal import Decimal

WEEKDAYS = {
    "mon": 0,
    "monday": 0,
    "周一": 0,
    "星期一": 0,
    "tue": 1,
    "tuesday": 1,
    "周二": 1,
    "星期二": 1,
    "wed": 2,
    "wednesday": 2,
    "周三": 2,
    "星期三": 2,
    "thu": 3,
    "thursday": 3,
    "周四": 3,
    "星期四": 3,
    "fri": 4,
    "friday": 4,
    "周五": 4,
    "星期五": 4,
    "sat": 5,
    "saturday": 5,
    "周六": 5,
    "星期六": 5,
    "sun": 6,
    "sunday": 6,
    "周日": 6,
    "星期日": 6,
    "星期天": 6,
}
NAMED_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1, "今天": 0, "昨天": -1, "明天": 1}
# Patterns stay text until first use (re caches them): start-up pays for none of them.
RELATIVE = r"([+-])(\d{1,5})([dwmy])"
# A calendar date as people and spreadsheets write it: 2026-03-05, 2026/3/5, 2026.3.5,
# 2026年3月5日.
CALENDAR_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
CLOCK = r"(\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?"


def today() -> date:
    """Today, or the date in SALESFLOW_TODAY when it is set (testing, back-dating)."""
    fixed = os.environ.get("SALESFLOW_TODAY", "").strip()
    if not fixed:
        return date.today()
    try:
        return date.fromisoformat(fixed)
    except ValueError:
        raise BadValue(
            _("SALESFLOW_TODAY must be YYYY-MM-DD, not {value!r}").format(value=fixed)
        ) from None


def parse_date(text: str, today: date | None) -> date:
    """Read a date as users write it: 2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日 (a
    time after it is ignored); with `today`, also today/±Nd/w/m/y and weekday names.

    Files pass no `today`: a spreadsheet cell saying "yesterday" means no fixed day.
    """
    value = text.strip().lower()
    if today is not None:
        if value in NAMED_DAYS:
            return today + timedelta(days=NAMED_DAYS[value])
        if value in WEEKDAYS:
            ahead = (WEEKDAYS[value] - today.weekday() - 1) % 7 + 1
            return today + timedelta(days=ahead)
        if match := re.fullmatch(RELATIVE, value):
            return _shift(today, match, text)
    day, _clock = _calendar_moment(text, relative=today is not None)
    return day


def _calendar_moment(text: str, *, relative: bool = True) -> tuple[date, str | None]:
    """A calendar date and the HH:MM after it, if any."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-":  # the everyday case
        try:
            return date.fromisoformat(text), None
        except ValueError:
            pass
    value = text.strip().replace("T", " ")
    match = re.match(CALENDAR_DATE, value)
    if match:
        try:
            day = date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
        else:
            rest = value[match.end() :].strip()
            if not rest:
                return day, None
            clock = re.fullmatch(CLOCK, rest)
            if clock and int(clock[1]) < 24 and int(clock[2]) < 60:
                return day, f"{int(clock[1]):02d}:{clock[2]}"
            raise BadValue(_("cannot read the time in {text!r}: use HH:MM").format(text=text))
    if not relative:
        raise BadValue(
            _("cannot read date {text!r}: use YYYY-MM-DD, 2026/3/5 or 2026年3月5日").format(
                text=text
            )
        )
    raise BadValue(
        _(
            "cannot read date {text!r}: use YYYY-MM-DD, today, yesterday, tomorrow, "
            "+3d/-2w/+1m/+1y, a weekday name (mon…sun) or 2026年3月5日"
        ).format(text=text)
    )


def _shift(today: date, match: "re.Match[str]", text: str) -> date:
    from dateutil.relativedelta import relativedelta

    sign, count, unit = match.groups()
    amount = int(count) * (1 if sign == "+" else -1)
    delta = {
        "d": relativedelta(days=amount),
        "w": relativedelta(weeks=amount),
        "m": relativedelta(months=amount),
        "y": relativedelta(years=amount),
    }[unit]
    try:
        return today + delta
    except (OverflowError, ValueError):
        raise BadValue(_("date {text!r} is out of range").format(text=text)) from None


def parse_moment(text: str, today: date | None) -> str:
    """A contact's time: any date `parse_date` reads, optionally followed by HH:MM."""
    value = text.strip().replace("T", " ")
    if today is not None:
        day_part, _space, clock_part = value.partition(" ")
        if day_part.lower() in NAMED_DAYS or day_part.lower() in WEEKDAYS or day_part[:1] in "+-":
            day = parse_date(day_part, today).isoformat()
            return f"{day} {_calendar_moment(day + ' ' + clock_part)[1]}" if clock_part else day
    day_value, clock = _calendar_moment(value, relative=today is not None)
    return f"{day_value.isoformat()} {clock}" if clock else day_value.isoformat()


def now_moment(today: date) -> str:
    """The moment a contact is logged when no --at is given."""
    if os.environ.get("SALESFLOW_TODAY"):
        return today.isoformat()
    return datetime.now().strftime("%Y-%m-%d %H:%M")


MONEY_NOISE = r"(?i)^(?:[¥￥$€£]|rmb|cny)\s*|\s*(?:元|rmb|cny)$"
MONEY_SHAPE = r"\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+"
MAX_CENTS = 10**15


PLAIN_MONEY = r"(\d{1,13})(?:\.(\d{1,2}))?"


def parse_money(text: str) -> int:
    """Read an amount (`1234.5`, `1,234.50`, `¥1234`) into integer cents; never negative."""
    if plain := re.fullmatch(PLAIN_MONEY, text):  # the common case, without Decimal
        whole, fraction = plain.groups()
        return int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
    value = re.sub(MONEY_NOISE, "", text.strip()).strip()
    if value.startswith("-"):
        raise BadValue(
            _("amount {text!r} is negative; amounts must be zero or more").format(text=text)
        )
    if not re.fullmatch(MONEY_SHAPE, value):
        raise BadValue(
            _("cannot read amount {text!r}: use a number like 1234.50").format(text=text)
        )
    from decimal import Decimal

    amount = Decimal(value.replace(",", ""))
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise BadValue(_("amount {text!r} has more than two decimals").format(text=text))
    if cents >= MAX_CENTS:
        raise BadValue(_("amount {text!r} is too large").format(text=text))
    return int(cents)


def units(quantity: float) -> float | int:
    """A stored quantity (or a sum of them) as people write it: 2, not 2.0, and at most
    three decimals, so a sum that floating point leaves a hair off a whole number (0.7 +
    0.2 + 0.1) still reads as that number, whatever order it was added in."""
    rounded = round(quantity, 3)
    return int(rounded) if float(rounded).is_integer() else rounded


def cents_to_decimal(cents: int | None) -> "Decimal | None":
    from decimal import Decimal

    if cents is None:
        return None
    return Decimal(cents).scaleb(-2)


def parse_quantity(text: str) -> float:
    """A positive quantity: whole units or a decimal such as 2.5 (kg, m…)."""
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise BadValue(
            _("cannot read quantity {text!r}: use a positive number").format(text=text)
        ) from None
    if not amount.is_finite() or amount <= 0 or amount > 10**9:
        raise BadValue(_("quantity {text!r} must be a positive number").format(text=text))
    if amount != amount.quantize(Decimal("0.001")):
        raise BadValue(_("quantity {text!r} has more than three decimals").format(text=text))
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def file_label(path: "os.PathLike[str] | str") -> str:
    """A file's name as text a book can keep: bytes of the name the terminal's encoding
    could not decode (a name written under another encoding) read as U+FFFD."""
    return os.fsencode(os.path.basename(path)).decode("utf-8", "replace")


def normalise_phone(phone: str | None) -> str | None:
    """The digits that identify a phone, so `138 0013 8000` and `+86-13800138000` match."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    elif len(digits) == 15 and digits.startswith("0086"):
        digits = digits[4:]
    return digits or None


def parse_fact(text: str) -> tuple[str, str]:
    """A profile fact `KEY=VALUE` (e.g. `hobby=golf`, `birthday=03-05`)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise BadValue(_("profile fact {text!r} must look like KEY=VALUE").format(text=text))
    value = value.strip()
    if key.lower() == "birthday":
        key = "birthday"
        value = parse_birthday(value) if value else value
    return key, value


BIRTHDAY = r"(?:(\d{4})-)?(\d{1,2})-(\d{1,2})"


def parse_birthday(text: str) -> str:
    """A birthday as `MM-DD` or a full ISO date; stored as the user wrote it, normalised."""
    match = re.fullmatch(BIRTHDAY, text.strip())
    if match:
        year, month, day = match.groups()
        try:
            date(int(year or 2000), int(month), int(day))
        except ValueError:
            pass
        else:
            month_day = f"{int(month):02d}-{int(day):02d}"
            return f"{year}-{month_day}" if year else month_day
    raise BadValue(_("birthday {text!r} must be MM-DD or YYYY-MM-DD").format(text=text))
