"""The book's settings: reminder cadences and thresholds, tier thresholds, and the words,
addresses and switches later features read (language, chat robot, replica…).

Stored in the `settings` table as text; anything not set there has its documented
default. Each setting says how its text is read, so `config set` refuses what the
feature could not use. Secret settings are never shown whole.
"""

import sqlite3
from collections.abc import Callable
from typing import NamedTuple

from salesflow.choices import ROBOT_KINDS
from salesflow.db import Change
from salesflow.errors import BadValue, NotFound
from salesflow.i18n import N_, _

Value = int | str


class Setting(NamedTuple):
    key: str
    default: Value
    read: Callable[[str], Value]  # text → value, raising BadValue
    help: str
    secret: bool = False


def whole(low: int, high: int) -> Callable[[str], Value]:
    def read(text: str) -> Value:
        try:
            value = int(text.strip())
        except ValueError:
            raise BadValue(_("a whole number is needed, not {text!r}").format(text=text)) from None
        if not low <= value <= high:
            raise BadValue(_("must be between {low} and {high}").format(low=low, high=high))
        return value

    return read


def one_of(*choices: str) -> Callable[[str], Value]:
    def read(text: str) -> Value:
        value = text.strip().lower()
        if value not in choices:
            raise BadValue(
                _("must be one of {choices}, not {text!r}").format(
                    choices=", ".join(choices), text=text
                )
            )
        return value

    return read


def alarm_time(text: str) -> Value:
    """The calendar's alarm hour, read by the calendar's own rule, kept as HH:MM."""
    from salesflow.calendar import parse_alarm_time

    return parse_alarm_time(text).strftime("%H:%M")


def free_text(text: str) -> Value:
    return text.strip()


def probability(text: str) -> Value:
    """A probability strictly between 0 and 1, kept as its normalised text (e.g. `0.5`)."""
    try:
        value = float(text.strip())
    except ValueError:
        raise BadValue(
            _("a number between 0 and 1 is needed, not {text!r}").format(text=text)
        ) from None
    if not 0.0 < value < 1.0:
        raise BadValue(_("must lie strictly between 0 and 1"))
    return repr(value)


def robot_address(text: str) -> Value:
    """A chat robot's address: http(s) with a host; the refusal never repeats it."""
    from salesflow.notify import validate_url

    return validate_url(text) if text.strip() else ""


def replica_address(text: str) -> Value:
    """A replica address Litestream accepts, with no credentials in it."""
    from salesflow.replica import validate_url

    return validate_url(text) if text.strip() else ""


SETTINGS = {
    setting.key: setting
    for setting in (
        Setting("cadence.A", 7, whole(1, 3650), N_("days between contacts for tier A customers")),
        Setting("cadence.B", 14, whole(1, 3650), N_("days between contacts for tier B customers")),
        Setting("cadence.C", 30, whole(1, 3650), N_("days between contacts for tier C customers")),
        Setting("cadence.D", 60, whole(1, 3650), N_("days between contacts for tier D customers")),
        Setting(
            "cadence.none", 30, whole(1, 3650), N_("days between contacts for untiered customers")
        ),
        Setting(
            "used_up.lead_days",
            3,
            whole(0, 365),
            N_("remind this many days before a product runs out"),
        ),
        Setting(
            "used_up.expire_days",
            60,
            whole(0, 3650),
            N_("stop showing a used-up item this many days after the product ran out"),
        ),
        Setting(
            "no_repurchase.days", 90, whole(1, 3650), N_("days without a sale before no-repurchase")
        ),
        Setting("never_purchased.days", 30, whole(0, 3650), N_("days after joining with no sale")),
        Setting(
            "birthday.days", 7, whole(0, 366), N_("how many days ahead birthdays are announced")
        ),
        Setting("tiers.A", 13, whole(3, 15), N_("lowest RFM score (3-15) for tier A")),
        Setting("tiers.B", 10, whole(3, 15), N_("lowest RFM score for tier B")),
        Setting("tiers.C", 7, whole(3, 15), N_("lowest RFM score for tier C")),
        Setting(
            "predict.min_purchases",
            2,
            whole(1, 1000),
            N_("purchase days a customer needs before a falling chance of buying is flagged"),
        ),
        Setting(
            "predict.alert",
            "0.5",
            probability,
            N_("flag a customer whose chance of still buying falls below this (0-1)"),
        ),
        Setting(
            "replica.url",
            "",
            replica_address,
            N_(
                "where the book is replicated (file:///folder, s3://bucket/path, sftp://user@host/"
                "path…); credentials only from the environment"
            ),
        ),
        Setting(
            "remind.slipping",
            "off",
            one_of("on", "off"),
            N_(
                "on: remind lists regular buyers whose chance of still buying fell below "
                "predict.alert (kind slipping)"
            ),
        ),
        Setting(
            "calendar.alarm_time",
            "09:00",
            alarm_time,
            N_("when the calendar of reminders (remind --format ics) rings each item's day"),
        ),
        Setting(
            "notify.kind",
            "wecom",
            one_of(*ROBOT_KINDS),
            N_("the chat robot remind --notify posts to: wecom, dingtalk, feishu or webhook"),
        ),
        Setting(
            "notify.url",
            "",
            robot_address,
            N_("the chat robot's address (its access token; SALESFLOW_NOTIFY_URL overrides)"),
            secret=True,
        ),
        Setting(
            "notify.secret",
            "",
            free_text,
            N_(
                "the signing secret of a signed DingTalk or Feishu robot "
                "(SALESFLOW_NOTIFY_SECRET overrides)"
            ),
            secret=True,
        ),
        Setting(
            "ui.language",
            "auto",
            one_of("auto", "zh", "en"),
            N_("language of the program: zh, en, or auto (from the locale)"),
        ),
    )
}


def _known(key: str) -> Setting:
    for name, setting in SETTINGS.items():
        if name.lower() == key.strip().lower():
            return setting
    raise NotFound(_("no setting {key!r}").format(key=key), hint="config-list")


def load(conn: sqlite3.Connection) -> dict[str, Value]:
    """Every setting's value in force: stored or default."""
    values = {key: setting.default for key, setting in SETTINGS.items()}
    for key, text in conn.execute("SELECT key, value FROM settings"):
        if key in SETTINGS:
            values[key] = SETTINGS[key].read(text)
    return values


def shown(setting: Setting, value: Value) -> Value:
    """A value as `config` shows it: secrets masked, never whole."""
    if not setting.secret or value in ("", None):
        return value
    from salesflow.notify import mask_secret  # an address keeps its scheme and host only

    return mask_secret(str(value))


def list_settings(conn: sqlite3.Connection) -> list[dict[str, object]]:
    values = load(conn)
    return [
        {
            "key": key,
            "value": shown(setting, values[key]),
            "default": setting.default,
            "help": setting.help,  # English, as data; tables show it translated
        }
        for key, setting in SETTINGS.items()
    ]


def get(conn: sqlite3.Connection, key: str) -> Value:
    setting = _known(key)
    return shown(setting, load(conn)[setting.key])


def set_value(change: Change, key: str, text: str) -> Value:
    setting = _known(key)
    try:
        value = setting.read(text)
    except BadValue as error:
        if str(error).startswith(setting.key):  # the feature's rule named the setting already
            raise
        raise BadValue(_("{key}: {problem}").format(key=setting.key, problem=error)) from None
    values = {**load(change.conn), setting.key: value}
    if not values["tiers.A"] > values["tiers.B"] > values["tiers.C"]:  # type: ignore[operator]
        raise BadValue(_("tier thresholds must fall from A to C (tiers.A > tiers.B > tiers.C)"))
    row = change.conn.execute("SELECT rowid FROM settings WHERE key = ?", [setting.key]).fetchone()
    if row is None:
        change.insert("settings", {"key": setting.key, "value": str(value)})
    else:
        change.update("settings", row[0], {"value": str(value)})
    if setting.secret:  # a secret's value is never logged
        change.describe(N_("set {key}"), key=setting.key)
    else:
        change.describe(N_("set {key} = {value}"), key=setting.key, value=str(value))
    return shown(setting, value)
