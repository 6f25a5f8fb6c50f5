"""config list / get / set: validated settings with defaults."""


def test_config_lists_every_setting_with_its_default(cli):
    rows = {row["key"]: row for row in cli.json("config", "list")}
    assert rows["cadence.A"]["value"] == rows["cadence.A"]["default"] == 7
    assert {
        "cadence.none",
        "used_up.lead_days",
        "no_repurchase.days",
        "never_purchased.days",
        "birthday.days",
        "tiers.A",
        "tiers.B",
        "tiers.C",
    } <= set(rows)


def test_config_set_and_get(cli):
    cli("config", "set", "cadence.B", "21")
    assert cli("config", "get", "cadence.B").stdout == "21\n"
    assert cli("config", "get", "CADENCE.b").stdout == "21\n"


def test_config_refuses_bad_keys_and_values(cli):
    cli("config", "set", "cadence.X", "3", code=1)
    cli("config", "set", "cadence.A", "soon", code=2)
    cli("config", "set", "cadence.A", "0", code=2)
    cli("config", "get", "nothing", code=1)
    assert cli("config", "get", "cadence.A").stdout == "7\n"


def test_config_changes_are_recorded(cli, conn):
    cli("config", "set", "no_repurchase.days", "60")
    assert conn.execute("SELECT command FROM changes").fetchall()[-1][0] == "config set"
