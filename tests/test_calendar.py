"""The reminder list as an iCalendar file, checked by icalendar and by vobject."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from salesflow.calendar import event_date, parse_alarm_time, reminder_calendar
from salesflow.errors import BadValue

NOW = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)


def items_as_of(as_of: date) -> list[dict]:
    """The morning list as remind produces it on `as_of`, each item with its stable key."""
    situations = [
        ("k3f9a2", "follow-up", "张三", date(2026, 11, 20)),
        ("b71c0d", "birthday", "欧阳娜娜", date(2026, 11, 30)),
        ("e04d5a", "no-contact", "John Smith", date(2026, 11, 27)),
    ]
    return [
        {
            "key": key,
            "kind": kind,
            "customer_id": number,
            "customer": customer,
            "due": due.isoformat(),
            "days_overdue": (as_of - due).days,
            "detail": None,
        }
        for number, (key, kind, customer, due) in enumerate(situations, 1)
    ]


def summary(item) -> str:
    return f"{item['kind']}: {item['customer']}"


def description(item) -> str:
    return f"due {item['due']}, {item['days_overdue']} days overdue"


def build(items, *, now=NOW, alarm=time(9, 0)) -> bytes:
    return reminder_calendar(
        items, alarm_time=alarm, summary_for=summary, description_for=description, now=now
    )


def events_by_uid(data: bytes) -> dict:
    from icalendar import Calendar

    calendar = Calendar.from_ical(data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


# ---------------------------------------------------------------- alarm time setting


@pytest.mark.parametrize(
    ("text", "expected"),
    [("09:00", time(9, 0)), ("9:30", time(9, 30)), (" 18:05 ", time(18, 5)), ("0:00", time(0))],
)
def test_alarm_time_reads_a_24_hour_clock(text, expected):
    assert parse_alarm_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:60", "nine", "", "9", "09:00:00", "9:5", "-1:00"])
def test_alarm_time_refuses_what_is_not_a_time_of_day(text):
    with pytest.raises(BadValue) as raised:
        parse_alarm_time(text)

    assert raised.value.exit_code == 2
    assert str(raised.value) == (
        f"calendar.alarm_time must be a time of day like 09:00, not {text!r}"
    )


# ---------------------------------------------------------------- the calendar


def test_one_all_day_event_per_item_with_an_alarm_at_the_configured_hour():
    events = events_by_uid(build(items_as_of(date(2026, 11, 27)), alarm=time(8, 45)))

    assert sorted(events) == ["b71c0d@salesflow", "e04d5a@salesflow", "k3f9a2@salesflow"]
    for event in events.values():
        start = event.decoded("DTSTART")
        assert type(start) is date  # VALUE=DATE: all day, no time
        assert event.decoded("DTEND") == start + timedelta(days=1)
        assert event.decoded("DTSTAMP") == NOW
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm.decoded("TRIGGER") == timedelta(hours=8, minutes=45)
        assert str(alarm["DESCRIPTION"]) == str(event["SUMMARY"])
    birthday = events["b71c0d@salesflow"]
    assert birthday.decoded("DTSTART") == date(2026, 11, 30)
    assert str(birthday["SUMMARY"]) == "birthday: 欧阳娜娜"
    assert int(birthday["SEQUENCE"]) == 0


def test_an_overdue_item_is_on_the_lists_day_with_its_due_date_in_the_description():
    events = events_by_uid(build(items_as_of(date(2026, 11, 27))))

    overdue = events["k3f9a2@salesflow"]
    assert overdue.decoded("DTSTART") == date(2026, 11, 27)
    assert str(overdue["DESCRIPTION"]) == "due 2026-11-20, 7 days overdue"
    assert int(overdue["SEQUENCE"]) == 7
    assert events["e04d5a@salesflow"].decoded("DTSTART") == date(2026, 11, 27)


def test_event_date_is_the_due_date_until_it_passes():
    assert event_date({"due": "2026-12-01", "days_overdue": -4}) == date(2026, 12, 1)
    assert event_date({"due": date(2026, 11, 20), "days_overdue": 7}) == date(2026, 11, 27)
    assert event_date({"due": "2026-11-20", "days_overdue": None}) == date(2026, 11, 20)


def test_calendar_header_names_the_calendar_and_the_product():
    from icalendar import Calendar

    calendar = Calendar.from_ical(build(items_as_of(date(2026, 11, 27))))

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//salesflow//remind//EN"
    assert str(calendar["X-WR-CALNAME"]) == "salesflow"
    assert str(calendar["METHOD"]) == "PUBLISH"


def test_tomorrows_file_keeps_the_uids_moves_overdue_events_and_drops_done_items():
    today = build(items_as_of(date(2026, 11, 27)))
    # tomorrow: the no-contact item was handled (a contact was logged), the rest still due
    tomorrows_items = [
        item for item in items_as_of(date(2026, 11, 28)) if item["kind"] != "no-contact"
    ]
    tomorrow = build(tomorrows_items, now=NOW + timedelta(days=1))

    before, after = events_by_uid(today), events_by_uid(tomorrow)
    assert sorted(after) == ["b71c0d@salesflow", "k3f9a2@salesflow"]
    assert "e04d5a@salesflow" in before
    moved = after["k3f9a2@salesflow"]
    assert moved.decoded("DTSTART") == date(2026, 11, 28)
    assert int(moved["SEQUENCE"]) > int(before["k3f9a2@salesflow"]["SEQUENCE"])
    assert after["b71c0d@salesflow"].decoded("DTSTART") == date(2026, 11, 30)


def test_same_list_at_another_moment_differs_only_in_dtstamp():
    items = items_as_of(date(2026, 11, 27))
    first = build(items).decode()
    second = build(items, now=NOW + timedelta(hours=3)).decode()

    assert first != second
    assert first.replace("DTSTAMP:20261127T073000Z", "DTSTAMP:20261127T103000Z") == second


def test_ics_is_crlf_and_folded_at_75_octets():
    long_items = [
        dict(item, customer="南京紫金科技有限公司采购部" * 4)
        for item in items_as_of(date(2026, 11, 27))
    ]
    raw = build(long_items)

    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    for line in raw.split(b"\r\n"):
        line.decode()


def test_ics_parses_in_vobject():
    import vobject

    data = build(items_as_of(date(2026, 11, 27))).decode()

    calendar = vobject.readOne(data)
    events = {event.uid.value: event for event in calendar.vevent_list}
    assert sorted(events) == ["b71c0d@salesflow", "e04d5a@salesflow", "k3f9a2@salesflow"]
    overdue = events["k3f9a2@salesflow"]
    assert overdue.dtstart.value == date(2026, 11, 27)
    assert overdue.summary.value == "follow-up: 张三"
    assert overdue.valarm.action.value == "DISPLAY"
    assert overdue.valarm.trigger.value == timedelta(hours=9)
    assert events["b71c0d@salesflow"].dtstart.value == date(2026, 11, 30)


def test_nothing_due_is_an_empty_but_valid_calendar():
    from icalendar import Calendar

    calendar = Calendar.from_ical(build([]))

    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "salesflow"
