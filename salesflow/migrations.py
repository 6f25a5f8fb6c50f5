"""The schema, as numbered steps: `m001_…`, `m002_…`. A step is never edited once it has
shipped; a change to the schema is a new step. `PRAGMA user_version` records how many
steps a book has taken — the one record of its schema version.
"""

import sqlite3

from salesflow.summaries import (
    HAS_BIRTHDAY,
    PROFILE_BIRTHDAY,
    day_totals,
    latest_kept_purchase,
    runs_out,
    runs_out_of_product,
    sales_per_day,
)


def _run(db: sqlite3.Connection, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


def m001_create_book(db: sqlite3.Connection) -> None:
    """Customers, contacts, products and sales, with summary columns kept by triggers."""
    _run(
        db,
        """CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            ref TEXT UNIQUE,
            name TEXT NOT NULL,
            company TEXT, phone TEXT, phone_norm TEXT, email TEXT, address TEXT,
            source TEXT,
            referred_by_id INTEGER REFERENCES customers(id) ON DELETE SET NULL,
            owner TEXT, department TEXT, store TEXT,
            tier TEXT CHECK (tier IN ('A', 'B', 'C', 'D')),
            tier_locked INTEGER NOT NULL DEFAULT 0,
            economic TEXT, buying TEXT, suppliers TEXT,
            urgency INTEGER CHECK (urgency BETWEEN 1 AND 5),
            quick_effect INTEGER CHECK (quick_effect BETWEEN 1 AND 5),
            price_fit INTEGER CHECK (price_fit BETWEEN 1 AND 5),
            tags TEXT NOT NULL DEFAULT '[]',
            profile TEXT NOT NULL DEFAULT '{}',
            notes TEXT,
            created_at TEXT NOT NULL,
            last_contact_at TEXT,
            next_follow_up TEXT,
            last_sale_on TEXT
        )""",
        "CREATE INDEX customers_phone ON customers(phone_norm)",
        "CREATE INDEX customers_email ON customers(email COLLATE NOCASE)",
        "CREATE INDEX customers_name ON customers(name COLLATE NOCASE)",
        "CREATE INDEX customers_owner ON customers(owner)",
        """CREATE TABLE products (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            sku TEXT UNIQUE,
            category TEXT,
            price_cents INTEGER CHECK (price_cents >= 0),
            cycle_days INTEGER CHECK (cycle_days > 0)
        )""",
        """CREATE TABLE pipelines (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            builtin INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE stages (
            id INTEGER PRIMARY KEY,
            pipeline_id INTEGER NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            key TEXT NOT NULL,
            label TEXT NOT NULL,
            label_zh TEXT,
            probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
            max_days INTEGER CHECK (max_days > 0),
            UNIQUE (pipeline_id, key)
        )""",
        """CREATE TABLE stage_items (
            id INTEGER PRIMARY KEY,
            stage_id INTEGER NOT NULL REFERENCES stages(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            required INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE deals (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            title TEXT NOT NULL,
            pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
            stage_id INTEGER NOT NULL REFERENCES stages(id),
            amount_cents INTEGER CHECK (amount_cents >= 0),
            probability INTEGER CHECK (probability BETWEEN 0 AND 100),
            expected_close TEXT,
            owner TEXT,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
            lost_reason TEXT,
            closed_on TEXT,
            created_at TEXT NOT NULL,
            stage_entered_at TEXT NOT NULL
        )""",
        "CREATE INDEX deals_customer ON deals(customer_id)",
        "CREATE INDEX deals_open ON deals(status, stage_id)",
        """CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            at TEXT NOT NULL,
            channel TEXT NOT NULL,
            rep TEXT,
            summary TEXT NOT NULL,
            outcome TEXT,
            next_at TEXT,
            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL
        )""",
        "CREATE INDEX contacts_customer_at ON contacts(customer_id, at, id)",
        "CREATE INDEX contacts_at ON contacts(at)",
        """CREATE TABLE sales (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            product_id INTEGER REFERENCES products(id),
            quantity REAL NOT NULL CHECK (quantity > 0),
            amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
            date TEXT NOT NULL,
            rep TEXT, department TEXT, store TEXT,
            deal_id INTEGER REFERENCES deals(id) ON DELETE SET NULL
        )""",
        # Also serves "latest sale of a customer": a customer has few entries to scan.
        "CREATE INDEX sales_customer_product ON sales(customer_id, product_id, date)",
        "CREATE INDEX sales_date ON sales(date)",
        # The latest purchase of each product by each customer and the day it runs out,
        # so `used-up` reads one row per pair instead of grouping every sale. (No index on
        # runs_out: a scan of this narrow table is cheap, and a bulk load stays sequential.)
        """CREATE TABLE customer_products (
            customer_id INTEGER NOT NULL,
            product_id INTEGER NOT NULL,
            last_date TEXT NOT NULL,
            last_quantity REAL NOT NULL,
            runs_out TEXT,
            PRIMARY KEY (customer_id, product_id)
        ) WITHOUT ROWID""",
        # Summary columns: the latest contact and sale per customer, so that daily
        # reminders read one row per customer instead of scanning the history.
        """CREATE TRIGGER contacts_summary_insert AFTER INSERT ON contacts BEGIN
            UPDATE customers SET last_contact_at = NEW.at, next_follow_up = NEW.next_at
            WHERE id = NEW.customer_id
              AND (last_contact_at IS NULL OR last_contact_at <= NEW.at);
        END""",
        """CREATE TRIGGER contacts_summary_delete AFTER DELETE ON contacts BEGIN
            UPDATE customers SET
                last_contact_at = (SELECT max(at) FROM contacts WHERE customer_id = customers.id),
                next_follow_up = (SELECT next_at FROM contacts WHERE customer_id = customers.id
                                  ORDER BY at DESC, id DESC LIMIT 1)
            WHERE id = OLD.customer_id;
        END""",
        """CREATE TRIGGER contacts_summary_update AFTER UPDATE ON contacts BEGIN
            UPDATE customers SET
                last_contact_at = (SELECT max(at) FROM contacts WHERE customer_id = customers.id),
                next_follow_up = (SELECT next_at FROM contacts WHERE customer_id = customers.id
                                  ORDER BY at DESC, id DESC LIMIT 1)
            WHERE id IN (OLD.customer_id, NEW.customer_id);
        END""",
        """CREATE TRIGGER sales_summary_insert AFTER INSERT ON sales BEGIN
            UPDATE customers SET last_sale_on = NEW.date
            WHERE id = NEW.customer_id AND (last_sale_on IS NULL OR last_sale_on < NEW.date);
            INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity)
            SELECT NEW.customer_id, NEW.product_id, NEW.date, NEW.quantity
            WHERE NEW.product_id IS NOT NULL
            ON CONFLICT (customer_id, product_id) DO UPDATE SET
                last_quantity = CASE
                    WHEN excluded.last_date > last_date THEN excluded.last_quantity
                    WHEN excluded.last_date = last_date THEN last_quantity + excluded.last_quantity
                    ELSE last_quantity END,
                last_date = max(last_date, excluded.last_date);
            UPDATE customer_products SET runs_out = (
                SELECT date(customer_products.last_date, '+' ||
                            CAST(customer_products.last_quantity * cycle_days AS INTEGER)
                            || ' days')
                FROM products WHERE id = NEW.product_id)
            WHERE customer_id = NEW.customer_id AND product_id = NEW.product_id;
        END""",
        """CREATE TRIGGER sales_summary_delete AFTER DELETE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = OLD.customer_id)
            WHERE id = OLD.customer_id;
            DELETE FROM customer_products
            WHERE customer_id = OLD.customer_id AND product_id = OLD.product_id;
            INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity)
            SELECT customer_id, product_id, date, sum(quantity) FROM sales
            WHERE customer_id = OLD.customer_id AND product_id = OLD.product_id
              AND date = (SELECT max(date) FROM sales WHERE customer_id = OLD.customer_id
                          AND product_id = OLD.product_id)
            GROUP BY customer_id, product_id;
            UPDATE customer_products SET runs_out = (
                SELECT date(customer_products.last_date, '+' ||
                            CAST(customer_products.last_quantity * cycle_days AS INTEGER)
                            || ' days')
                FROM products WHERE id = OLD.product_id)
            WHERE customer_id = OLD.customer_id AND product_id = OLD.product_id;
        END""",
        # An update is a delete of the old row and an insert of the new one.
        """CREATE TRIGGER sales_summary_update AFTER UPDATE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = customers.id)
            WHERE id IN (OLD.customer_id, NEW.customer_id);
            DELETE FROM customer_products WHERE (customer_id = OLD.customer_id
                AND product_id = OLD.product_id) OR (customer_id = NEW.customer_id
                AND product_id = NEW.product_id);
            INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity)
            SELECT customer_id, product_id, date, sum(quantity) FROM sales s
            WHERE ((customer_id = OLD.customer_id AND product_id = OLD.product_id)
                OR (customer_id = NEW.customer_id AND product_id = NEW.product_id))
              AND date = (SELECT max(date) FROM sales x WHERE x.customer_id = s.customer_id
                          AND x.product_id = s.product_id)
            GROUP BY customer_id, product_id;
            UPDATE customer_products SET runs_out = (
                SELECT date(customer_products.last_date, '+' ||
                            CAST(customer_products.last_quantity * cycle_days AS INTEGER)
                            || ' days')
                FROM products WHERE id = customer_products.product_id)
            WHERE (customer_id = OLD.customer_id AND product_id = OLD.product_id)
               OR (customer_id = NEW.customer_id AND product_id = NEW.product_id);
        END""",
        """CREATE TRIGGER products_cycle_update AFTER UPDATE OF cycle_days ON products BEGIN
            UPDATE customer_products SET runs_out = CASE WHEN NEW.cycle_days IS NULL THEN NULL
                ELSE date(last_date, '+' || CAST(last_quantity * NEW.cycle_days AS INTEGER)
                          || ' days') END
            WHERE product_id = NEW.id;
        END""",
        """CREATE TABLE deal_checks (
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            item_id INTEGER NOT NULL REFERENCES stage_items(id),
            done_at TEXT NOT NULL,
            note TEXT,
            PRIMARY KEY (deal_id, item_id)
        )""",
        """CREATE TABLE deal_history (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            stage_id INTEGER NOT NULL REFERENCES stages(id),
            entered_at TEXT NOT NULL,
            left_at TEXT,
            by TEXT,
            forced INTEGER NOT NULL DEFAULT 0,
            reason TEXT
        )""",
        "CREATE INDEX deal_history_deal ON deal_history(deal_id, id)",
        """CREATE TABLE stakeholders (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            name TEXT NOT NULL,
            title TEXT,
            role TEXT NOT NULL,
            attitude TEXT,
            owner TEXT
        )""",
        "CREATE INDEX stakeholders_customer ON stakeholders(customer_id)",
        """CREATE TABLE objections (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            response TEXT NOT NULL,
            stage TEXT,
            tags TEXT NOT NULL DEFAULT '[]'
        )""",
        """CREATE TABLE objection_uses (
            id INTEGER PRIMARY KEY,
            objection_id INTEGER NOT NULL REFERENCES objections(id) ON DELETE CASCADE,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            outcome TEXT NOT NULL CHECK (outcome IN ('worked', 'failed')),
            used_on TEXT NOT NULL
        )""",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            command TEXT NOT NULL,
            summary TEXT,
            undone INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            change_id INTEGER NOT NULL REFERENCES changes(id),
            tbl TEXT NOT NULL,
            row_id INTEGER NOT NULL,
            last_row_id INTEGER,
            before TEXT,
            after TEXT
        )""",
        "CREATE INDEX events_change ON events(change_id, id)",
        """CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            change_id INTEGER NOT NULL REFERENCES changes(id),
            kind TEXT NOT NULL,
            file TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            rows INTEGER NOT NULL,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX imports_content ON imports(kind, sha256)",
    )


# The latest purchase of a customer and product, recomputed for the pairs `where` selects
# (in terms of OLD and NEW): the day, the quantity bought that day, and when it runs out.
LATEST_PURCHASE_OF = (
    """
    DELETE FROM customer_products WHERE {where};
    INSERT INTO customer_products (customer_id, product_id, last_date, last_quantity, runs_out)
    SELECT s.customer_id, s.product_id, s.date, sum(s.quantity),
           """
    + runs_out_of_product("s.date", "sum(s.quantity)", "s.product_id")
    + """
    FROM sales s
    WHERE {pairs}
      AND s.date = (SELECT max(date) FROM sales x WHERE x.customer_id = s.customer_id
                    AND x.product_id = s.product_id)
    GROUP BY s.customer_id, s.product_id;"""
)


def m002_one_version_one_runs_out(db: sqlite3.Connection) -> None:
    """The schema version lives in user_version alone (the migrations table of the first
    release goes); the summary triggers are rebuilt on the single runs-out rule."""
    old = "customer_id = OLD.customer_id AND product_id = OLD.product_id"
    new = "customer_id = NEW.customer_id AND product_id = NEW.product_id"
    old_sales = "s.customer_id = OLD.customer_id AND s.product_id = OLD.product_id"
    new_sales = "s.customer_id = NEW.customer_id AND s.product_id = NEW.product_id"
    either = LATEST_PURCHASE_OF.format(
        where=f"({old}) OR ({new})", pairs=f"(({old_sales}) OR ({new_sales}))"
    )
    _run(
        db,
        "DROP TABLE IF EXISTS _sqlite_migrations",
        "DROP TRIGGER sales_summary_insert",
        "DROP TRIGGER sales_summary_delete",
        "DROP TRIGGER sales_summary_update",
        "DROP TRIGGER products_cycle_update",
        f"""CREATE TRIGGER sales_summary_insert AFTER INSERT ON sales BEGIN
            UPDATE customers SET last_sale_on = NEW.date
            WHERE id = NEW.customer_id AND (last_sale_on IS NULL OR last_sale_on < NEW.date);
            {LATEST_PURCHASE_OF.format(where=new, pairs=new_sales)}
        END""",
        f"""CREATE TRIGGER sales_summary_delete AFTER DELETE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = OLD.customer_id)
            WHERE id = OLD.customer_id;
            {LATEST_PURCHASE_OF.format(where=old, pairs=old_sales)}
        END""",
        # An update is a delete of the old row and an insert of the new one.
        f"""CREATE TRIGGER sales_summary_update AFTER UPDATE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = customers.id)
            WHERE id IN (OLD.customer_id, NEW.customer_id);
            {either}
        END""",
        f"""CREATE TRIGGER products_cycle_update AFTER UPDATE OF cycle_days ON products BEGIN
            UPDATE customer_products
            SET runs_out = {runs_out("last_date", "last_quantity", "NEW.cycle_days")}
            WHERE product_id = NEW.id;
        END""",
    )


def m003_reminder_states(db: sqlite3.Connection) -> None:
    """What the salesperson did with the morning list: items marked done or snoozed, and
    products whose used-up reminders a customer stopped until they buy them again.

    A state row names the situation it answers (kind, customer, deal or product, due date),
    so a new situation is never hidden by an old answer; `since` is the day it was given,
    so an evaluation as of an earlier day ignores it. Rows leave with their customer.
    """
    _run(
        db,
        """CREATE TABLE reminder_states (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            deal_id INTEGER,
            product_id INTEGER,
            due TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('done', 'snoozed')),
            since TEXT NOT NULL,
            until TEXT,
            note TEXT,
            CHECK ((state = 'snoozed') = (until IS NOT NULL))
        )""",
        "CREATE INDEX reminder_states_customer ON reminder_states(customer_id, kind, due)",
        "CREATE INDEX reminder_states_since ON reminder_states(since)",
        """CREATE TABLE reminder_stops (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
            product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
            stopped_on TEXT NOT NULL,
            note TEXT
        )""",
        "CREATE INDEX reminder_stops_pair ON reminder_stops(customer_id, product_id, stopped_on)",
    )


def m004_closing_stages_and_deal_notes(db: sqlite3.Connection) -> None:
    """Each pipeline's closing stage (where its deals are won; the stages after it are
    delivery), set on the built-in pipelines a book already holds; notes on a deal; and
    indexes to find the contacts and sales logged against a deal."""
    _run(
        db,
        "ALTER TABLE stages ADD COLUMN closing INTEGER NOT NULL DEFAULT 0",
        """UPDATE stages SET closing = 1
           WHERE pipeline_id IN (SELECT id FROM pipelines WHERE builtin = 1)
             AND (pipeline_id, key) IN (
                 SELECT p.id, c.key FROM pipelines p JOIN (
                     SELECT 'key-account' AS name, 'negotiation' AS key
                     UNION ALL SELECT 'seven-step', 'closing'
                     UNION ALL SELECT 'showroom', 'contract'
                     UNION ALL SELECT 'retail', 'purchase'
                 ) c ON c.name = p.name)""",
        "ALTER TABLE deals ADD COLUMN notes TEXT",
        "CREATE INDEX contacts_deal ON contacts(deal_id) WHERE deal_id IS NOT NULL",
        "CREATE INDEX sales_deal ON sales(deal_id) WHERE deal_id IS NOT NULL",
    )


def m005_units_people_questions_techniques_campaigns(db: sqlite3.Connection) -> None:
    """The method's missing records: units a deal reserves with a deposit and sells with a
    contract; checklist items that need stakeholders or answered standard questions; the
    closing techniques used on won and lost deals; campaigns and the contacts they logged,
    and the stakeholder a contact was with. Built-in pipelines a book already holds get
    their people gate, the needs stage its four questions; the eight techniques arrive."""
    _run(
        db,
        """CREATE TABLE units (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE COLLATE NOCASE,
            project TEXT,
            kind TEXT,
            area TEXT,
            price_cents INTEGER CHECK (price_cents >= 0),
            notes TEXT,
            created_at TEXT NOT NULL
        )""",
        "ALTER TABLE deals ADD COLUMN unit_id INTEGER REFERENCES units(id)",
        # What the deal does with its unit: reserved (a deposit), sold (won), or nothing.
        "ALTER TABLE deals ADD COLUMN unit_hold TEXT CHECK (unit_hold IN ('reserved', 'sold'))",
        "ALTER TABLE deals ADD COLUMN contract_no TEXT",
        "ALTER TABLE deals ADD COLUMN contract_cents INTEGER CHECK (contract_cents >= 0)",
        # One deal at a time holds a unit.
        "CREATE UNIQUE INDEX deals_unit_held ON deals(unit_id) WHERE unit_hold IS NOT NULL",
        "CREATE INDEX deals_unit ON deals(unit_id) WHERE unit_id IS NOT NULL",
        """CREATE TABLE deal_deposits (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
            paid_on TEXT NOT NULL,
            note TEXT
        )""",
        "CREATE INDEX deal_deposits_deal ON deal_deposits(deal_id)",
        "ALTER TABLE stage_items ADD COLUMN requires_roles TEXT",
        "ALTER TABLE stage_items ADD COLUMN requires_answers INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE stage_questions (
            id INTEGER PRIMARY KEY,
            stage_id INTEGER NOT NULL REFERENCES stages(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text TEXT NOT NULL
        )""",
        """CREATE TABLE deal_answers (
            id INTEGER PRIMARY KEY,
            deal_id INTEGER NOT NULL REFERENCES deals(id) ON DELETE CASCADE,
            question_id INTEGER NOT NULL REFERENCES stage_questions(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            answered_on TEXT NOT NULL,
            UNIQUE (deal_id, question_id)
        )""",
        """CREATE TABLE techniques (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            label_zh TEXT,
            description TEXT,
            builtin INTEGER NOT NULL DEFAULT 0
        )""",
        "ALTER TABLE deals ADD COLUMN technique_id INTEGER REFERENCES techniques(id)",
        """CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            channel TEXT NOT NULL,
            run_on TEXT NOT NULL,
            notes TEXT
        )""",
        "ALTER TABLE contacts ADD COLUMN stakeholder_id INTEGER REFERENCES stakeholders(id)",
        "ALTER TABLE contacts ADD COLUMN campaign_id INTEGER REFERENCES campaigns(id)",
        "CREATE INDEX contacts_campaign ON contacts(campaign_id) WHERE campaign_id IS NOT NULL",
        """CREATE INDEX contacts_stakeholder ON contacts(stakeholder_id)
           WHERE stakeholder_id IS NOT NULL""",
        """UPDATE stage_items SET requires_roles = '["coach", "decision-maker"]'
           WHERE text LIKE 'Effective relationship progress%' AND stage_id IN (
               SELECT s.id FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
               WHERE p.builtin = 1 AND p.name = 'key-account' AND s.key = 'proposal')""",
        """UPDATE stage_items SET requires_answers = 1
           WHERE text LIKE 'Standard questions asked%' AND stage_id IN (
               SELECT s.id FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
               WHERE p.builtin = 1 AND p.name = 'seven-step' AND s.key = 'needs')""",
    )
    needs = db.execute(
        """SELECT s.id FROM stages s JOIN pipelines p ON p.id = s.pipeline_id
           WHERE p.builtin = 1 AND p.name = 'seven-step' AND s.key = 'needs'"""
    ).fetchone()
    if needs is not None:
        db.executemany(
            "INSERT INTO stage_questions (stage_id, position, text) VALUES (?, ?, ?)",
            [(needs[0], position, text) for position, text in enumerate(M005_QUESTIONS)],
        )
    db.executemany(
        "INSERT INTO techniques (name, label_zh, description, builtin) VALUES (?, ?, ?, 1)",
        M005_TECHNIQUES,
    )


# As the step installs them; the product's own lists may grow, this one never changes.
M005_QUESTIONS = (
    "What do you like and dislike about your previous supplier? (你喜欢/不喜欢以前的供应商的什么?)",
    "What business problem do you hope we can solve? (您希望我们能解决什么业务问题?)",
    "Describe your current situation. (描述你目前的情况。)",
    "What will it be like once it is solved? (解决后情况会是怎样?)",
)
M005_TECHNIQUES = (
    ("direct-close", "直接关单法", "Ask for the order plainly once the signals are there."),
    ("assumptive-close", "假设成交", "Talk as if the decision is made: delivery, payment."),
    ("opportunity-close", "机会获得", "A chance that will not come back: stock, a price ending."),
    ("pressure-close", "压力成交", "The pressure of time or competition to decide now."),
    ("take-away-close", "欲擒故纵法", "Step back and let the customer come after it."),
    ("life-experience", "生命体验法", "Let the customer picture life with it, through a story."),
    ("economic-account", "经济算账法", "Do the sums: what it costs per day, what it saves."),
    ("step-back", "以退为进法", "Concede a small point to win the decision."),
)


def m006_returns_and_kept_purchases(db: sqlite3.Connection) -> None:
    """Returns of sales (in part or in full; an exchange names the sale that replaced the
    goods), the name a sale keeps when its product is deleted, the order changes were undone
    in (for redo), and the latest-purchase triggers rebuilt on net quantities: a sale
    returned in full is no purchase, one returned in part runs out sooner."""
    old = "customer_id = OLD.customer_id AND product_id = OLD.product_id"
    new = "customer_id = NEW.customer_id AND product_id = NEW.product_id"
    old_sales = "s.customer_id = OLD.customer_id AND s.product_id = OLD.product_id"
    new_sales = "s.customer_id = NEW.customer_id AND s.product_id = NEW.product_id"
    sale_pair = "(SELECT customer_id, product_id FROM sales WHERE id = {row}.sale_id)"
    old_return, new_return = sale_pair.format(row="OLD"), sale_pair.format(row="NEW")
    either_return = (
        "(SELECT customer_id, product_id FROM sales WHERE id IN (OLD.sale_id, NEW.sale_id))"
    )
    returned_new = latest_kept_purchase(
        f"(customer_id, product_id) = {new_return}", f"(s.customer_id, s.product_id) = {new_return}"
    )
    returned_old = latest_kept_purchase(
        f"(customer_id, product_id) = {old_return}", f"(s.customer_id, s.product_id) = {old_return}"
    )
    returned_either = latest_kept_purchase(
        f"(customer_id, product_id) IN {either_return}",
        f"(s.customer_id, s.product_id) IN {either_return}",
    )
    _run(
        db,
        """CREATE TABLE returns (
            id INTEGER PRIMARY KEY,
            sale_id INTEGER NOT NULL REFERENCES sales(id),
            date TEXT NOT NULL,
            quantity REAL NOT NULL CHECK (quantity >= 0),
            amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
            reason TEXT,
            exchange_sale_id INTEGER REFERENCES sales(id)
        )""",
        "CREATE INDEX returns_sale ON returns(sale_id)",
        "CREATE INDEX returns_date ON returns(date)",
        "CREATE INDEX returns_exchange ON returns(exchange_sale_id)"
        " WHERE exchange_sale_id IS NOT NULL",
        "ALTER TABLE sales ADD COLUMN product_name TEXT",
        "ALTER TABLE changes ADD COLUMN undo_order INTEGER",
        "DROP TRIGGER sales_summary_insert",
        "DROP TRIGGER sales_summary_delete",
        "DROP TRIGGER sales_summary_update",
        f"""CREATE TRIGGER sales_summary_insert AFTER INSERT ON sales BEGIN
            UPDATE customers SET last_sale_on = NEW.date
            WHERE id = NEW.customer_id AND (last_sale_on IS NULL OR last_sale_on < NEW.date);
            {latest_kept_purchase(new, new_sales)}
        END""",
        f"""CREATE TRIGGER sales_summary_delete AFTER DELETE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = OLD.customer_id)
            WHERE id = OLD.customer_id;
            {latest_kept_purchase(old, old_sales)}
        END""",
        # An update is a delete of the old row and an insert of the new one.
        f"""CREATE TRIGGER sales_summary_update AFTER UPDATE ON sales BEGIN
            UPDATE customers SET
                last_sale_on = (SELECT max(date) FROM sales WHERE customer_id = customers.id)
            WHERE id IN (OLD.customer_id, NEW.customer_id);
            {latest_kept_purchase(f"({old}) OR ({new})", f"(({old_sales}) OR ({new_sales}))")}
        END""",
        f"""CREATE TRIGGER returns_summary_insert AFTER INSERT ON returns BEGIN
            {returned_new}
        END""",
        f"""CREATE TRIGGER returns_summary_delete AFTER DELETE ON returns BEGIN
            {returned_old}
        END""",
        f"""CREATE TRIGGER returns_summary_update AFTER UPDATE ON returns BEGIN
            {returned_either}
        END""",
    )


def m007_sales_by_customer_day(db: sqlite3.Connection) -> None:
    """An index that hands over each customer's sales day by day with their amounts, so
    the purchase history behind predictions is read in one ordered pass over the index
    instead of a sort of every sale."""
    _run(db, "CREATE INDEX sales_customer_day ON sales(customer_id, date, amount_cents)")


def m008_sales_by_day_and_rep(db: sqlite3.Connection) -> None:
    """An index holding each sale's day, rep, quantity and amount: the sales report by
    period and rep (the manager's monthly view) reads it alone, a narrow index instead of
    every row of the table."""
    _run(db, "CREATE INDEX sales_day_rep ON sales(date, rep, quantity, amount_cents)")


def m009_sales_per_day_and_rep(db: sqlite3.Connection) -> None:
    """Each day's sales per rep (orders, quantity, amount), kept by triggers, the bulk
    load, undo and `check` like the other summaries: a sales report by period and rep,
    or by period alone, reads a row per day and rep instead of every sale."""
    _run(
        db,
        """CREATE TABLE sales_days (
            date TEXT NOT NULL,
            rep TEXT,
            orders INTEGER NOT NULL,
            quantity REAL NOT NULL,
            amount_cents INTEGER NOT NULL
        )""",
        "CREATE INDEX sales_days_date ON sales_days(date, rep)",
        f"INSERT INTO sales_days {sales_per_day()}",
        f"""CREATE TRIGGER sales_days_insert AFTER INSERT ON sales BEGIN
            {day_totals("date = NEW.date")}
        END""",
        f"""CREATE TRIGGER sales_days_delete AFTER DELETE ON sales BEGIN
            {day_totals("date = OLD.date")}
        END""",
        f"""CREATE TRIGGER sales_days_update
            AFTER UPDATE OF date, rep, quantity, amount_cents ON sales BEGIN
            {day_totals("date IN (OLD.date, NEW.date)")}
        END""",
    )


def m010_change_summaries_in_parts(db: sqlite3.Connection) -> None:
    """Each change's summary also in parts, its English message and the values filling
    it, so `history` and `undo` word it in the reader's language. Changes recorded before
    keep their English summary alone, and show it."""
    _run(db, "ALTER TABLE changes ADD COLUMN summary_parts TEXT")


def m011_birthday_index(db: sqlite3.Connection) -> None:
    """The customers whose profile holds a birthday, as a partial index: the morning list
    reads them through it rather than every profile (a profile that is not JSON has none)."""
    _run(
        db, f"CREATE INDEX customers_birthday ON customers({PROFILE_BIRTHDAY}) WHERE {HAS_BIRTHDAY}"
    )


def m012_referrals_index(db: sqlite3.Connection) -> None:
    """The customers each customer referred, as a partial index: deleting a customer sets
    their referrals' `referred_by_id` to NULL, and without it SQLite read every customer
    for each one deleted (undoing an import of 20,000 customers took 22 s)."""
    _run(
        db,
        "CREATE INDEX customers_referred_by ON customers(referred_by_id)"
        " WHERE referred_by_id IS NOT NULL",
    )


STEPS = [
    m001_create_book,
    m002_one_version_one_runs_out,
    m003_reminder_states,
    m004_closing_stages_and_deal_notes,
    m005_units_people_questions_techniques_campaigns,
    m006_returns_and_kept_purchases,
    m007_sales_by_customer_day,
    m008_sales_by_day_and_rep,
    m009_sales_per_day_and_rep,
    m010_change_summaries_in_parts,
    m011_birthday_index,
    m012_referrals_index,
]
