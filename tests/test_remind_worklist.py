"""Working the morning list down: stable keys, done, snooze, stop, expiry and the brief."""

import base64
import hashlib
import json
import re
from datetime import date, timedelta

import pytest

from salesflow import cli as salesflow_cli
from salesflow import reminders

TODAY = date(2026, 3, 16)


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def expected_key(kind, customer_id, due, *, deal_id=None, product_id=None) -> str:
    """The documented derivation: base32 of a SHA-256 over the situation's fields."""
    subject = f"d{deal_id}" if deal_id is not None else f"p{product_id}" if product_id else ""
    digest = hashlib.sha256(f"{kind}|{customer_id}|{subject}|{due}".encode()).digest()
    return base64.b32encode(digest[:10]).decode().lower()[:7]


def items(cli, *options):
    return cli.json("remind", *options)


def keyed(cli, *options):
    return {(i["kind"], i["customer"]): i["key"] for i in items(cli, *options)}


def quiet(cli, name, created=-400):
    """A customer with a contact and a sale yesterday: nothing due unless a test adds it."""
    cli("customer", "add", name, "--created", day(created))
    cli("log", name, "routine", "--at", day(-1))
    cli("sale", "add", name, "--amount", "1", "--date", day(-1))


def tea_drinker(cli, name="张三", bought=-40):
    """A customer whose 茶 (1 unit lasts 30 days) ran out on bought + 30."""
    quiet(cli, name)
    cli("product", "add", "茶", "--price", "5", "--cycle-days", "30")
    cli("sale", "add", name, "茶", "--date", day(bought))


# ---------------------------------------------------------------- keys


def test_keys_are_derived_from_the_situation_and_stable_across_runs(cli):
    tea_drinker(cli)
    cli("customer", "add", "new", "--created", day(-2))
    first = items(cli)
    assert first == items(cli)
    by_kind = {item["kind"]: item for item in first}
    assert by_kind["used-up"]["key"] == expected_key("used-up", 1, day(-10), product_id=1)
    assert by_kind["never-contacted"]["key"] == expected_key("never-contacted", 2, day(-2))
    assert all(len(item["key"]) == 7 for item in first)


@pytest.mark.parametrize(
    "situation",
    [
        ("follow-up", 1, None, None, "2026-03-16"),
        ("used-up", 42, None, 7, "2026-03-06"),
        ("stale-deal", 99999, 12, None, "2025-12-31 09:30"),
        ("birthday", 3, None, None, "2026-02-28"),
    ],
)
def test_a_key_is_the_documented_sha256_whichever_module_computes_it(situation):
    """The list takes SHA-256 from the interpreter's own module, not hashlib's: the key
    in full and in short is still base32 of hashlib's digest."""
    kind, customer_id, deal_id, product_id, due = situation
    subject = f"d{deal_id}" if deal_id is not None else f"p{product_id}" if product_id else ""
    data = f"{kind}|{customer_id}|{subject}|{due}".encode()
    assert reminders._sha256()(data).digest() == hashlib.sha256(data).digest()
    whole = base64.b32encode(hashlib.sha256(data).digest()[:10]).decode().lower()
    assert reminders.full_key(situation) == whole
    assert reminders.reminder_key(situation) == whole[: reminders.KEY_LENGTH]


def test_a_new_situation_gets_a_new_key(cli):
    tea_drinker(cli)
    cli("customer", "add", "silent", "--created", day(-400))
    cli("log", "silent", "call", "--at", day(-40))
    before = keyed(cli)
    cli("sale", "add", "张三", "茶", "--date", day(-29))  # runs out on day +1: due again, later
    cli("log", "silent", "call", "--at", day(-35))  # the no-contact date moves
    after = keyed(cli)
    assert after[("used-up", "张三")] != before[("used-up", "张三")]
    assert after[("no-contact", "silent")] != before[("no-contact", "silent")]
    assert after[("never-purchased", "silent")] == before[("never-purchased", "silent")]


def test_deal_keys_depend_on_the_deal(cli, monkeypatch):
    quiet(cli, "acct")
    monkeypatch.setenv("SALESFLOW_TODAY", day(-40))
    cli("deal", "add", "acct", "one", "--close", day(-5))
    cli("deal", "add", "acct", "two", "--close", day(-5))
    monkeypatch.setenv("SALESFLOW_TODAY", day(0))
    overdue = items(cli, "--kind", "close-overdue")
    assert [i["key"] for i in overdue] == [
        expected_key("close-overdue", 1, day(-5), deal_id=1),
        expected_key("close-overdue", 1, day(-5), deal_id=2),
    ]


def test_the_table_and_csv_show_the_key(cli):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    table = cli("remind", "--kind", "used-up").stdout
    assert table.splitlines()[1].split()[0] == "Key" and key in table
    header, row = cli("remind", "--kind", "used-up", "--format", "csv").stdout.splitlines()
    assert header.split(",")[-1] == "key" and row.endswith(key)


# ---------------------------------------------------------------- done and snooze


def test_done_hides_the_item_today_and_tomorrow_and_all_shows_it(cli, monkeypatch):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    result = cli("remind", "done", key, "--note", "客户已改喝茶")
    assert key in result.stderr
    assert items(cli, "--kind", "used-up") == []
    assert cli("remind", "--kind", "used-up").stdout == ""
    monkeypatch.setenv("SALESFLOW_TODAY", day(1))
    assert items(cli, "--kind", "used-up") == []
    [shown] = items(cli, "--kind", "used-up", "--all")
    assert (shown["key"], shown["state"], shown["done_at"], shown["snoozed_until"]) == (
        key,
        "done",
        day(0),
        None,
    )
    assert f"done on {day(0)}" in cli("remind", "--kind", "used-up", "--all").stdout


def test_state_fields_only_with_all(cli):
    tea_drinker(cli)
    [plain] = items(cli, "--kind", "used-up")
    assert not {"state", "snoozed_until", "done_at"} & set(plain)
    [listed] = items(cli, "--kind", "used-up", "--all")
    assert (listed["state"], listed["snoozed_until"], listed["done_at"]) == ("due", None, None)
    header = cli("remind", "--all", "--kind", "used-up", "-f", "csv").stdout.splitlines()[0]
    assert header.endswith("key,state,snoozed_until,done_at")


def test_as_of_before_the_done_date_shows_the_item_as_due(cli, monkeypatch):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    monkeypatch.setenv("SALESFLOW_TODAY", day(-3))
    cli("remind", "done", key)  # handled three days ago
    monkeypatch.setenv("SALESFLOW_TODAY", day(0))
    assert items(cli, "--kind", "used-up") == []
    assert [i["key"] for i in items(cli, "--kind", "used-up", "--as-of", day(-4))] == [key]
    assert items(cli, "--kind", "used-up", "--as-of", day(-3)) == []


def test_done_as_of_a_day_is_recorded_on_that_day(cli):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    cli("remind", "done", key, "--as-of", day(-2))
    [shown] = items(cli, "--kind", "used-up", "--all")
    assert shown["done_at"] == day(-2)
    assert len(items(cli, "--kind", "used-up", "--as-of", day(-3))) == 1


def test_snooze_hides_until_the_day_then_shows_the_original_due(cli, monkeypatch):
    tea_drinker(cli)
    [item] = items(cli, "--kind", "used-up")
    result = cli("remind", "snooze", item["key"], "--until", "+3d")
    assert day(3) in result.stderr
    [snoozed] = items(cli, "--kind", "used-up", "--all")
    assert (snoozed["state"], snoozed["snoozed_until"]) == ("snoozed", day(3))
    assert f"snoozed until {day(3)}" in cli("remind", "--all").stdout
    for offset in (0, 1, 2):
        monkeypatch.setenv("SALESFLOW_TODAY", day(offset))
        assert items(cli, "--kind", "used-up") == []
    monkeypatch.setenv("SALESFLOW_TODAY", day(3))
    [back] = items(cli, "--kind", "used-up")
    assert (back["key"], back["due"], back["days_overdue"]) == (item["key"], day(-10), 13)


def test_snooze_must_end_after_today(cli):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    for until in ("today", day(-1)):
        result = cli("remind", "snooze", key, "--until", until, code=2)
        assert result.stderr.startswith("Error: a snooze must end after")
    cli("remind", "snooze", key, "--until", "yesterday, maybe", code=2)
    cli("remind", "snooze", key, code=2)  # --until is required
    assert len(items(cli, "--kind", "used-up")) == 1


def test_a_later_answer_replaces_an_earlier_one(cli, monkeypatch):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    cli("remind", "snooze", key, "--until", day(5))
    monkeypatch.setenv("SALESFLOW_TODAY", day(1))
    cli("remind", "done", key)
    monkeypatch.setenv("SALESFLOW_TODAY", day(6))
    assert items(cli, "--kind", "used-up") == []  # done outlasts the snooze
    states = [i["state"] for i in items(cli, "--kind", "used-up", "--all", "--as-of", day(0))]
    assert states == ["snoozed"]


def test_done_and_snooze_are_in_history_and_undone(cli):
    tea_drinker(cli)
    cli("customer", "add", "new", "--created", day(-2))
    keys = [i["key"] for i in items(cli)]
    cli("remind", "done", keys[0])
    cli("remind", "snooze", keys[1], "--until", "+2d")
    history = cli.json("history", "--limit", "2")
    assert [h["command"] for h in history] == ["remind snooze", "remind done"]
    assert keys[1] in history[0]["summary"] and keys[0] in history[1]["summary"]
    cli("undo")
    assert keys[1] in [i["key"] for i in items(cli)]
    assert keys[0] not in [i["key"] for i in items(cli)]
    cli("undo")
    assert [i["key"] for i in items(cli)] == keys


def test_a_unique_start_of_a_key_is_enough_in_any_case(cli):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    cli("remind", "done", key[:4].upper())
    assert items(cli, "--kind", "used-up") == []


def test_unknown_keys_refuse_the_lot_naming_them(cli):
    tea_drinker(cli)
    cli("customer", "add", "new", "--created", day(-2))
    before = items(cli)
    good = before[0]["key"]
    for command in (["done"], ["snooze", "--until", "+1d"]):
        result = cli("remind", *command, good, "zzzzzzz", "abc-1234", code=1)
        assert result.stderr == (
            "Error: no reminder has the key zzzzzzz, abc-1234; nothing was changed\n"
        )
    assert items(cli) == before
    assert cli.json("history", "--limit", "1")[0]["command"] != "remind done"


def test_a_too_short_key_is_a_usage_error(cli):
    tea_drinker(cli)
    result = cli("remind", "done", "ab", code=2)
    assert "at least 4 characters: ab" in result.stderr


def two_customers_whose_keys_share(prefix_length: int) -> tuple[str, str, str]:
    """Two join dates for customers #1 and #2 whose never-contacted keys start alike."""
    seen = {}
    for offset in range(1, 5000):
        key = expected_key("never-contacted", 1, day(-offset))
        seen.setdefault(key[:prefix_length], day(-offset))
    for offset in range(1, 5000):
        key = expected_key("never-contacted", 2, day(-offset))
        if key[:prefix_length] in seen:
            return seen[key[:prefix_length]], day(-offset), key[:prefix_length]
    raise AssertionError("no shared prefix found")


def test_an_ambiguous_start_lists_longer_keys_without_names(cli):
    first, second, prefix = two_customers_whose_keys_share(4)
    cli("customer", "add", "甲", "--created", first)
    cli("customer", "add", "乙", "--created", second)
    listed = items(cli, "--kind", "never-contacted")
    assert {i["key"][:4] for i in listed} == {prefix}
    result = cli("remind", "done", prefix, code=1)
    message = result.stderr
    assert message.startswith(f"Error: {prefix} matches 2 reminders: ")
    assert "never-contacted, #1" in message and "never-contacted, #2" in message
    candidates = re.findall(r"(\w+) \(never-contacted, #\d\)", message)
    assert len(candidates) == 2 and candidates == sorted(candidates)  # in the order of keys
    assert "甲" not in message and "乙" not in message
    assert len(items(cli, "--kind", "never-contacted")) == 2
    cli("remind", "done", listed[0]["key"])  # the whole key decides
    assert [i["key"] for i in items(cli, "--kind", "never-contacted")] == [listed[1]["key"]]


def test_follow_ups_planned_ahead_can_be_marked_done(cli):
    quiet(cli, "x")
    cli("log", "x", "call", "--at", day(0), "--next", day(5))
    [planned] = items(cli, "--kind", "follow-up", "--days-ahead", "7")
    cli("remind", "done", planned["key"])
    assert items(cli, "--kind", "follow-up", "--days-ahead", "7") == []


def test_options_before_the_subcommand_apply_to_it(cli):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    cli("remind", "--as-of", day(-1), "done", key)
    assert items(cli, "--kind", "used-up", "--all")[0]["done_at"] == day(-1)


def test_done_and_snooze_print_the_items_as_json(cli):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    [snoozed] = json.loads(cli("remind", "snooze", key, "--until", "+1w", "-f", "json").stdout)
    assert (snoozed["key"], snoozed["state"], snoozed["snoozed_until"]) == (key, "snoozed", day(7))
    assert cli("remind", "done", key).stdout == ""


# ---------------------------------------------------------------- stop and expiry


def test_stop_silences_one_product_for_one_customer_until_bought_again(cli):
    tea_drinker(cli)
    cli("product", "add", "咖啡", "--price", "9", "--cycle-days", "10")
    cli("sale", "add", "张三", "咖啡", "--date", day(-20))
    tea_drinker_two = "李四"
    quiet(cli, tea_drinker_two)
    cli("sale", "add", tea_drinker_two, "茶", "--date", day(-40))
    used_up = {(i["customer"], i["product"]) for i in items(cli, "--kind", "used-up")}
    assert used_up == {("张三", "茶"), ("张三", "咖啡"), ("李四", "茶")}
    result = cli("remind", "stop", "张三", "--product", "茶", "--note", "客户已改喝咖啡")
    assert "茶" in result.stderr
    used_up = {(i["customer"], i["product"]) for i in items(cli, "--kind", "used-up")}
    assert used_up == {("张三", "咖啡"), ("李四", "茶")}
    assert ("张三", "茶") in {
        (i["customer"], i["product"]) for i in items(cli, "--kind", "used-up", "--as-of", day(-1))
    }
    cli("sale", "add", "张三", "茶", "--date", day(1))
    resumed = items(cli, "--kind", "used-up", "--as-of", day(35))
    assert ("张三", "茶", day(31)) in {(i["customer"], i["product"], i["due"]) for i in resumed}


def test_customer_show_lists_the_stopped_products(cli):
    tea_drinker(cli)
    assert cli.json("customer", "show", "张三")["stopped_reminders"] == []
    cli("remind", "stop", "张三", "--product", "茶", "--note", "改喝咖啡")
    shown = cli.json("customer", "show", "张三")
    assert shown["stopped_reminders"] == [
        {
            "product_id": 1,
            "product": "茶",
            "stopped_on": day(0),
            "last_bought": day(-40),
            "note": "改喝咖啡",
        }
    ]
    table = cli("customer", "show", "张三").stdout
    assert "Used-up reminders stopped" in table and "改喝咖啡" in table
    cli("sale", "add", "张三", "茶", "--date", day(0))
    cli("sale", "add", "张三", "茶", "--date", day(0))
    # a purchase on the day of the stop was known when stopping: still stopped
    assert len(cli.json("customer", "show", "张三")["stopped_reminders"]) == 1


def test_stop_refusals_and_undo(cli):
    tea_drinker(cli)
    cli("product", "add", "锅", "--price", "500")
    cli("product", "add", "咖啡", "--price", "9", "--cycle-days", "10")
    assert "no used-up reminders" in cli("remind", "stop", "张三", "--product", "锅", code=1).stderr
    result = cli("remind", "stop", "张三", "--product", "咖啡", code=1)
    assert result.stderr == "Error: customer #1 has not bought 咖啡; nothing to stop\n"
    cli("remind", "stop", "nobody", "--product", "茶", code=1)
    cli("remind", "stop", "张三", "--product", "nothing", code=1)
    cli("remind", "stop", "张三", code=2)  # --product is required
    cli("remind", "stop", "张三", "--product", "茶")
    again = cli("remind", "stop", "张三", "--product", "茶", code=1)
    assert "are stopped since" in again.stderr
    assert cli.json("history", "--limit", "1")[0]["command"] == "remind stop"
    cli("undo")
    assert [i["product"] for i in items(cli, "--kind", "used-up")] == ["茶"]
    assert cli.json("customer", "show", "张三")["stopped_reminders"] == []


def test_used_up_expires_after_the_setting_but_deal_kinds_never(cli, monkeypatch):
    tea_drinker(cli, bought=-90)  # ran out on day -60
    quiet(cli, "late")
    cli("sale", "add", "late", "茶", "--date", day(-91))  # ran out on day -61
    assert [i["customer"] for i in items(cli, "--kind", "used-up")] == ["张三"]
    cli("config", "set", "used_up.expire_days", "61")
    assert {i["customer"] for i in items(cli, "--kind", "used-up")} == {"张三", "late"}
    cli("config", "set", "used_up.expire_days", "0")
    assert items(cli, "--kind", "used-up") == []
    assert cli("config", "get", "used_up.expire_days").stdout == "0\n"
    cli("config", "set", "used_up.expire_days", "-1", code=2)
    monkeypatch.setenv("SALESFLOW_TODAY", day(-800))
    cli("customer", "add", "acct", "--created", day(-800))
    cli("deal", "add", "acct", "old", "--close", day(-700))
    cli("log", "acct", "call", "--at", day(-800), "--next", day(-700))
    monkeypatch.setenv("SALESFLOW_TODAY", day(0))
    kinds = {i["kind"] for i in items(cli) if i["customer"] == "acct"}
    assert {"follow-up", "stale-deal", "close-overdue"} <= kinds


# ---------------------------------------------------------------- the brief


def test_the_brief_counts_new_items_and_shows_the_most_overdue(cli, monkeypatch):
    for name, created in (("old", -60), ("older", -90), ("today", 0), ("oldest", -120)):
        cli("customer", "add", name, "--created", day(created))
    tea_drinker(cli, "drinker", bought=-33)  # runs out on day -3
    quiet(cli, "soon")
    cli("sale", "add", "soon", "茶", "--date", day(-27))  # runs out on day +3: listed today
    text = cli("remind", "--brief", "--per-kind", "2", "--kind", "never-contacted",
               "--kind", "used-up").stdout  # fmt: skip
    lines = text.splitlines()
    key = {(i["kind"], i["customer"]): i["key"] for i in items(cli)}
    assert lines == [
        "never-contacted: 4 due, 1 new today",
        f"  {key[('never-contacted', 'oldest')]} oldest · 120 days overdue",
        f"  {key[('never-contacted', 'older')]} older · 90 days overdue",
        "  … and 2 more",
        "used-up: 2 due, 1 new today",
        f"  {key[('used-up', 'drinker')]} drinker · 3 days overdue · 茶",
        f"  {key[('used-up', 'soon')]} soon · due in 3 days · 茶",
        "Total: 6 due, 2 new today",
    ]


def test_a_snooze_ending_today_makes_the_item_new_today(cli, monkeypatch):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    cli("remind", "snooze", key, "--until", "+2d")
    monkeypatch.setenv("SALESFLOW_TODAY", day(2))
    summary = cli.json("remind", "--brief", "--kind", "used-up")
    assert summary["due"] == summary["new_today"] == 1
    assert summary["kinds"][0]["items"][0]["key"] == key
    monkeypatch.setenv("SALESFLOW_TODAY", day(3))
    assert cli.json("remind", "--brief", "--kind", "used-up")["new_today"] == 0


def test_the_brief_is_silent_when_nothing_is_due(cli):
    assert cli("remind", "--brief").stdout == ""
    tea_drinker(cli)
    everything = [i["key"] for i in items(cli)]
    cli("remind", "done", *everything)
    result = cli("remind", "--brief")
    assert (result.stdout, result.stderr) == ("", "")
    assert cli("remind").stdout == ""


def test_brief_option_combinations_are_usage_errors(cli):
    tea_drinker(cli)
    assert "--per-kind goes with --brief" in cli("remind", "--per-kind", "3", code=2).stderr
    cli("remind", "--brief", "--all", code=2)
    cli("remind", "--brief", "--format", "csv", code=2)
    cli("remind", "--brief", "--per-kind", "0", code=2)


# ---------------------------------------------------------------- the program's entry point


def test_the_entry_point_runs_the_subcommands_and_the_listing(capsys):
    with pytest.raises(SystemExit) as added:
        salesflow_cli.main(["customer", "add", "张三", "--created", day(-2)])
    assert added.value.code in (0, None)
    capsys.readouterr()
    with pytest.raises(SystemExit) as listed:
        salesflow_cli.main(["remind", "--format", "json"])
    assert listed.value.code in (0, None)
    [item] = json.loads(capsys.readouterr().out)
    with pytest.raises(SystemExit) as done:
        salesflow_cli.main(["remind", "done", item["key"]])
    assert done.value.code in (0, None)
    assert item["key"] in capsys.readouterr().err
    with pytest.raises(SystemExit) as silent:
        salesflow_cli.main(["remind"])
    assert silent.value.code in (0, None)
    assert capsys.readouterr() == ("", "")
    with pytest.raises(SystemExit) as unknown:
        salesflow_cli.main(["remind", "done", "zzzzzzz"])
    assert unknown.value.code == 1
    assert "zzzzzzz" in capsys.readouterr().err
    with pytest.raises(SystemExit) as help_page:
        salesflow_cli.main(["remind", "--help"])
    assert help_page.value.code == 0
    page = capsys.readouterr().out
    assert all(command in page for command in ("done", "snooze", "stop", "--brief"))


def test_deleting_a_customer_takes_their_answers_along(cli):
    tea_drinker(cli)
    key = items(cli, "--kind", "used-up")[0]["key"]
    cli("remind", "done", key)
    cli("remind", "stop", "张三", "--product", "茶")
    cli("customer", "delete", "张三", "--yes")
    assert cli.json("check")["ok"]


def test_every_key_of_a_long_list_finds_its_own_item_as_the_list_shows_it(cli, isolated_book):
    """Keys are looked up over the list unsorted: every item of a demo book's list, looked
    up by its key, comes back as the list shows it, follow-ups planned ahead included, and
    several keys come back in the order they were typed."""
    from salesflow import db, settings

    cli("demo", "--customers", "60", "--seed", "5")
    conn = db.open_db(isolated_book, write=False)
    config = settings.load(conn)
    listed = list(
        reminders.reminders(
            conn, TODAY, config=config, days_ahead=reminders.LOOKUP_DAYS_AHEAD, everything=True
        )
    )
    assert len(listed) > 100
    assert {item["kind"] for item in listed} == set(reminders.REMINDER_KINDS) - {"slipping"}
    for item in listed:
        [(found, situation)] = reminders.find_items(conn, TODAY, [item["key"]], config=config)
        assert found == {key: item[key] for key in reminders.REMINDER_KEYS}
        assert situation[:2] == (item["kind"], item["customer_id"])
    keys = [item["key"] for item in listed[:: len(listed) // 7]]
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    found = reminders.find_items(conn, TODAY, keys, config=config)
    conn.set_trace_callback(None)
    assert [item["key"] for item, _situation in found] == keys
    # done and snoozed items are found like any other: their answers are not read
    assert statements and not [s for s in statements if "reminder_states" in s]
    conn.close()
