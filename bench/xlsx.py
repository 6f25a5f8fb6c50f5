"""Workbook benchmark: the sales import and export as .xlsx against the same work as CSV.

    python bench/xlsx.py                        # 100k customers, 1M sales
    python bench/xlsx.py --sales 100000 --runs 3

Uses the book of bench/run.py (same seeded CSV files, same loading through `salesflow
import`) and writes the sales file once more as a workbook typed the way a person keeps
it: amounts and quantities as numbers, dates as dates, member numbers as text. Measures,
each as the median of several runs:

- importing the sales workbook vs importing the same rows as CSV (target ≤ 2×);
- `export sales -o FILE.xlsx` vs `export sales -o FILE.csv` (target ≤ 3×);
- peak memory (max RSS) of the workbook export (target < 150 MB).

Timing targets live here, never in pytest. Results print as a table and are written to
WORK/xlsx-results.json.
"""

import argparse
import csv
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run  # noqa: E402  (bench/run.py: the book, the runner and the memory probe)

from salesflow.workbook import Column, ColumnKind, write_workbook  # noqa: E402

SALES_COLUMNS = [
    Column("customer_ref", "会员卡号"),
    Column("product", "产品"),
    Column("quantity", "数量", ColumnKind.INTEGER),
    Column("amount", "金额", ColumnKind.MONEY),
    Column("date", "日期", ColumnKind.DATE),
    Column("rep", "销售员"),
    Column("store", "门店"),
]


def sales_workbook(work: Path) -> Path:
    """The benchmark's sales.csv as a typed workbook, with Chinese headers (made once)."""
    path = work / "sales.xlsx"
    if path.exists() and path.stat().st_mtime >= (work / "sales.csv").stat().st_mtime:
        return path
    path.unlink(missing_ok=True)
    with open(work / "sales.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = (
            {**row, "quantity": int(row["quantity"]), "amount": Decimal(row["amount"])}
            for row in reader
        )
        write_workbook(path, "销售", SALES_COLUMNS, rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement")
    parser.add_argument("--work", type=Path, default=Path("bench-work-xlsx"))
    options = parser.parse_args()
    work = options.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"generating the book in {work} …", flush=True)
    run.generate(work, options.customers, 0, options.sales, options.products)
    base = work / "base.db"
    if not base.exists():
        for kind in ("products", "customers"):
            run.salesflow(base, "import", kind, str(work / f"{kind}.csv"))
    print("writing the sales workbook …", flush=True)
    workbook = sales_workbook(work)
    book = work / "book.db"

    def fresh_copy() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{book}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(base, book)

    results: dict[str, dict[str, float]] = {}
    print("import …", flush=True)
    importing = {
        source: [*run.SALESFLOW, "--db", str(book), "import", "sales", str(path)]
        for source, path in (("csv", work / "sales.csv"), ("xlsx", workbook))
    }
    times: dict[str, list[float]] = {"csv": [], "xlsx": []}
    for _ in range(options.runs):  # interleaved, so a slow moment weighs on both alike
        for source, command in importing.items():
            fresh_copy()
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment())
            times[source].append(time.perf_counter() - started)
    results["import sales .xlsx vs CSV"] = {
        "salesflow": statistics.median(times["xlsx"]),
        "floor": statistics.median(times["csv"]),
        "target": 2.0,
    }
    check_same_sales(book, work)

    print("export …", flush=True)
    exporting = {
        suffix: [*run.SALESFLOW, "--db", str(book), "export", "sales", "--force", "-o", target]
        for suffix in ("csv", "xlsx")
        for target in [str(work / f"export.{suffix}")]
    }
    medians = run.interleaved(exporting, options.runs)
    results["export sales .xlsx vs CSV"] = {
        "salesflow": medians["xlsx"],
        "floor": medians["csv"],
        "target": 3.0,
    }
    peak = run.peak_memory_kib(exporting["xlsx"])
    results["export .xlsx peak memory (MB)"] = {
        "salesflow": peak / 1024,
        "floor": 150,
        "target": 1.0,
    }
    report(results, options, work)


def environment() -> dict[str, str]:
    return {**os.environ, "SALESFLOW_TODAY": run.TODAY.isoformat()}


def check_same_sales(book: Path, work: Path) -> None:
    """The workbook import must store what the CSV import stores, or its time means nothing."""
    conn = sqlite3.connect(book)
    stored = conn.execute(
        "SELECT count(*), sum(amount_cents), sum(quantity), min(date), max(date) FROM sales"
    ).fetchone()
    conn.close()
    with open(work / "sales.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    expected = (
        len(rows),
        sum(round(Decimal(row["amount"]) * 100) for row in rows),
        sum(int(row["quantity"]) for row in rows),
        min(row["date"] for row in rows),
        max(row["date"] for row in rows),
    )
    if tuple(stored) != expected:
        raise SystemExit(f"the workbook import stored {stored}, the CSV holds {expected}")


def report(results: dict[str, dict[str, float]], options: argparse.Namespace, work: Path) -> None:
    print()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; book: {options.customers} customers, "
        f"{options.sales} sales"
    )
    print(f"{'measure':30} {'salesflow':>10} {'baseline':>10} {'ratio':>7} {'target':>7}")
    for label, row in results.items():
        ratio = row["salesflow"] / row["floor"]
        row["ratio"] = ratio
        unit = "" if "MB" in label else "s"
        mark = "ok" if ratio <= row["target"] else "MISS"
        print(
            f"{label:30} {row['salesflow']:>9.2f}{unit} {row['floor']:>9.2f}{unit} "
            f"{ratio:>7.2f} {row['target']:>6.1f}× {mark}"
        )
    (work / "xlsx-results.json").write_text(
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
