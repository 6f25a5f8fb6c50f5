"""The morning list as an iCalendar file (RFC 5545) a phone calendar subscribes to.

One all-day event per reminder item, with a display alarm at the configured hour.

An item that is already overdue is placed on the day of the list (its due date plus its
days overdue), not on its due date: a calendar shows the past as done with, and an alarm
set in the past never rings, so an overdue item on its due date would be invisible. The
due date is in the description the caller writes. The event's UID comes from the item's
stable key, so tomorrow's file moves the same event to tomorrow instead of adding a second
one; SEQUENCE grows by one with each day the item stays overdue, which is what RFC 5545
asks of an update that moves an event, so calendars that import rather than subscribe
accept the move. An item handled since the last file is absent from the next one, and a
subscribed calendar drops it.
"""

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from salesflow.errors import BadValue
from salesflow.i18n import _

PRODUCT_ID = "-//salesflow//remind//EN"
ALARM_TIME = r"(\d{1,2}):(\d{2})"

Item = Mapping[str, Any]


def parse_alarm_time(text: str) -> time:
    """The `calendar.alarm_time` setting (`09:00`, `9:30`, 24-hour clock) as a time."""
    match = re.fullmatch(ALARM_TIME, text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise BadValue(
            _("calendar.alarm_time must be a time of day like 09:00, not {value!r}").format(
                value=text
            )
        )
    return time(int(match[1]), int(match[2]))


def event_date(item: Item) -> date:
    """The day an item's event is on: its due date, or the list's day once overdue."""
    due = _as_date(item["due"])
    days_overdue = item.get("days_overdue") or 0
    return due + timedelta(days=max(days_overdue, 0))


def reminder_calendar(
    items: Iterable[Item],
    *,
    alarm_time: time,
    summary_for: Callable[[Item], str],
    description_for: Callable[[Item], str],
    product_id: str = PRODUCT_ID,
    now: datetime,
    name: str = "salesflow",
) -> bytes:
    """The reminder items as one VCALENDAR of all-day VEVENTs with a VALARM each.

    Every item needs `key` (its stable reminder key), `due` (ISO text or a date) and
    `days_overdue`; `summary_for` and `description_for` write the text people read, in
    their language. `now` stamps the events (DTSTAMP). `name` is the calendar's title.
    """
    from icalendar import Alarm, Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", product_id)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = _utc(now)
    trigger = timedelta(hours=alarm_time.hour, minutes=alarm_time.minute)
    for item in items:
        day = event_date(item)
        summary = summary_for(item)
        event = Event()
        event.add("uid", f"{item['key']}@salesflow")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("sequence", max(item.get("days_overdue") or 0, 0))
        event.add("summary", summary)
        event.add("description", description_for(item))
        event.add("transp", "TRANSPARENT")  # a reminder does not make the salesperson busy
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", trigger)  # from the all-day start, i.e. local midnight
        event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a naive `now` is the machine's local time
    return moment.astimezone(UTC)
