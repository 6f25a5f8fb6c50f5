"""The book's settings: reminder cadences and thresholds, tier thresholds.

Stored in the `settings` table; anything not set there has its documented default.
"""

import sqlite3
from typing import NamedTuple

from salesflow.db import Change
from salesflow.errors import BadValue, NotFound


class Setting(NamedTuple):
    key: str
    default: int
    low: int
    high: int
    help: str


SETTINGS = {
    setting.key: setting
    for setting in (
        Setting("cadence.A", 7, 1, 3650, "days between contacts for tier A customers"),
        Setting("cadence.B", 14, 1, 3650, "days between contacts for tier B customers"),
        Setting("cadence.C", 30, 1, 3650, "days between contacts for tier C customers"),
        Setting("cadence.D", 60, 1, 3650, "days between contacts for tier D customers"),
        Setting("cadence.none", 30, 1, 3650, "days between contacts for untiered customers"),
        Setting("used_up.lead_days", 3, 0, 365, "remind this many days before a product runs out"),
        Setting("no_repurchase.days", 90, 1, 3650, "days without a sale before no-repurchase"),
        Setting("never_purchased.days", 30, 0, 3650, "days after joining with no sale"),
        Setting("birthday.days", 7, 0, 366, "how many days ahead birthdays are announced"),
        Setting("tiers.A", 13, 3, 15, "lowest RFM score (3-15) for tier A"),
        Setting("tiers.B", 10, 3, 15, "lowest RFM score for tier B"),
        Setting("tiers.C", 7, 3, 15, "lowest RFM score for tier C"),
    )
}


def _known(key: str) -> Setting:
    for name, setting in SETTINGS.items():
        if name.lower() == key.strip().lower():
            return setting
    raise NotFound(f"no setting {key!r}; `salesflow config list` shows them all")


def load(conn: sqlite3.Connection) -> dict[str, int]:
    """Every setting's value in force: stored or default."""
    values = {key: setting.default for key, setting in SETTINGS.items()}
    for key, value in conn.execute("SELECT key, value FROM settings"):
        if key in values:
            values[key] = int(value)
    return values


def list_settings(conn: sqlite3.Connection) -> list[dict[str, object]]:
    values = load(conn)
    return [
        {"key": key, "value": values[key], "default": setting.default, "help": setting.help}
        for key, setting in SETTINGS.items()
    ]


def get(conn: sqlite3.Connection, key: str) -> int:
    return load(conn)[_known(key).key]


def set_value(change: Change, key: str, text: str) -> int:
    setting = _known(key)
    try:
        value = int(text.strip())
    except ValueError:
        raise BadValue(f"{setting.key} must be a whole number, not {text!r}") from None
    if not setting.low <= value <= setting.high:
        raise BadValue(f"{setting.key} must be between {setting.low} and {setting.high}")
    values = {**load(change.conn), setting.key: value}
    if not values["tiers.A"] > values["tiers.B"] > values["tiers.C"]:
        raise BadValue("tier thresholds must fall from A to C (tiers.A > tiers.B > tiers.C)")
    row = change.conn.execute("SELECT rowid FROM settings WHERE key = ?", [setting.key]).fetchone()
    if row is None:
        change.insert("settings", {"key": setting.key, "value": str(value)})
    else:
        change.update("settings", row[0], {"value": str(value)})
    change.summary = f"set {setting.key} = {value}"
    return value
