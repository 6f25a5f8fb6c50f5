"""salesflow benchmark: salesflow against honest hand-written floors, in one run.

    python bench/run.py                      # team book: 100k customers, 1M contacts, 1M sales
    python bench/run.py --customers 10000 --contacts 100000 --sales 100000   # quick
    python bench/run.py --skip-team          # start-up and the solo book only
    python bench/run.py --only import,report # some parts (import, remind, report, start-up, solo)

Builds a reproducible team book (CSV files generated here, loaded through `salesflow
import`), then measures each command against a floor timed interleaved with it, round after
round on the same machine (medians; ≥5 rounds for short commands, ≥3 for long ones):

- `import sales` vs floor_import.py (csv.reader, dictionary look-ups, one executemany into
  salesflow's sales table, the same indexes built after the load, WAL + default
  synchronous) — target ≤ 2.5×;
- after adding returns, done/snoozed items and stopped products: `remind --format json` vs
  floor_remind.py (every default kind with the same fields and keys, plain SQL over the
  base tables' indexes, JSON) — ≤ 1.5×; its peak memory ≤ 100 MB;
- `report sales --year Y --interval month --by rep` vs floor_report.py on a copy of the book
  holding the best (covering) index for it — ≤ 1.0×;
- start-up: `--help` and `remind` on an empty book vs `python -c "import typer"` (≤ 1.0×),
  and under SALESFLOW_LANG=zh vs en (≤ 1.05×);
- the solo book (`demo --customers 2000`): every daily read piped to a file, and every
  daily write on a copy of the book put back before each run, vs `import typer` — ≤ 1.5×;
  with, as context, floor_contact_list.py (the same `contact list` table, line by line,
  from a hand-written program with no framework) against `import typer`.

Each floor's answer is compared item by item with salesflow's in the same run (imported
rows, the remind items, the report rows); the run stops on the first differences. Timing
targets live here, never in pytest. Results print as a table and are written to
WORK/results.md and WORK/results.json.
"""

import argparse
import csv
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
TODAY = date(2026, 11, 27)
# The installed console script, as users and cron run it (python -m salesflow elsewhere).
SCRIPT = Path(sys.executable).with_name("salesflow")
SALESFLOW = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "salesflow"]
FIRST_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华飞鑫波斌宇浩凯佳"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
REPS = ["李娜", "王强", "陈静", "刘洋", "张伟", "Emily Chen", "赵敏", "David Wang"]
STORES = ["上海徐汇店", "深圳福田店", "北京朝阳店", "广州天河店", "Online"]
CONTACT_FLOOR = "contact list floor"


# ---------------------------------------------------------------- the book


def generate(work: Path, customers: int, contacts: int, sales: int, products: int) -> None:
    """Write customers/products/contacts/sales CSV files (seeded, so reproducible)."""
    stamp = work / f"book-{customers}-{contacts}-{sales}-{products}.done"
    if stamp.exists():
        return
    chance = random.Random(20261127)
    with open(work / "products.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "sku", "category", "price", "cycle_days"])
        for number in range(1, products + 1):
            cycle = chance.choice([None, 14, 21, 30, 45, 60, 90, 120])
            writer.writerow(
                [
                    f"产品{number:03d}",
                    f"SKU{number:04d}",
                    f"类别{number % 12}",
                    f"{chance.randint(500, 300000) / 100:.2f}",
                    cycle or "",
                ]
            )
    with open(work / "customers.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["ref", "name", "phone", "owner", "department", "store", "source", "created"]
        )
        for number in range(1, customers + 1):
            rep = chance.choice(REPS)
            writer.writerow(
                [
                    f"M{number:07d}",
                    chance.choice(SURNAMES)
                    + chance.choice(FIRST_NAMES)
                    + chance.choice(FIRST_NAMES),
                    f"1{chance.randint(3000000000, 9999999999)}",
                    rep,
                    f"部门{REPS.index(rep) % 4}",
                    chance.choice(STORES),
                    chance.choice(["web", "referral", "event", "ad"]),
                    (TODAY - timedelta(days=chance.randint(1, 900))).isoformat(),
                ]
            )
    with open(work / "contacts.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_ref", "date", "channel", "summary", "next"])
        for _ in range(contacts):
            days_ago = chance.randint(0, 700)
            follow = chance.random() < 0.3
            writer.writerow(
                [
                    f"M{chance.randint(1, customers):07d}",
                    f"{TODAY - timedelta(days=days_ago)} {chance.randint(9, 18):02d}:00",
                    chance.choice(["call", "visit", "wechat", "email"]),
                    "跟进",
                    (TODAY - timedelta(days=days_ago - chance.randint(1, 30))).isoformat()
                    if follow
                    else "",
                ]
            )
    with open(work / "sales.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_ref", "product", "quantity", "amount", "date", "rep", "store"])
        for _ in range(sales):
            quantity = chance.choice([1, 1, 1, 2, 3])
            writer.writerow(
                [
                    f"M{chance.randint(1, customers):07d}",
                    f"产品{chance.randint(1, products):03d}",
                    quantity,
                    f"{chance.randint(100, 500000) / 100:.2f}",
                    (TODAY - timedelta(days=chance.randint(0, 730))).isoformat(),
                    chance.choice(REPS),
                    chance.choice(STORES),
                ]
            )
    stamp.touch()


ENV = {**os.environ, "SALESFLOW_TODAY": TODAY.isoformat(), "SALESFLOW_LANG": "en"}
# Start-up is measured as installed Python runs it, with its bytecode cached: a shell that
# forbids writing bytecode would have every changed module compiled again at every run.
ENV.pop("PYTHONDONTWRITEBYTECODE", None)
ZH = {**ENV, "SALESFLOW_LANG": "zh"}


def salesflow(db: Path, *args: str, stdout=subprocess.DEVNULL, env=ENV) -> str:
    """Run salesflow on a book (check=True); its output when `stdout` is PIPE."""
    done = subprocess.run(
        [*SALESFLOW, "--db", str(db), *args], check=True, stdout=stdout, env=env, text=True
    )
    return done.stdout


# ---------------------------------------------------------------- measuring


class Step:
    """One command to time: its argv, its environment, and what to do, untimed, before
    each run (restore a copy of the book)."""

    def __init__(self, command: list[str], env=ENV, prepare=None, out: Path | None = None):
        self.command, self.env, self.prepare, self.out = command, env, prepare, out

    def run(self) -> float:
        if self.prepare:
            self.prepare()
        sink = open(self.out, "wb") if self.out else subprocess.DEVNULL  # noqa: SIM115
        try:
            start = time.perf_counter()
            subprocess.run(self.command, check=True, stdout=sink, env=self.env)
            return time.perf_counter() - start
        finally:
            if self.out:
                sink.close()


def interleaved(steps: dict[str, Step] | dict[str, list[str]], rounds: int) -> dict[str, float]:
    """Median wall time of each step (or plain command), run in turn round after round, so
    that a slower moment of the shared machine weighs on all of them alike."""
    steps = {label: s if isinstance(s, Step) else Step(s) for label, s in steps.items()}
    times: dict[str, list[float]] = {label: [] for label in steps}
    for _ in range(rounds):
        for label, step in steps.items():
            times[label].append(step.run())
    return {label: statistics.median(values) for label, values in times.items()}


def peak_memory_kib(command: list[str]) -> int:
    """Max RSS of one run of `command`, measured in a process of its own (RUSAGE_CHILDREN
    of this process would also count the earlier, larger imports)."""
    probe = (
        "import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *command], check=True, text=True, capture_output=True,
        env=ENV,
    )  # fmt: skip
    return int(result.stdout.strip())


def python(script: str, *args: str) -> list[str]:
    return [sys.executable, str(HERE / script), *args]


def output(command: list[str]) -> bytes:
    return subprocess.run(command, check=True, capture_output=True, env=ENV).stdout


# ---------------------------------------------------------------- agreement


def agree(what: str, ours: list, floor: list, agreement: dict[str, str]) -> None:
    """Compare two answers item by item (in order); stop the run on the first differences,
    since a floor that answers something else measures nothing."""
    differences = []
    for number in range(max(len(ours), len(floor))):
        mine = ours[number] if number < len(ours) else None
        theirs = floor[number] if number < len(floor) else None
        if mine != theirs:
            differences.append((number, mine, theirs))
            if len(differences) == 5:
                break
    if differences:
        print(f"\n{what}: salesflow and its floor DISAGREE ({len(ours)} vs {len(floor)} items)")
        for number, mine, theirs in differences:
            print(f"  item {number}:\n    salesflow {mine}\n    floor     {theirs}")
        raise SystemExit(1)
    agreement[what] = f"{len(ours)} items identical"
    print(f"  {what}: {len(ours)} items identical", flush=True)


def sales_rows(path: Path) -> list:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT id, customer_id, product_id, quantity, amount_cents, date, rep, department,"
        " store, deal_id, product_name FROM sales ORDER BY id"
    ).fetchall()
    conn.close()
    return rows


# ---------------------------------------------------------------- the book's daily life


def enrich(book: Path, work: Path, returns: int, answered: int) -> None:
    """What a lived-in book has besides purchases: returns (in full and in part), items
    marked done and snoozed, used-up reminders stopped. Untimed; the floors must see them."""
    conn = sqlite3.connect(book)
    last = conn.execute("SELECT max(id) FROM sales").fetchone()[0] or 0
    sales = conn.execute(
        "SELECT id, quantity, date FROM sales WHERE id % ? = 0 AND date <= ? ORDER BY id",
        [max(last // max(returns, 1), 1), (TODAY - timedelta(days=2)).isoformat()],
    ).fetchall()[:returns]
    conn.close()
    if sales:
        path = work / f"returns-{book.stem}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["sale_id", "date", "quantity", "reason"])
            for number, (sale_id, quantity, day) in enumerate(sales):
                back = quantity if number % 2 == 0 or quantity < 2 else 1  # in full, in part
                when = min(date.fromisoformat(day) + timedelta(days=3), TODAY)
                writer.writerow([sale_id, when.isoformat(), f"{back:g}", "bench"])
        salesflow(book, "import", "returns", str(path))
    items = json.loads(salesflow(book, "remind", "--format", "json", stdout=subprocess.PIPE))
    step = max(len(items) // max(answered, 1), 1)
    done = [item["key"] for item in items[::step]][:answered]
    snoozed = [item["key"] for item in items[step // 2 :: step]][:answered]
    if done:
        salesflow(book, "remind", "done", *done)
    if snoozed:
        salesflow(book, "remind", "snooze", *snoozed, "--until", "+7d")
    used_up = [item for item in items if item["kind"] == "used-up"][:: max(step, 1)][:5]
    for item in used_up:
        salesflow(book, "remind", "stop", str(item["customer_id"]), "--product", item["product"])


def check_remind(book: Path, label: str, agreement: dict[str, str]) -> None:
    ours = json.loads(output([*SALESFLOW, "--db", str(book), "remind", "--format", "json"]))
    floor = json.loads(output(python("floor_remind.py", str(book), TODAY.isoformat())))
    agree(f"remind, {label}", ours, floor, agreement)


def report_args(book: Path, year: str) -> list[str]:
    return [*SALESFLOW, "--db", str(book), "report", "sales", "--year", year,
            "--interval", "month", "--by", "rep", "--format", "json"]  # fmt: skip


def check_report(book: Path, copy: Path, year: str, label: str, agreement) -> None:
    ours = json.loads(output(report_args(book, year)))
    floor = json.loads(output(python("floor_report.py", str(copy), year)))
    agree(f"report month × rep, {label}", ours, floor, agreement)


def floor_copy(book: Path, copy: Path, year: str) -> None:
    """The report floor's own copy of the book, with its best index."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(book)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    subprocess.run(python("floor_report.py", str(copy), year, "--prepare"), check=True)


def restorer(book: Path, copy: Path):
    """Before each run of a write: the book as it was (the copy put back)."""

    def restore() -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(book, copy)

    return restore


# ---------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5, help="rounds for short commands (≥5)")
    parser.add_argument("--long-runs", type=int, default=3, help="rounds for long ones (≥3)")
    parser.add_argument("--solo-customers", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("bench-work"))
    parser.add_argument("--skip-team", action="store_true", help="only start-up and solo")
    parser.add_argument(
        "--only",
        type=lambda text: set(text.split(",")),
        default=set(PARTS),
        help=f"comma-separated parts to measure: {','.join(PARTS)} (default: all); the team"
        " book's parts reuse what an earlier run built in --work",
    )
    options = parser.parse_args()
    if options.skip_team:
        options.only -= {"import", "remind", "report"}
    unknown = options.only - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    work = options.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, float]] = {}
    agreement: dict[str, str] = {}
    context: dict[str, dict[str, float]] = {}  # times with no target, beside the ratios
    year = str(TODAY.year)
    if options.only & {"import", "remind", "report"}:
        team(options, work, results, agreement, year)
    if "start-up" in options.only:
        startup(options, work, results)
    if "solo" in options.only:
        solo(options, work, results, agreement, context, year)
    report_results(results, agreement, context, options, work)


PARTS = ("import", "remind", "report", "start-up", "solo")


def upgraded(book: Path) -> None:
    """Bring a book an earlier release built to this release's schema (untimed), so that
    salesflow and its floors see the same tables and indexes (floor_import.py builds every
    index the base book declares)."""
    subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from salesflow import db;"
         " db.open_db(Path(sys.argv[1]), write=True).close()", str(book)],
        check=True, env=ENV,
    )  # fmt: skip


def team(options, work: Path, results, agreement, year: str) -> None:
    print(f"generating the book in {work} …", flush=True)
    generate(work, options.customers, options.contacts, options.sales, options.products)
    base = work / "base.db"
    if not base.exists():
        started = time.perf_counter()
        for kind in ("products", "customers", "contacts"):
            salesflow(base, "import", kind, str(work / f"{kind}.csv"))
        print(f"base book loaded in {time.perf_counter() - started:.1f}s", flush=True)
    upgraded(base)
    book, floor_db = work / "book.db", work / "floor.db"
    sales_csv = str(work / "sales.csv")
    if "import" not in options.only:
        if not book.exists():
            raise SystemExit(f"{book} is missing: measure import first (--only import,…)")
        team_reads(options, work, results, agreement, year, book)
        return

    print("import (salesflow and floor, interleaved) …", flush=True)
    medians = interleaved(
        {
            "salesflow": Step(
                [*SALESFLOW, "--db", str(book), "import", "sales", sales_csv],
                prepare=restorer(base, book),
            ),
            "floor": Step(python("floor_import.py", str(base), str(floor_db), sales_csv)),
        },
        options.long_runs,
    )
    results["import sales CSV"] = row(medians, 2.5, "s")
    agree("imported sales rows", sales_rows(book), sales_rows(floor_db), agreement)

    print("returns, done, snoozed and stopped items …", flush=True)
    enrich(book, work, returns=2000, answered=500)
    team_reads(options, work, results, agreement, year, book)


def team_reads(options, work: Path, results, agreement, year: str, book: Path) -> None:
    """remind and the report on the team book as the import and `enrich` left it."""
    if "remind" in options.only:
        remind_part(options, results, agreement, book)
    if "report" in options.only:
        report_part(options, work, results, agreement, year, book)


def remind_part(options, results, agreement, book: Path) -> None:
    print("remind …", flush=True)
    check_remind(book, "team book", agreement)
    remind = [*SALESFLOW, "--db", str(book), "remind", "--format", "json"]
    medians = interleaved(
        {
            "salesflow": Step(remind),
            "floor": Step(python("floor_remind.py", str(book), TODAY.isoformat())),
        },
        options.long_runs,
    )
    results["remind --format json"] = row(medians, 1.5, "s")
    peak = peak_memory_kib(remind) / 1024
    results["remind peak memory"] = {"salesflow": peak, "floor": 100.0, "target": 1.0,
                                     "unit": "MB"}  # fmt: skip


def report_part(options, work: Path, results, agreement, year: str, book: Path) -> None:
    print("report …", flush=True)
    copy = work / "floor-report.db"
    floor_copy(book, copy, year)
    check_report(book, copy, year, "team book", agreement)
    medians = interleaved(
        {
            "salesflow": Step(report_args(book, year)),
            "floor": Step(python("floor_report.py", str(copy), year)),
        },
        options.runs,
    )
    results["report month × rep"] = row(medians, 1.0, "s")


def row(medians: dict[str, float], target: float, unit: str, floor: str = "floor") -> dict:
    return {"salesflow": medians["salesflow"], "floor": medians[floor], "target": target,
            "unit": unit}  # fmt: skip


def startup(options, work: Path, results) -> None:
    print("start-up (en and zh, interleaved with import typer) …", flush=True)
    empty = work / "empty.db"
    if not empty.exists():
        salesflow(empty, "config", "set", "cadence.A", "7")
    upgraded(empty)
    typer = Step([sys.executable, "-c", "import typer"])
    steps = {
        "import typer": typer,
        "--help": Step([*SALESFLOW, "--help"]),
        "--help zh": Step([*SALESFLOW, "--help"], env=ZH),
        "remind, empty book": Step([*SALESFLOW, "--db", str(empty), "remind"]),
        "remind, empty book zh": Step([*SALESFLOW, "--db", str(empty), "remind"], env=ZH),
    }
    medians = interleaved(steps, max(options.runs * 6, 30))
    for label in ("--help", "remind, empty book"):
        results[f"{label} vs import typer"] = {
            "salesflow": medians[label], "floor": medians["import typer"], "target": 1.0,
            "unit": "ms"}  # fmt: skip
        results[f"{label}: zh vs en"] = {
            "salesflow": medians[f"{label} zh"], "floor": medians[label], "target": 1.05,
            "unit": "ms"}  # fmt: skip


def solo(options, work: Path, results, agreement, context, year: str) -> None:
    """The book one salesperson keeps: each daily command piped to a file, interleaved with
    `python -c "import typer"`; writes on a copy of the book put back before each run."""
    print(f"solo book (demo --customers {options.solo_customers}) …", flush=True)
    book = work / f"solo-{options.solo_customers}.db"
    if not book.exists():
        salesflow(book, "demo", "--customers", str(options.solo_customers))
        enrich(book, work, returns=100, answered=40)
    upgraded(book)
    check_remind(book, "solo book", agreement)
    copy = work / "solo-floor-report.db"
    floor_copy(book, copy, year)
    check_report(book, copy, year, "solo book", agreement)
    conn = sqlite3.connect(book)
    customer = conn.execute(
        "SELECT c.id FROM customers c JOIN sales s ON s.customer_id = c.id"
        " GROUP BY c.id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    deal = conn.execute(
        "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.status = 'open'"
        " AND EXISTS (SELECT 1 FROM stages n WHERE n.pipeline_id = s.pipeline_id"
        " AND n.position > s.position) ORDER BY d.id LIMIT 1"
    ).fetchone()[0]
    product = conn.execute("SELECT sku FROM products ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    key = json.loads(salesflow(book, "remind", "--format", "json", stdout=subprocess.PIPE))[0]
    scratch = work / "solo-write.db"
    out = work / "solo-out.txt"
    db = ["--db", str(book)]
    reads = {
        "remind": ["remind"],
        "remind --brief": ["remind", "--brief"],
        "customer list": ["customer", "list"],
        "customer show": ["customer", "show", str(customer)],
        "contact list": ["contact", "list"],
        "deal list": ["deal", "list"],
        "deal show": ["deal", "show", str(deal)],
        "report sales": ["report", "sales"],
        "report pipeline": ["report", "pipeline"],
        "targets": ["targets"],
    }
    writes = {
        "log": ["log", str(customer), "回访，客户满意", "--next", "+1w"],
        "sale add": ["sale", "add", str(customer), product, "--quantity", "2"],
        "deal advance": ["deal", "advance", str(deal), "--force", "--reason", "bench"],
        "remind done": ["remind", "done", key["key"]],
    }
    steps = {"import typer": Step([sys.executable, "-c", "import typer"], out=out)}
    for label, args in reads.items():
        steps[label] = Step([*SALESFLOW, *db, *args], out=out)
    for label, args in writes.items():
        steps[label] = Step(
            [*SALESFLOW, "--db", str(scratch), *args], prepare=restorer(book, scratch), out=out
        )
    # What printing the whole log costs with no framework at all: the same table from a
    # hand-written program, compared line by line. No target: it is what `contact list`'s
    # ratio is read against, since a listing shows every row unless --limit is given.
    ours = output([*SALESFLOW, *db, "contact", "list"]).decode().splitlines()
    floor = output(python("floor_contact_list.py", str(book))).decode().splitlines()
    agree("contact list table, solo book", ours, floor, agreement)
    steps[CONTACT_FLOOR] = Step(python("floor_contact_list.py", str(book)), out=out)
    medians = interleaved(steps, options.runs)
    for label in [*reads, *writes]:
        results[f"solo: {label}"] = {
            "salesflow": medians[label], "floor": medians["import typer"], "target": 1.5,
            "unit": "ms"}  # fmt: skip
    context["solo: contact list, hand-written (no framework)"] = {
        "program": medians[CONTACT_FLOOR], "import typer": medians["import typer"],
        "salesflow": medians["contact list"]}  # fmt: skip


def machine() -> str:
    model = "unknown CPU"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next(
            line.split(":", 1)[1].strip() for line in lscpu.splitlines()
            if line.startswith("Model name")
        )  # fmt: skip
    except (OSError, StopIteration):
        pass
    from importlib.metadata import version

    return (
        f"{model} ({platform.machine()}), {os.cpu_count()} cores, Linux "
        f"{platform.release()}, Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, typer {version('typer')}"
    )


def report_results(results, agreement, context, options, work: Path) -> None:
    lines = [
        f"machine: {machine()}",
        f"date: {time.strftime('%Y-%m-%d %H:%M')}; team book: {options.customers} customers, "
        f"{options.contacts} contacts, {options.sales} sales, {options.products} products; "
        f"solo book: demo --customers {options.solo_customers}",
        "",
        "| measure | salesflow | floor | ratio | target | |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for label, entry in results.items():
        ratio = entry["salesflow"] / entry["floor"]
        entry["ratio"] = ratio
        unit = entry["unit"]
        scale = 1000 if unit == "ms" else 1
        mark = "ok" if ratio <= entry["target"] else "MISS"
        if unit == "MB":
            mark = "ok" if entry["salesflow"] <= entry["floor"] else "MISS"
        lines.append(
            f"| {label} | {entry['salesflow'] * scale:.3g} {unit} | "
            f"{entry['floor'] * scale:.3g} {unit} | {ratio:.2f} | ≤ {entry['target']:g}"
            f"{' (100 MB)' if unit == 'MB' else ''} | {mark} |"
        )
    if context:
        lines += ["", "context (no target):"]
    for label, entry in context.items():
        program, typer_time, ours = entry["program"], entry["import typer"], entry["salesflow"]
        lines.append(
            f"- {label}: {program * 1000:.3g} ms, {program / typer_time:.2f}× `import typer` "
            f"({typer_time * 1000:.3g} ms); salesflow {ours * 1000:.3g} ms, "
            f"{ours / program:.2f}× it"
        )
    lines += ["", "agreement (item by item, same run):"]
    lines += [f"- {what}: {outcome}" for what, outcome in agreement.items()]
    text = "\n".join(lines)
    print("\n" + text)
    (work / "results.md").write_text(text + "\n", encoding="utf-8")
    (work / "results.json").write_text(
        json.dumps(
            {"machine": machine(),
             "book": vars(options) | {"work": str(options.work), "only": sorted(options.only)},
             "results": results, "context": context, "agreement": agreement},
            indent=2, ensure_ascii=False,
        ),
        encoding="utf-8",
    )  # fmt: skip


if __name__ == "__main__":
    main()
