"""salesflow benchmark: a team-scale book, measured against hand-written floors in one run.

    python bench/run.py                      # 100k customers, 1M contacts, 1M sales
    python bench/run.py --customers 10000 --contacts 100000 --sales 100000 --runs 3

Builds a reproducible book (CSV files generated here, loaded through `salesflow import`),
then measures, each as the median of several runs and as a ratio against a baseline
measured in the same run on the same machine:

- start-up: `salesflow --help` and `salesflow remind` on an empty file vs `import typer`;
- `salesflow remind --format json` (all kinds) vs the same reminders by a raw SQL query;
- `report sales --year Y --interval month --by rep` vs a raw GROUP BY;
- importing the sales CSV vs a hand-written executemany loader into an equally indexed
  table;
- peak memory (max RSS) of `remind` at that scale.

Timing targets live here, never in pytest. Results print as a table and are written to
WORK/results.json.
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


def salesflow(db: Path, *args: str, stdout=subprocess.DEVNULL) -> None:
    subprocess.run(
        [*SALESFLOW, "--db", str(db), *args],
        check=True,
        stdout=stdout,
        env={**os.environ, "SALESFLOW_TODAY": TODAY.isoformat()},
    )


# ---------------------------------------------------------------- measuring


def timed(command: list[str], runs: int, prepare=None) -> float:
    """Median wall time (s) of a command."""
    times = []
    for _ in range(runs):
        if prepare:
            prepare()
        start = time.perf_counter()
        subprocess.run(
            command,
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "SALESFLOW_TODAY": TODAY.isoformat()},
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(commands: dict[str, list[str]], rounds: int) -> dict[str, float]:
    """Median wall time of each command, run in turn round after round, so that a slower
    moment of the machine weighs on all of them alike."""
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(rounds):
        for label, command in commands.items():
            start = time.perf_counter()
            subprocess.run(
                command,
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "SALESFLOW_TODAY": TODAY.isoformat()},
            )
            times[label].append(time.perf_counter() - start)
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
        [sys.executable, "-c", probe, *command],
        check=True,
        text=True,
        capture_output=True,
        env={**os.environ, "SALESFLOW_TODAY": TODAY.isoformat()},
    )
    return int(result.stdout.strip())


def python(script: str, *args: str) -> list[str]:
    return [sys.executable, str(HERE / script), *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement")
    parser.add_argument("--import-runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("bench-work"))
    options = parser.parse_args()
    work = options.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"generating the book in {work} …", flush=True)
    generate(work, options.customers, options.contacts, options.sales, options.products)

    base = work / "base.db"
    if not base.exists():
        started = time.perf_counter()
        for kind in ("products", "customers", "contacts"):
            salesflow(base, "import", kind, str(work / f"{kind}.csv"))
        print(f"base book loaded in {time.perf_counter() - started:.1f}s", flush=True)
    book = work / "book.db"
    results: dict[str, dict[str, float]] = {}

    def fresh_copy() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{book}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(base, book)

    print("import …", flush=True)
    ours = timed(
        [*SALESFLOW, "--db", str(book), "import", "sales", str(work / "sales.csv")],
        options.import_runs,
        fresh_copy,
    )
    floor_db = work / "floor.db"
    floor = timed(
        python("floor_import.py", str(base), str(floor_db), str(work / "sales.csv")),
        options.import_runs,
    )
    results["import sales CSV"] = {"salesflow": ours, "floor": floor, "target": 1.5}

    print("remind …", flush=True)
    remind = [*SALESFLOW, "--db", str(book), "remind", "--format", "json"]
    ours = timed(remind, options.runs)
    peak = peak_memory_kib(remind)
    floor = timed(python("floor_remind.py", str(book), TODAY.isoformat()), options.runs)
    results["remind --format json"] = {"salesflow": ours, "floor": floor, "target": 1.0}
    results["remind peak memory (MB)"] = {"salesflow": peak / 1024, "floor": 150, "target": 1.0}
    check_same_reminders(book)

    print("report …", flush=True)
    year = str(TODAY.year)
    report = [
        *SALESFLOW,
        "--db",
        str(book),
        "report",
        "sales",
        "--year",
        year,
        "--interval",
        "month",
        "--by",
        "rep",
        "--format",
        "json",
    ]
    ours = timed(report, options.runs)
    floor = timed(python("floor_report.py", str(book), year), options.runs)
    results["report sales month×rep"] = {"salesflow": ours, "floor": floor, "target": 1.0}

    print("start-up …", flush=True)
    empty = work / "empty.db"
    if not empty.exists():
        salesflow(empty, "config", "set", "cadence.A", "7")
    commands = {
        "import typer": [sys.executable, "-c", "import typer"],
        "salesflow --help": [*SALESFLOW, "--help"],
        "remind on an empty file": [*SALESFLOW, "--db", str(empty), "remind"],
    }
    medians = interleaved(commands, options.runs * 8)
    for label in ("salesflow --help", "remind on an empty file"):
        results[label] = {
            "salesflow": medians[label],
            "floor": medians["import typer"],
            "target": 1.1,
        }

    report_results(results, options, work)


def check_same_reminders(book: Path) -> None:
    """The floor must compute the same reminders, or its time means nothing."""
    ours = subprocess.run(
        [*SALESFLOW, "--db", str(book), "remind", "--format", "json"],
        check=True,
        capture_output=True,
        env={**os.environ, "SALESFLOW_TODAY": TODAY.isoformat()},
    ).stdout
    floor = subprocess.run(
        python("floor_remind.py", str(book), TODAY.isoformat()), check=True, capture_output=True
    ).stdout
    mine = sorted(
        (i["kind"], i["customer_id"], i["due"], i["deal_id"] or 0, i["product"] or "")
        for i in json.loads(ours)
    )
    theirs = sorted(
        (i["kind"], i["customer_id"], i["due"], i["deal_id"] or 0, i["product"] or "")
        for i in json.loads(floor)
    )
    if mine != theirs:
        raise SystemExit(f"floor and salesflow disagree: {len(mine)} vs {len(theirs)} items")


def report_results(results: dict[str, dict[str, float]], options, work: Path) -> None:
    print()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        f"book: {options.customers} customers, {options.contacts} contacts, "
        f"{options.sales} sales, {options.products} products"
    )
    print(f"{'measure':28} {'salesflow':>10} {'floor':>10} {'ratio':>7} {'target':>7}")
    for label, row in results.items():
        ratio = row["salesflow"] / row["floor"]
        row["ratio"] = ratio
        unit = "" if "MB" in label else "s"
        mark = "ok" if ratio <= row["target"] else "MISS"
        print(
            f"{label:28} {row['salesflow']:>9.3f}{unit} {row['floor']:>9.3f}{unit} "
            f"{ratio:>7.2f} {row['target']:>6.1f}× {mark}"
        )
    (work / "results.json").write_text(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%d"),
                "machine": platform.platform(),
                "book": vars(options) | {"work": str(options.work)},
                "results": results,
            },
            indent=2,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
