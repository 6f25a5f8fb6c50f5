"""Member tiers by RFM (SPEC §5) and target selection."""

import random
from datetime import date, timedelta

import pytest

from salesflow import db, settings, tiers

AS_OF = date(2026, 3, 16)


def independent_rfm(sales, as_of, thresholds=(13, 10, 7)):
    """The spec's formula written out plainly, for comparison."""
    per_customer = {}
    for customer, day, cents in sales:
        if day <= as_of:
            per_customer.setdefault(customer, []).append((day, cents))
    n = len(per_customer)
    metrics = {
        c: (
            (as_of - max(d for d, _ in rows)).days,
            len({d for d, _ in rows}),
            sum(cents for _, cents in rows),
        )
        for c, rows in per_customer.items()
    }
    result = {}
    for c, (r, f, m) in metrics.items():
        worse_r = sum(1 for other in metrics.values() if other[0] > r)
        worse_f = sum(1 for other in metrics.values() if other[1] < f)
        worse_m = sum(1 for other in metrics.values() if other[2] < m)
        scores = [min(5, 1 + (5 * w) // n) for w in (worse_r, worse_f, worse_m)]
        total = sum(scores)
        tier = (
            "A"
            if total >= thresholds[0]
            else "B"
            if total >= thresholds[1]
            else ("C" if total >= thresholds[2] else "D")
        )
        result[c] = (*scores, total, tier)
    return result


def make_book(conn, sales, customers):
    with db.change(conn, "test") as change:
        for number in range(1, customers + 1):
            change.insert("customers", {"name": f"c{number}", "created_at": "2024-01-01"})
        for customer, day, cents in sales:
            change.insert(
                "sales",
                {
                    "customer_id": customer,
                    "quantity": 1,
                    "amount_cents": cents,
                    "date": day.isoformat(),
                },
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grading_matches_the_spec_formula_on_random_books(conn, seed):
    generator = random.Random(seed)
    customers = 60
    sales = [
        (
            generator.randint(1, customers),
            AS_OF - timedelta(days=generator.randint(-20, 400)),
            generator.choice([0, 999, 5000, 12345, generator.randint(0, 10**6)]),
        )
        for _ in range(400)
    ]
    make_book(conn, sales, customers)
    graded = tiers.grade_members(conn, AS_OF, settings.load(conn))
    expected = independent_rfm(sales, AS_OF)
    got = {
        row["customer_id"]: (row["r"], row["f"], row["m"], row["score"], row["tier"])
        for row in graded
    }
    assert got == expected


def test_ties_share_a_score(conn):
    day = AS_OF - timedelta(days=10)
    make_book(conn, [(1, day, 100), (2, day, 100), (3, day, 100), (4, day, 50)], 4)
    graded = {
        row["customer_id"]: row for row in tiers.grade_members(conn, AS_OF, settings.load(conn))
    }
    assert graded[1]["m"] == graded[2]["m"] == graded[3]["m"] == 2  # 1 + floor(5*1/4)
    assert graded[4]["m"] == 1
    assert {row["r"] for row in graded.values()} == {1}


def test_customers_without_sales_have_no_tier_and_locked_tiers_stay(cli):
    for name in ("big", "small", "idle", "locked"):
        cli("customer", "add", name)
    cli("customer", "edit", "idle", "--tier", "B")
    cli("customer", "edit", "idle", "--tier", "auto")
    cli("customer", "edit", "locked", "--tier", "C")
    for _ in range(5):
        cli("sale", "add", "big", "--amount", "1000", "--date", "-1d")
    cli("sale", "add", "small", "--amount", "1", "--date", "-200d")
    cli("sale", "add", "locked", "--amount", "5000", "--date", "today")
    rows = {row["customer"]: row for row in cli.json("tiers")}
    assert rows["idle"]["tier"] is None and rows["idle"]["previous_tier"] == "B"
    assert rows["locked"]["tier"] == "C" and rows["locked"]["locked"] is True
    assert {"recency_days", "frequency", "monetary", "r", "f", "m", "score"} <= set(rows["big"])
    listed = {row["name"]: row["tier"] for row in cli.json("customer", "list")}
    assert listed["big"] is None  # not applied yet
    result = cli("tiers", "--apply")
    assert "Applied" in result.stderr
    listed = {row["name"]: row["tier"] for row in cli.json("customer", "list")}
    assert listed == {
        "big": rows["big"]["tier"],
        "small": rows["small"]["tier"],
        "idle": None,
        "locked": "C",
    }


def test_as_of_ignores_later_sales(cli):
    cli("customer", "add", "x")
    cli("sale", "add", "x", "--amount", "10", "--date", "2026-01-01")
    cli("sale", "add", "x", "--amount", "10", "--date", "2026-03-01")
    row = cli.json("tiers", "--as-of", "2026-02-01")[0]
    assert (row["recency_days"], row["frequency"], row["monetary"]) == (31, 1, 10)


def test_thresholds_are_settings(cli):
    cli("customer", "add", "x")
    cli("sale", "add", "x", "--amount", "10")
    assert cli.json("tiers")[0]["tier"] == "D"  # alone: 1+1+1 = 3
    cli("config", "set", "tiers.C", "3")
    assert cli.json("tiers")[0]["tier"] == "C"
    cli("config", "set", "tiers.A", "5", code=2)  # must stay above B


def test_tier_table_shows_counts_and_changes(cli):
    cli("customer", "add", "x")
    cli("sale", "add", "x", "--amount", "10")
    out = cli("tiers").stdout
    assert "Customers" in out and "Changes" in out


def test_targets_rank_by_score_then_tier_then_name(cli):
    cli("customer", "add", "b-low", "--urgency", "1")
    cli("customer", "add", "zed", "--urgency", "5", "--quick-effect", "5", "--tier", "C")
    cli("customer", "add", "amy", "--urgency", "5", "--quick-effect", "5", "--tier", "C")
    cli("customer", "add", "top", "--urgency", "5", "--quick-effect", "5", "--price-fit", "5")
    cli("customer", "add", "vip", "--urgency", "5", "--quick-effect", "5", "--tier", "A")
    ranked = cli.json("targets")
    assert [row["customer"] for row in ranked] == ["top", "vip", "amy", "zed", "b-low"]
    assert ranked[0]["score"] == 15 and ranked[-1]["price_fit"] is None
    assert set(ranked[0]) == {
        "customer_id",
        "customer",
        "urgency",
        "quick_effect",
        "price_fit",
        "score",
        "tier",
        "owner",
        "store",
        "phone",
        "email",
    }
    assert len(cli.json("targets", "--limit", "2")) == 2
