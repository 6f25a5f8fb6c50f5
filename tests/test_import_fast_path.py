"""The sales import's fast path: a common row becomes the same sale as through the customer
and sale rules, any other row goes through the rules (and is refused as they refuse it);
a load large for its table sets the indexes aside and builds them again, inside the
change, so a refusal leaves them as they were."""

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from salesflow import db, imports

TODAY = date(2026, 3, 16)


@pytest.fixture
def book(cli, conn):
    cli("customer", "add", "张三", "--ref", "M1", "--owner", "李娜", "--store", "南京路店")
    cli("customer", "add", "李四", "--ref", "M2")
    cli("customer", "add", "王五", "--ref", "M3", "--phone", "13800138000")
    cli("product", "add", "茶", "--price", "10", "--sku", "T1")
    cli("product", "add", "Coffee Beans", "--price", "12.5")
    return conn


def source(number: int, **values: str) -> imports.SourceRow:
    return imports.SourceRow(number, list(values.values()), values)


ROWS = [
    # the common shape
    dict(customer_ref="M1", product="茶", quantity="2", amount="20.00", date="2026-03-01"),
    dict(customer_ref="M2", product="coffee beans", quantity="1", amount="12.5", date="2026-03-02"),
    dict(customer_ref="M1", product="T1", quantity="3", amount="7", date="2026-03-03", rep="王强"),
    dict(
        customer_ref="M3", product="", quantity="1", amount="99.99", date="2026-03-04", store="店"
    ),
    dict(
        customer_ref="M1",
        product="茶",
        quantity="10",
        amount="0",
        date="2026-03-05",
        department=" 二部 ",
        rep="  ",
    ),
    dict(customer_ref="M2", product="茶", quantity="１２", amount="１０", date="2026-03-06"),
    # shapes the rules read
    dict(customer_ref="M1", product="茶", quantity="2.5", amount="25", date="2026-03-01"),
    dict(customer_ref="M1", product="茶", quantity="", amount="", date="2026-03-01"),
    dict(customer_ref="M1", product="茶", quantity="2", amount="¥1,234.50", date="2026/3/1"),
    dict(customer_ref="M1", product="茶", quantity="2", amount="", date="2026-03-01", price="3"),
    dict(customer_ref="M1", product="茶", quantity="2", amount="8", date="2026-03-01", price="3"),
    dict(customer_ref="M1", product="茶", quantity="2", amount="8", date="2026年3月1日"),
    dict(customer_ref="M1", product="茶", quantity="2", amount="8.123", date="2026-03-01"),
    dict(customer="王五", product="茶", quantity="1", amount="8", date="2026-03-01"),
    dict(customer="13800138000", product="茶", quantity="1", amount="8", date="2026-03-01"),
    dict(customer_id="1", product="茶", quantity="1", amount="8", date="2026-03-01"),
    # refusals
    dict(customer_ref="M9", product="茶", quantity="1", amount="8", date="2026-03-01"),
    dict(customer_ref="M1", product="茶", quantity="1", amount="8", date="2026-02-30"),
    dict(customer_ref="M1", product="茶", quantity="1", amount="8", date="2026-13-01"),
    dict(customer_ref="M1", product="茶", quantity="-1", amount="8", date="2026-03-01"),
    dict(customer_ref="M1", product="茶", quantity="1", amount="-8", date="2026-03-01"),
    dict(customer_ref="M1", product="茶", quantity="1", amount="8", date="yesterday"),
    dict(customer_ref="M1", product="茶", quantity="1", amount="8", date=""),
    dict(customer_ref="M1", product="茶", quantity="1", amount="8", date="2026-03-01", price="x"),
    dict(customer_ref="M1", product="", quantity="1", amount="", date="2026-03-01"),
]


def by_the_rules(change, values):
    """What the customer and sale rules make of one row: its sale, or its refusal."""
    index = imports.CustomerIndex(change.conn)
    products = known_products(change.conn)
    options = imports.ImportOptions()
    result = imports.ImportResult("sales", "f.csv", "utf-8", ",")
    try:
        customer = imports._customer_for(change, index, values, result, options, TODAY)
        return imports._sale(values, customer, products)
    except imports.RowError as error:
        return f"refused: {error}"


def known_products(conn):
    products = {}
    for row in conn.execute("SELECT id, name, sku, price_cents FROM products"):
        known = imports.KnownProduct(row["id"], row["price_cents"])
        products[row["name"].lower()] = known
        if row["sku"]:
            products.setdefault(row["sku"].lower(), known)
    return products


def through_the_import(change, rows):
    result = imports.ImportResult("sales", "f.csv", "utf-8", ",")
    options = imports.ImportOptions(skip_invalid=True)
    made = list(imports._history_rows(change, iter(rows), result, options, "sales", TODAY))
    return made, result


def test_every_row_is_read_as_the_rules_read_it(book):
    with db.change(book, "test") as change:
        expected = [by_the_rules(change, values) for values in ROWS]
        made, result = through_the_import(
            change, [source(number, **values) for number, values in enumerate(ROWS, start=2)]
        )
    refused = {line: f"refused: {reason}" for line, reason, _cells in result.invalid}
    sales = iter(made)
    got = [refused.get(number) or next(sales) for number in range(2, len(ROWS) + 2)]
    assert got == expected
    assert result.rows == len(ROWS)
    assert sum(1 for item in expected if isinstance(item, tuple)) == len(made) >= 14
    assert expected[0][2:] == (2, 2000, "2026-03-01", "李娜", None, "南京路店")
    assert expected[5][2:4] == (12, 1000)  # full-width digits, as the rules read them


def test_a_product_the_log_names_first_is_added_once_and_used_by_both_paths(book):
    rows = [
        source(2, customer_ref="M1", product="新品", quantity="1", amount="5", date="2026-03-01"),
        source(3, customer_ref="M1", product="新品", quantity="2", amount="", date="2026-03-01"),
        source(4, customer_ref="M2", product="新品", quantity="1", amount="5", date="2026-03-02"),
    ]
    with db.change(book, "test") as change:
        made, result = through_the_import(change, rows)
        product_id = book.execute("SELECT id FROM products WHERE name = '新品'").fetchone()[0]
    assert result.created_products == 1
    assert [sale[1] for sale in made] == [product_id, product_id]
    assert len(result.invalid) == 1  # no amount and no price: refused by the rules


def index_sql(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sales'"
            " AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
    finally:
        conn.close()


def write_sales(path: Path, count: int, *, bad_at: int | None = None) -> Path:
    lines = ["customer_ref,product,quantity,amount,date"]
    for n in range(count):
        day = "2026-02-30" if n == bad_at else f"2026-0{n % 3 + 1}-1{n % 9}"
        lines.append(f"M{n % 3 + 1},茶,{n % 4 + 1},{n % 50}.50,{day}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def statements(path: Path, action) -> list[str]:
    """The SQL a bulk load runs, as SQLite traces it."""
    seen: list[str] = []
    conn = db.open_db(path, write=True)
    conn.set_trace_callback(seen.append)
    try:
        action(conn)
    finally:
        conn.close()
    return seen


def load(path: Path, count: int):
    def action(conn):
        with db.change(conn, "load") as change:
            change.insert_many(
                "sales",
                ("customer_id", "quantity", "amount_cents", "date"),
                ((n % 3 + 1, 1, 100, "2026-03-01") for n in range(count)),
            )

    return action


def test_a_load_into_an_empty_table_rebuilds_the_indexes_a_small_one_keeps_them(
    book, isolated_book
):
    before = index_sql(isolated_book)
    assert len(before) >= 3
    first = statements(isolated_book, load(isolated_book, 500))
    assert sum(s.startswith("DROP INDEX") for s in first) == len(before)
    assert index_sql(isolated_book) == before
    small = statements(isolated_book, load(isolated_book, 20))
    assert not any(s.startswith("DROP INDEX") for s in small)
    larger = statements(isolated_book, load(isolated_book, 2000))
    assert sum(s.startswith("DROP INDEX") for s in larger) == len(before)
    assert index_sql(isolated_book) == before
    conn = sqlite3.connect(isolated_book)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT count(*) FROM sales").fetchone() == (2520,)
    conn.close()


def test_a_refused_import_leaves_the_indexes_and_no_sale(cli, book, isolated_book, tmp_path):
    before = index_sql(isolated_book)
    bad = write_sales(tmp_path / "bad.csv", 300, bad_at=250)
    result = cli("import", "sales", str(bad), code=65)
    assert "2026-02-30" in result.stderr
    assert index_sql(isolated_book) == before
    assert cli.json("sale", "list") == []
    good = write_sales(tmp_path / "good.csv", 300)
    cli("import", "sales", str(good))
    assert index_sql(isolated_book) == before
    assert len(cli.json("sale", "list", "--limit", "1000")) == 300
    cli("undo")
    assert cli.json("sale", "list") == []
    assert index_sql(isolated_book) == before


def test_a_failure_inside_the_load_puts_the_indexes_back_before_it_ends(book, isolated_book):
    before = index_sql(isolated_book)

    def rows():
        yield (1, 1, 100, "2026-03-01")
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError), db.change(book, "load") as change:
        change.insert_many("sales", ("customer_id", "quantity", "amount_cents", "date"), rows())
    assert index_sql(isolated_book) == before
    assert book.execute("SELECT count(*) FROM sales").fetchone()[0] == 0
