"""Workbooks through the commands: `import` reads .xlsx as a person typed it, `-o FILE.xlsx`
and `--format xlsx` write typed sheets (read back with openpyxl), hostile files change
nothing."""

import csv
import io
import os
import stat
import struct
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

# ---------------------------------------------------------------- workbooks typed by hand


def members_workbook(path: Path) -> Path:
    """A member list as kept in Excel: a merged title, Chinese headers on row 3, a phone
    and a member number stored as numbers, join dates as dates and as a bare serial."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("会员")
    day = book.add_format({"num_format": "yyyy/m/d"})
    sheet.merge_range("A1:E1", "2026年会员名单")
    sheet.write_row(2, 0, ["姓名", "手机", "会员卡号", "入会日期", "备注"])
    sheet.write_string(3, 0, "张三")
    sheet.write_number(3, 1, 13800138000)
    sheet.write_number(3, 2, 1000000001)
    sheet.write_datetime(3, 3, date(2026, 3, 5), day)
    sheet.write_string(3, 4, "老客户")
    sheet.write_string(5, 0, "李四")  # row 5 left empty, as people do
    sheet.write_number(5, 1, 13912345678.0)
    sheet.write_number(5, 2, 1000000002)
    sheet.write_number(5, 3, 46000)  # a date typed into a number cell: 2025-12-09
    book.close()
    return path


def sales_workbook(
    path: Path, rows: list[list], *, sheet_name: str = "销售", date_1904: bool = False
) -> Path:
    """A purchase log: member number, product, quantity, amount (as Excel computed it),
    date (a date cell, a datetime, or a serial number); `date_1904`: saved in the 1904
    date system, as old Mac Excel did."""
    book = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    sheet = book.add_worksheet(sheet_name)
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["会员卡号", "产品", "数量", "金额", "日期"])
    for number, (ref, product, quantity, amount, when) in enumerate(rows, start=1):
        sheet.write_string(number, 0, ref)
        sheet.write_string(number, 1, product)
        sheet.write_number(number, 2, quantity)
        if isinstance(amount, tuple):  # a formula with the value Excel cached for it
            sheet.write_formula(number, 3, amount[0], None, amount[1])
        else:
            sheet.write(number, 3, amount)
        if isinstance(when, date):
            sheet.write_datetime(number, 4, when, day)
        else:
            sheet.write(number, 4, when)
    book.close()
    return path


@pytest.fixture
def members(cli, tmp_path):
    path = members_workbook(tmp_path / "会员.xlsx")
    cli("import", "customers", path, "--header-row", "3")
    cli("product", "add", "面霜", "--price", "19.99")
    return path


def test_a_hand_typed_member_list_imports_as_the_person_meant_it(cli, tmp_path):
    path = members_workbook(tmp_path / "会员.xlsx")

    result = cli("import", "customers", path, "--header-row", "3")

    assert "Imported 2 customers" in result.stderr and "sheet 会员" in result.stderr
    zhang = cli.json("customer", "show", "1000000001")
    assert (zhang["name"], zhang["phone"], zhang["created_at"], zhang["notes"]) == (
        "张三",
        "13800138000",
        "2026-03-05",
        "老客户",
    )
    li = cli.json("customer", "show", "13912345678")
    assert (li["name"], li["ref"], li["created_at"]) == ("李四", "1000000002", "2025-12-09")


def test_without_the_header_row_the_title_is_taken_for_the_header(cli, tmp_path):
    result = cli("import", "customers", members_workbook(tmp_path / "会员.xlsx"), code=65)
    assert "no name column" in result.stderr
    assert cli.json("customer", "list") == []


def test_sales_amounts_land_on_the_cent_and_dates_of_every_shape_are_dates(cli, members, tmp_path):
    path = sales_workbook(
        tmp_path / "sales.xlsx",
        [
            ["1000000001", "面霜", 3, ("=19.99*3", 19.99 * 3), date(2026, 3, 5)],
            ["1000000001", "面霜", 1, ("=0.1+0.2", 0.1 + 0.2), datetime(2026, 3, 6, 14, 30)],
            ["1000000002", "面霜", 2, 1234.5, 46086],
            ["1000000002", "面霜", 1, "88", "2026年3月8日"],
        ],
    )

    cli("import", "sales", path)

    sales = cli.json("sale", "list")
    got = sorted((sale["date"], sale["amount"], sale["quantity"]) for sale in sales)
    assert got == [
        ("2026-03-05", 59.97, 3),
        ("2026-03-05", 1234.5, 2),
        ("2026-03-06", 0.3, 1),
        ("2026-03-08", 88.0, 1),
    ]


def test_a_workbook_in_the_1904_date_system_reads_typed_serials_in_it(cli, members, tmp_path):
    """Old Mac Excel counted days from 1904: a date typed as a plain number there is read
    in that system (not four years early); its date cells read right either way."""
    rows = [["1000000001", "面霜", 1, 10, date(2026, 3, 5)], ["1000000002", "面霜", 1, 20, 44624]]
    cli("import", "sales", sales_workbook(tmp_path / "mac.xlsx", rows, date_1904=True))
    cli("import", "sales", sales_workbook(tmp_path / "pc.xlsx", rows))

    got = sorted((sale["date"], sale["amount"]) for sale in cli.json("sale", "list"))
    # 44624 days after 1904-01-01 is 2026-03-05; after 1899-12-30, 2022-03-04
    assert got == [
        ("2022-03-04", 20.0),
        ("2026-03-05", 10.0),
        ("2026-03-05", 10.0),
        ("2026-03-05", 20.0),
    ]


def test_an_invalid_row_refuses_the_whole_sheet_naming_excel_row_numbers(cli, members, tmp_path):
    path = sales_workbook(
        tmp_path / "sales.xlsx",
        [
            ["1000000001", "面霜", 1, 10, date(2026, 3, 5)],
            ["1000000001", "面霜", 1, -5, date(2026, 3, 5)],
            ["9999", "面霜", 1, 10, date(2026, 3, 5)],
            ["1000000001", "面霜", 1, 10, 60],  # 1900-02-29, a day that never existed
        ],
    )
    before = cli.json("history")

    result = cli("import", "sales", path, code=65)

    rows = [line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("row ")]
    assert rows == ["row 3", "row 4", "row 5"]
    assert "never existed" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: 3 invalid rows")
    assert cli.json("sale", "list") == [] and cli.json("history") == before


def test_skip_invalid_writes_the_rejects_as_a_workbook_under_the_original_headers(
    cli, members, tmp_path
):
    path = sales_workbook(
        tmp_path / "sales.xlsx",
        [
            ["1000000001", "面霜", 1, 10, date(2026, 3, 5)],
            ["1000000001", "面霜", 1, "lots", date(2026, 3, 5)],
        ],
    )
    rejects = tmp_path / "rejects.xlsx"

    result = cli("import", "sales", path, "--skip-invalid", "--rejects", rejects)

    assert "rejects in" in result.stderr and len(cli.json("sale", "list")) == 1
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    sheet = openpyxl.load_workbook(rejects).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("row", "reason", "会员卡号", "产品", "数量", "金额", "日期")
    assert rows[1][0] == 3 and "amount" in rows[1][1]
    assert rows[1][2:] == ("1000000001", "面霜", "1", "lots", "2026-03-05")


def test_rejects_of_a_workbook_as_csv_name_excel_rows(cli, members, tmp_path):
    path = sales_workbook(tmp_path / "sales.xlsx", [["404", "面霜", 1, 10, date(2026, 3, 5)]])
    rejects = tmp_path / "rejects.csv"
    cli("import", "sales", path, "--skip-invalid", "--rejects", rejects)
    rows = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert rows[0][0] == "row" and rows[1][0] == "2" and "unknown customer" in rows[1][1]


def test_rejects_cannot_be_written_as_an_old_workbook_format(cli, members, tmp_path):
    path = sales_workbook(tmp_path / "sales.xlsx", [["404", "面霜", 1, 10, date(2026, 3, 5)]])
    result = cli("import", "sales", path, "--skip-invalid", "--rejects", tmp_path / "r.xls", code=2)
    assert ".xlsx or as CSV" in result.stderr
    assert cli.json("sale", "list") == []


def test_dry_run_reads_the_workbook_and_writes_nothing(cli, tmp_path):
    path = members_workbook(tmp_path / "会员.xlsx")
    summary = cli.json("import", "customers", path, "--header-row", "3", "--dry-run")
    assert (summary["imported"], summary["dry_run"], summary["sheet"]) == (2, True, "会员")
    assert summary["encoding"] is None
    assert cli.json("customer", "list") == [] and cli.json("history") == []


def test_a_sales_workbook_imported_twice_is_refused_and_one_undo_removes_it(cli, members, tmp_path):
    path = sales_workbook(
        tmp_path / "sales.xlsx",
        [
            ["1000000001", "面霜", 1, 10, date(2026, 3, 5)],
            ["1000000001", "面霜", 1, 10, date(2026, 3, 5)],  # two orders on one day
        ],
    )
    cli("import", "sales", path)
    again = cli("import", "sales", path, code=1)
    assert "already imported" in again.stderr and "--again" in again.stderr
    assert len(cli.json("sale", "list")) == 2

    cli("undo")
    assert cli.json("sale", "list") == []


def test_duplicates_in_a_workbook_follow_on_duplicate(cli, members, tmp_path):
    path = tmp_path / "update.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["会员卡号", "姓名", "公司"])
    sheet.write_number(1, 0, 1000000001)
    sheet.write_row(1, 1, ["张三", "华为"])
    book.close()

    cli("import", "customers", path, code=65)
    cli("import", "customers", path, "--on-duplicate", "update")
    assert cli.json("customer", "show", "1000000001")["company"] == "华为"


def several_sheets(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("说明").write(0, 0, "这个文件有两张表")
    members = book.add_worksheet("Members")
    members.write_row(0, 0, ["Name", "Phone"])
    members.write_row(1, 0, ["Ann", "555 0101"])
    book.close()
    return path


def test_a_sheet_is_chosen_by_name_or_number_and_a_missing_one_is_listed(cli, tmp_path):
    path = several_sheets(tmp_path / "book.xlsx")
    cli("import", "customers", path, code=65)  # the first sheet has no name column

    missing = cli("import", "customers", path, "--sheet", "Customers", code=2)
    assert "its sheets are: 说明, Members" in missing.stderr

    cli("import", "customers", path, "--sheet", "2", "--dry-run")
    cli("import", "customers", path, "--sheet", "members")
    assert [row["name"] for row in cli.json("customer", "list")] == ["Ann"]


def test_sheet_and_header_row_are_for_workbooks_only(cli, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("name\nAnn\n", encoding="utf-8")
    assert "only a workbook" in cli("import", "customers", path, "--sheet", "1", code=2).stderr
    cli("import", "customers", path, "--header-row", "2", code=2)
    cli("import", "customers", path, "--header-row", "0", code=2)
    assert cli.json("customer", "list") == []


def test_a_workbook_is_known_by_its_content_whatever_its_name(cli, tmp_path):
    path = members_workbook(tmp_path / "members.xlsx").rename(tmp_path / "members.csv")
    cli("import", "customers", path, "--header-row", "3")
    assert len(cli.json("customer", "list")) == 2


def test_map_names_a_workbook_column(cli, tmp_path):
    path = tmp_path / "kunden.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_row(0, 0, ["Kunde", "Telefon"])
    book.worksheets()[0].write_row(1, 0, ["Anna", "1"])
    book.close()
    cli("import", "customers", path, "--map", "Kunde=name", "--map", "Telefon=phone")
    assert cli.json("customer", "show", "Anna")["phone"] == "1"


# ---------------------------------------------------------------- hostile workbooks


def patched_central_size(source: Path, target: Path, size: int) -> Path:
    """A copy whose zip directory declares a huge unpacked size for its first part."""
    data = bytearray(source.read_bytes())
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, size)
    target.write_bytes(bytes(data))
    return target


def with_doctype(source: Path, target: Path) -> Path:
    laughs = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for entry in old.infolist():
            data = old.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = laughs + data[data.index(b"<worksheet") :]
            new.writestr(entry.filename, data)
    return target


def hostile(kind: str, tmp_path: Path) -> Path:
    good = members_workbook(tmp_path / "good.xlsx")
    if kind == "text":
        path = tmp_path / "text.xlsx"
        path.write_text("姓名,手机\n张三,138\n", encoding="utf-8")
        return path
    if kind == "encrypted":
        path = tmp_path / "locked.xlsx"
        directory = b"".join(
            (name.encode("utf-16-le") + b"\x00\x00").ljust(128, b"\x00")
            for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage")
        )
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + directory)
        return path
    if kind == "truncated":
        path = tmp_path / "cut.xlsx"
        path.write_bytes(good.read_bytes()[:1500])
        return path
    if kind == "zip-bomb":
        return patched_central_size(good, tmp_path / "bomb.xlsx", 2**31)
    if kind == "many-parts":
        path = tmp_path / "many.xlsx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            for number in range(10_001):
                archive.writestr(f"xl/media/{number}.bin", b"")
        return path
    return with_doctype(good, tmp_path / "laughs.xlsx")


@pytest.mark.parametrize(
    ("kind", "said"),
    [
        ("text", "is not a workbook"),
        ("encrypted", "password-protected"),
        ("truncated", "is damaged"),
        ("zip-bomb", "would unpack to"),
        ("many-parts", "parts, more than the"),
        ("doctype", "declares an XML document type"),
    ],
)
def test_hostile_workbooks_exit_65_and_change_nothing(cli, tmp_path, kind, said):
    cli("customer", "add", "Existing")
    before = cli.json("history")
    path = hostile(kind, tmp_path)

    result = cli("import", "customers", path, "--header-row", "3", code=65)

    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and said in lines[0]
    assert "张三" not in result.stderr
    assert [row["name"] for row in cli.json("customer", "list")] == ["Existing"]
    assert cli.json("history") == before


# ---------------------------------------------------------------- writing workbooks


@pytest.fixture
def book_with_sales(cli):
    cli("customer", "add", "张三", "--ref", "007", "--phone", "13800138000", "--tag", "vip")
    cli("customer", "add", '=HYPERLINK("http://x")', "--ref", "M2")
    cli("product", "add", "面霜", "--price", "19.99", "--cycle-days", "30")
    cli("sale", "add", "007", "面霜", "--quantity", "3", "--date", "2026-03-05")
    cli("sale", "add", "M2", "面霜", "--amount", "0.10", "--date", "2026-02-10")
    cli("log", "007", "回访", "--at", "2026-03-06 14:30", "--next", "2026-03-20")


def test_a_report_is_a_typed_sheet_with_a_bold_total_row(cli, book_with_sales, tmp_path):
    path = tmp_path / "report.xlsx"

    result = cli("report", "sales", "--year", "2026", "--by", "rep", "-o", path)

    assert "Wrote" in result.stderr and result.stdout == ""
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Sales 2026-01-01 … 2026-12-31"
    assert [cell.value for cell in sheet[1]] == [
        "period", "rep", "orders", "quantity", "amount", "returned_amount"
    ]  # fmt: skip
    assert all(cell.font.b for cell in sheet[1]) and sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows == [
        ("2026-02", None, 1, 1, 0.1, 0),
        ("2026-03", None, 1, 3, 59.97, 0),
        ("Total", None, 2, 4, 60.07, 0),
    ]
    assert sheet["E2"].number_format == "#,##0.00" and sheet["C2"].data_type == "n"
    assert all(cell.font.b for cell in sheet[4] if cell.value is not None)
    assert not any(cell.font.b for cell in sheet[3])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_format_xlsx_writes_a_workbook_whatever_the_name_and_percentages_are_percent(
    cli, book_with_sales, tmp_path
):
    path = tmp_path / "report.out"
    cli("report", "sales", "--year", "2026", "--compare", "prev", "--format", "xlsx", "-o", path)
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    headings = [cell.value for cell in sheet[1]]
    change = sheet.cell(row=3, column=headings.index("change_pct") + 1)
    assert change.number_format == "0.0%" and change.data_type == "n"
    assert sheet.cell(row=sheet.max_row, column=1).value == "Total"


def test_a_listing_written_as_a_workbook_types_dates_and_keeps_phones_as_text(
    cli, book_with_sales, tmp_path
):
    path = tmp_path / "contacts.xlsx"
    cli("contact", "list", "-o", path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "contact list"
    headings = [cell.value for cell in sheet[1]]
    row = {heading: cell for heading, cell in zip(headings, sheet[2], strict=True)}
    assert row["next_at"].value == datetime(2026, 3, 20)
    assert row["next_at"].number_format == "yyyy-mm-dd"
    assert row["customer_id"].value == 1 and row["customer_id"].data_type == "n"

    customers = tmp_path / "customers.xlsx"
    cli("customer", "list", "-o", customers)
    sheet = openpyxl.load_workbook(customers).active
    headings = [cell.value for cell in sheet[1]]
    phone = sheet.cell(row=2, column=headings.index("phone") + 1)
    ref = sheet.cell(row=2, column=headings.index("ref") + 1)
    assert (phone.value, phone.data_type, ref.value) == ("13800138000", "s", "007")


def test_export_writes_typed_cells_and_text_is_never_a_formula(cli, book_with_sales, tmp_path):
    path = tmp_path / "sales.xlsx"
    result = cli("export", "sales", "-o", path)
    assert "Exported 2 sales" in result.stderr
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "sales"
    headings = [cell.value for cell in sheet[1]]
    first = {heading: cell for heading, cell in zip(headings, sheet[2], strict=True)}
    assert (first["id"].value, first["date"].value, first["amount"].value) == (
        1,
        datetime(2026, 3, 5),
        59.97,
    )
    assert first["amount"].number_format == "#,##0.00" and first["customer_ref"].value == "007"

    customers = tmp_path / "customers.xlsx"
    cli("export", "customers", "--format", "xlsx", "-o", customers)
    sheet = openpyxl.load_workbook(customers).active
    named = sheet.cell(row=3, column=3)
    assert named.value == '=HYPERLINK("http://x")' and named.data_type == "s"
    with zipfile.ZipFile(customers) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_export_raw_as_a_workbook_imports_back_into_an_empty_book(cli, book_with_sales, tmp_path):
    other = tmp_path / "other.db"
    for kind in ("products", "customers", "sales", "contacts"):
        path = tmp_path / f"{kind}.xlsx"
        cli("export", kind, "--raw", "-o", path)
        cli("--db", other, "import", kind, path)
    for kind in ("products", "customers", "sales", "contacts"):
        assert (
            cli("--db", other, "export", kind, "--raw").stdout
            == cli("export", kind, "--raw").stdout
        )


def test_a_listing_workbook_imports_back(cli, book_with_sales, tmp_path):
    path = tmp_path / "customers.xlsx"
    cli("customer", "list", "-o", path)
    other = tmp_path / "other.db"
    cli("--db", other, "import", "customers", path)
    assert cli.json("--db", other, "customer", "show", "007")["tags"] == ["vip"]


def test_export_never_overwrites_without_force(cli, book_with_sales, tmp_path):
    path = tmp_path / "sales.xlsx"
    path.write_bytes(b"keep me")
    refused = cli("export", "sales", "-o", path, code=1)
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert path.read_bytes() == b"keep me"
    cli("export", "sales", "-o", path, "--force")
    assert openpyxl.load_workbook(path).active.max_row == 3
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize(
    "args",
    [
        ["customer", "list", "--format", "xlsx"],
        ["report", "sales", "--format", "xlsx"],
        ["export", "sales", "--format", "xlsx"],
        ["tiers", "--apply", "--format", "xlsx"],
    ],
)
def test_a_workbook_is_never_written_to_the_terminal(cli, book_with_sales, args):
    before = cli.json("history")
    result = cli(*args, code=2)
    assert result.stdout == "" and "workbook" in result.stderr
    assert cli.json("history") == before


@pytest.mark.parametrize(
    "args",
    [
        ["undo"],
        ["redo"],
        ["check"],
        ["import", "customers", "members.csv", "--dry-run"],
        ["replicate", "--once"],
        # -o names the restored book there, not a listing: still no workbook
        ["restore", "-o", "restored.db"],
    ],
)
@pytest.mark.parametrize("value", ["csv", "xlsx"])
def test_a_command_that_reports_what_it_did_offers_table_and_json(
    cli, book_with_sales, args, value
):
    """Its report holds lists and sections, no rows: no CSV, and no silent nothing for it."""
    before = cli.json("history")
    result = cli(*args, "--format", value, code=2)
    assert f"'{value}' is not one of 'table', 'json'." in result.stderr
    assert result.stdout == "" and cli.json("history") == before
    assert "<table|json>" in cli(args[0], "--help").stdout


@pytest.mark.parametrize(
    ("command", "args"),
    [
        (["customer", "add"], ["Bob"]),
        (["sale", "add"], ["1", "--amount", "5"]),
    ],
)
@pytest.mark.parametrize("value", ["xlsx", "foo"])
def test_a_command_that_writes_no_listing_offers_no_workbook(
    cli, book_with_sales, command, args, value
):
    """Its --format offers, and its refusal lists, exactly what it writes."""
    before = cli.json("history")
    result = cli(*command, *args, "--format", value, code=2)
    assert f"'{value}' is not one of 'table', 'csv', 'json'." in result.stderr
    assert result.stdout == "" and cli.json("history") == before
    assert "<table|csv|json>" in cli(*command, "--help").stdout


@pytest.mark.parametrize(
    "args",
    [
        ["customer", "list", "--format", "json"],
        ["export", "sales", "--format", "csv"],
        ["remind", "--as-of", "2026-12-31"],
    ],
)
def test_text_is_never_written_into_a_file_named_xlsx(cli, book_with_sales, tmp_path, args):
    path = tmp_path / "out.xlsx"
    result = cli(*args, "-o", path, code=2)
    assert "named as a workbook" in result.stderr and not path.exists()


def test_remind_writes_a_workbook_with_format_xlsx(cli, book_with_sales, tmp_path):
    path = tmp_path / "remind.xlsx"
    cli("remind", "--as-of", "2026-12-31", "--format", "xlsx", "-o", path)
    sheet = openpyxl.load_workbook(path).active
    headings = [cell.value for cell in sheet[1]]
    assert headings[:3] == ["kind", "customer_id", "customer"]
    due = sheet.cell(row=2, column=headings.index("due") + 1)
    assert isinstance(due.value, datetime) and due.number_format == "yyyy-mm-dd"
