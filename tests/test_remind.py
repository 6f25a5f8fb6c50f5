"""remind: every kind at its boundary, as-of, order, filters and the cron contract."""

import os
import subprocess
import sys
from datetime import date, timedelta

TODAY = date(2026, 3, 16)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def reminders(cli, *options):
    return cli.json("remind", *options)


def due(cli, *options):
    return [
        (item["kind"], item["customer"], item["due"], item["days_overdue"])
        for item in reminders(cli, *options)
    ]


def customer(cli, name, *options, created=-400):
    """A customer with a contact and a recent sale, so only what a test adds is due."""
    cli("customer", "add", name, "--created", day(created), *options)


def quiet(cli, name, *options):
    customer(cli, name, *options)
    cli("log", name, "routine", "--at", day(-1))
    cli("sale", "add", name, "--amount", "1", "--date", day(-1))


def test_empty_book_has_nothing_due(cli):
    assert reminders(cli) == []
    assert cli("remind").stdout == ""


def test_follow_up_due_today_but_not_tomorrow(cli):
    customer(cli, "today")
    customer(cli, "tomorrow")
    cli("log", "today", "call", "--at", day(-3), "--next", day(0))
    cli("log", "tomorrow", "call", "--at", day(-3), "--next", day(1))
    assert due(cli, "--kind", "follow-up") == [("follow-up", "today", day(0), 0)]
    assert due(cli, "--kind", "follow-up", "--days-ahead", "1") == [
        ("follow-up", "today", day(0), 0),
        ("follow-up", "tomorrow", day(1), -1),
    ]


def test_only_the_latest_contacts_follow_up_counts(cli):
    quiet(cli, "x")
    cli("log", "x", "old", "--at", day(-10), "--next", day(-5))
    assert due(cli, "--kind", "follow-up") == []  # the routine contact on day -1 is later


def test_no_contact_uses_the_tier_cadence(cli):
    customer(cli, "b-due", "--tier", "B")
    customer(cli, "b-not", "--tier", "B")
    customer(cli, "none-due")
    cli("log", "b-due", "x", "--at", day(-14))
    cli("log", "b-not", "x", "--at", day(-13))
    cli("log", "none-due", "x", "--at", day(-31))
    assert due(cli, "--kind", "no-contact") == [
        ("no-contact", "b-due", day(0), 0),
        ("no-contact", "none-due", day(-1), 1),
    ]
    cli("config", "set", "cadence.B", "13")
    assert [i[1] for i in due(cli, "--kind", "no-contact")] == ["b-due", "b-not", "none-due"]


def test_no_contact_waits_while_a_follow_up_is_scheduled(cli):
    customer(cli, "planned")
    cli("log", "planned", "x", "--at", day(-40), "--next", day(5))
    assert due(cli, "--kind", "no-contact") == []


def test_never_contacted_is_due_from_the_created_date(cli):
    customer(cli, "new", created=-2)
    quiet(cli, "known")
    assert due(cli, "--kind", "never-contacted") == [("never-contacted", "new", day(-2), 2)]


def test_used_up_from_quantity_times_cycle_with_lead(cli):
    cli("product", "add", "洗发水", "--price", "50", "--cycle-days", "10")
    cli("product", "add", "锅", "--price", "500")
    customer(cli, "runs-out")
    customer(cli, "later")
    customer(cli, "durable")
    # 2 units × 10 days: runs out on day +3, within the 3-day lead → due
    cli("sale", "add", "runs-out", "洗发水", "--quantity", "2", "--date", day(-17))
    cli("sale", "add", "later", "洗发水", "--quantity", "2", "--date", day(-16))
    cli("sale", "add", "durable", "锅", "--date", day(-300))
    items = reminders(cli, "--kind", "used-up")
    assert [(i["customer"], i["due"], i["days_overdue"], i["product"]) for i in items] == [
        ("runs-out", day(3), -3, "洗发水")
    ]


def test_used_up_follows_the_latest_purchase_of_each_product(cli):
    cli("product", "add", "茶", "--price", "5", "--cycle-days", "30")
    customer(cli, "x")
    cli("sale", "add", "x", "茶", "--date", day(-100))
    cli("sale", "add", "x", "茶", "--date", day(-5))
    assert due(cli, "--kind", "used-up") == []


def test_no_repurchase_after_90_days(cli):
    customer(cli, "gone")
    customer(cli, "recent")
    cli("sale", "add", "gone", "--amount", "1", "--date", day(-90))
    cli("sale", "add", "recent", "--amount", "1", "--date", day(-89))
    assert due(cli, "--kind", "no-repurchase") == [("no-repurchase", "gone", day(0), 0)]


def test_never_purchased_30_days_after_joining(cli):
    customer(cli, "old", created=-30)
    customer(cli, "fresh", created=-29)
    assert due(cli, "--kind", "never-purchased") == [("never-purchased", "old", day(0), 0)]


def test_stale_deal_and_close_overdue(cli, monkeypatch):
    quiet(cli, "acct")
    monkeypatch.setenv("SALESFLOW_TODAY", day(-30))
    cli("deal", "add", "acct", "stale", "--close", day(-1))  # development: max 30 days
    monkeypatch.setenv("SALESFLOW_TODAY", day(-29))
    cli("deal", "add", "acct", "fresh", "--close", day(0))
    monkeypatch.setenv("SALESFLOW_TODAY", day(0))
    items = reminders(cli, "--kind", "stale-deal", "--kind", "close-overdue")
    assert [(i["kind"], i["deal_id"], i["due"], i["days_overdue"]) for i in items] == [
        ("stale-deal", 1, day(0), 0),
        ("close-overdue", 1, day(-1), 1),
    ]


def test_closed_deals_stop_reminding_but_were_open_before_they_closed(cli, monkeypatch):
    quiet(cli, "acct")
    monkeypatch.setenv("SALESFLOW_TODAY", day(-31))
    cli("deal", "add", "acct", "old", "--close", day(-2))
    monkeypatch.setenv("SALESFLOW_TODAY", day(0))
    cli("deal", "lost", "1", "--reason", "x")
    assert reminders(cli, "--kind", "stale-deal", "--kind", "close-overdue") == []
    before = reminders(cli, "--kind", "stale-deal", "--kind", "close-overdue", "--as-of", day(-1))
    assert [(i["kind"], i["due"], i["days_overdue"]) for i in before] == [
        ("stale-deal", day(-1), 0),
        ("close-overdue", day(-2), 1),
    ]


def test_stale_deal_counts_from_the_stage_entry(cli, monkeypatch):
    quiet(cli, "acct")
    monkeypatch.setenv("SALESFLOW_TODAY", day(-45))
    cli("deal", "add", "acct", "moving")
    monkeypatch.setenv("SALESFLOW_TODAY", day(-10))
    cli("deal", "advance", "1", "--force", "--reason", "x")  # initiation: max 30 days
    monkeypatch.setenv("SALESFLOW_TODAY", day(0))
    assert reminders(cli, "--kind", "stale-deal") == []
    stale = reminders(cli, "--kind", "stale-deal", "--as-of", day(-12))
    assert [(i["due"], i["days_overdue"]) for i in stale] == [(day(-15), 3)]


def test_birthday_within_the_next_seven_days(cli):
    quiet(cli, "soon", "--set", "birthday=1990-" + day(7)[5:])
    quiet(cli, "later", "--set", "birthday=" + day(8)[5:])
    items = reminders(cli, "--kind", "birthday")
    assert [(i["customer"], i["due"], i["days_overdue"]) for i in items] == [("soon", day(7), -7)]
    assert "turns" in items[0]["detail"]


def test_as_of_ignores_records_after_the_date(cli):
    customer(cli, "x", created=-100)
    cli("log", "x", "call", "--at", day(-50))
    cli("log", "x", "later call", "--at", day(-1))
    cli("sale", "add", "x", "--amount", "1", "--date", day(-1))
    as_of = day(-20)
    kinds = {i["kind"]: i for i in reminders(cli, "--as-of", as_of)}
    assert kinds["no-contact"]["due"] == day(-20)  # last contact day -50 + 30
    assert "never-purchased" in kinds  # the sale on day -1 does not exist yet
    assert "never-contacted" not in kinds
    customer(cli, "future", created=-5)
    assert all(i["customer"] != "future" for i in reminders(cli, "--as-of", as_of))


def test_order_kind_then_tier_then_most_overdue(cli):
    customer(cli, "none-old", created=-60)
    customer(cli, "a-new", "--tier", "A", created=-31)
    customer(cli, "a-old", "--tier", "A", created=-90)
    customer(cli, "d", "--tier", "D", created=-35)
    items = reminders(cli, "--kind", "never-purchased", "--kind", "never-contacted")
    assert [(i["kind"], i["customer"]) for i in items] == [
        ("never-contacted", "a-old"),
        ("never-contacted", "a-new"),
        ("never-contacted", "d"),
        ("never-contacted", "none-old"),
        ("never-purchased", "a-old"),
        ("never-purchased", "a-new"),
        ("never-purchased", "d"),
        ("never-purchased", "none-old"),
    ]
    assert set(items[0]) == {
        "kind",
        "customer_id",
        "customer",
        "owner",
        "tier",
        "due",
        "days_overdue",
        "detail",
        "deal_id",
        "product",
        "key",
    }


def test_owner_filter(cli):
    customer(cli, "mine", "--owner", "李娜", created=-1)
    customer(cli, "theirs", "--owner", "王强", created=-1)
    assert {i["customer"] for i in reminders(cli, "--owner", "李娜")} == {"mine"}


def test_unknown_kind_and_bad_as_of_are_usage_errors(cli):
    cli("remind", "--kind", "everything", code=2)
    cli("remind", "--as-of", "the other day", code=2)


def test_plain_text_groups_by_kind_and_never_truncates(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "20")
    long_name = "非常长的客户名字" * 6
    customer(cli, long_name, created=-40)
    out = cli("remind").stdout
    assert out.splitlines()[0] == "never-contacted: 1 due"
    assert "never-purchased: 1 due" in out
    assert long_name in out and "\x1b" not in out


def run_bare(args, db_path, today="2026-03-16", extra_env=None):
    env = {
        "PATH": os.environ["PATH"],
        "SALESFLOW_DB": str(db_path),
        "SALESFLOW_TODAY": today,
        "LC_ALL": "C.UTF-8",
        **(extra_env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "salesflow", *args], env=env, capture_output=True, cwd=db_path.parent
    )


def test_cron_gets_zero_bytes_when_nothing_is_due(tmp_path):
    db_path = tmp_path / "book.db"
    result = run_bare(["remind"], db_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert run_bare(["customer", "add", "x", "--created", "2026-03-16"], db_path).returncode == 0
    result = run_bare(
        ["remind", "--kind", "never-purchased"], db_path, extra_env={"TZ": "Asia/Shanghai"}
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")


def test_cron_gets_plain_text_when_items_are_due(tmp_path):
    db_path = tmp_path / "book.db"
    run_bare(["customer", "add", "张三", "--created", "2026-03-01"], db_path)
    result = run_bare(["remind"], db_path, extra_env={"TZ": "America/New_York"})
    assert result.returncode == 0 and result.stderr == b""
    text = result.stdout.decode("utf-8")
    assert text.startswith("never-contacted: 1 due\n")
    assert "张三" in text and b"\x1b" not in result.stdout


def test_used_up_as_of_a_date_before_the_latest_purchase(cli):
    cli("product", "add", "茶", "--price", "5", "--cycle-days", "10")
    customer(cli, "x")
    cli("sale", "add", "x", "茶", "--quantity", "2", "--date", day(-30))
    cli("sale", "add", "x", "茶", "--quantity", "1", "--date", day(-30))
    cli("sale", "add", "x", "茶", "--date", day(-2))
    assert due(cli, "--kind", "used-up") == []
    # as of day -3 the latest purchase is day -30, 3 units × 10 days: runs out on day 0,
    # within the 3-day lead; as of day -4 it is not yet due
    assert due(cli, "--kind", "used-up", "--as-of", day(-3)) == [("used-up", "x", day(0), -3)]
    assert due(cli, "--kind", "used-up", "--as-of", day(-4)) == []


def test_birthday_on_29_february_falls_on_the_28th_in_common_years(cli, monkeypatch):
    monkeypatch.setenv("SALESFLOW_TODAY", "2027-02-25")
    cli("customer", "add", "leap", "--set", "birthday=2000-02-29", "--created", "2027-01-01")
    items = cli.json("remind", "--kind", "birthday")
    assert [(i["due"], i["days_overdue"], i["detail"]) for i in items] == [
        ("2027-02-28", -3, "birthday 2027-02-28 (turns 27)")
    ]
