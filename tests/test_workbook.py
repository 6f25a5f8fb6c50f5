"""Workbooks in and out: cells read the way a person means them, hostile files refused,
exports typed and formula-safe (read back with openpyxl, a library independent of both)."""

import os
import re
import struct
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from salesflow.errors import BadInput, BadValue, Conflict, NotFound
from salesflow.workbook import (
    MAX_ENTRIES,
    MAX_UNPACKED_BYTES,
    BadWorkbook,
    Column,
    ColumnKind,
    excel_serial_to_date,
    number_text,
    open_sheet,
    read_sheet,
    sheet_title,
    write_workbook,
)

# ---------------------------------------------------------------- reading


def hand_typed(path: Path) -> Path:
    """A member list as typed in a spreadsheet: a merged title, a Chinese header on row 3."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("会员")
    day = book.add_format({"num_format": "yyyy/m/d"})
    moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    plain_number = book.add_format({"num_format": "0"})
    sheet.merge_range("A1:F1", "2026年会员名单")
    sheet.write_row(2, 0, ["姓名", "电话", "金额", "日期", "来访", "会员", "数量", "老客户"])
    sheet.write_blank(2, 10, None, day)  # a formatted but empty column far to the right
    sheet.write_string(3, 0, "张三")
    sheet.write_number(3, 1, 13800138000)
    # Computed amounts keep their binary noise in the file, as Excel stores them.
    sheet.write_formula(3, 2, "=0.1+0.2", None, 0.1 + 0.2)
    sheet.write_datetime(3, 3, date(2026, 3, 5), day)
    sheet.write_datetime(3, 4, datetime(2026, 3, 5, 14, 30), moment)
    sheet.write_number(3, 5, 1000000001)
    sheet.write_number(3, 6, 3.0)
    sheet.write_boolean(3, 7, True)
    # row 5 left empty on purpose
    sheet.write_string(5, 0, "李四")
    sheet.write_number(5, 1, 13912345678.0)
    sheet.write_formula(5, 2, "=4.35*100", None, 4.35 * 100)
    sheet.write_number(5, 3, 46086, plain_number)  # a date typed into a number cell
    sheet.write_datetime(5, 4, datetime(2026, 3, 6), moment)
    sheet.write_number(5, 6, 1.5)
    sheet.write_boolean(5, 7, False)
    sheet.write_string(6, 0, "   ")  # a row of nothing but blanks
    sheet.write_string(7, 0, "王五")
    sheet.write_formula(7, 2, "=19.99*3", None, 19.99 * 3)
    sheet.write_formula(7, 3, "=1.1*3", None, 1.1 * 3)
    book.close()
    return path


def test_cells_come_in_as_the_person_typed_them(tmp_path):
    path = hand_typed(tmp_path / "members.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"0.30000000000000004" in sheet_xml  # the noise really is in the file

    header, rows = read_sheet(path, header_row=3)

    assert header == ["姓名", "电话", "金额", "日期", "来访", "会员", "数量", "老客户"]
    assert list(rows) == [
        (
            4,
            [
                "张三",
                "13800138000",
                "0.3",
                "2026-03-05",
                "2026-03-05 14:30",
                "1000000001",
                "3",
                "true",
            ],
        ),
        (6, ["李四", "13912345678", "435", "46086", "2026-03-06", "", "1.5", "false"]),
        (8, ["王五", "", "59.97", "3.3"]),
    ]


def test_without_a_header_row_the_first_non_empty_row_is_the_header(tmp_path):
    header, rows = read_sheet(hand_typed(tmp_path / "members.xlsx"))

    assert header == ["2026年会员名单"]
    assert next(rows) == (
        3,
        ["姓名", "电话", "金额", "日期", "来访", "会员", "数量", "老客户"],
    )


def test_data_far_from_the_corner_keeps_excel_row_numbers(tmp_path):
    path = tmp_path / "offset.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(4, 2, ["name", "phone"])
    sheet.write_row(9, 2, ["Ann", "555"])
    book.close()

    header, rows = read_sheet(path)

    assert header == ["name", "phone"]
    assert list(rows) == [(10, ["Ann", "555"])]


def test_a_header_row_that_is_empty_is_refused(tmp_path):
    path = hand_typed(tmp_path / "members.xlsx")
    with pytest.raises(BadWorkbook, match="row 2 of sheet 会员 is empty"):
        read_sheet(path, header_row=2)
    with pytest.raises(BadWorkbook, match="row 99 of sheet 会员 is empty"):
        read_sheet(path, header_row=99)
    with pytest.raises(BadValue, match="header row must be 1 or more"):
        read_sheet(path, header_row=0)


def several_sheets(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    hidden = book.add_worksheet("Notes")
    hidden.write(0, 0, "secret")
    hidden.hide()
    book.add_worksheet("Sales").write(0, 0, "sales")
    book.add_worksheet("Blank")
    book.add_worksheet("Products").write(0, 0, "products")
    book.get_worksheet_by_name("Sales").activate()
    book.close()
    return path


def test_sheets_are_chosen_by_name_or_number_and_hidden_ones_are_not_the_default(tmp_path):
    path = several_sheets(tmp_path / "book.xlsx")

    assert read_sheet(path)[0] == ["sales"]
    assert read_sheet(path, sheet="Products")[0] == ["products"]
    assert read_sheet(path, sheet="products")[0] == ["products"]
    assert read_sheet(path, sheet=4)[0] == ["products"]
    assert read_sheet(path, sheet="4")[0] == ["products"]
    assert read_sheet(path, sheet=1)[0] == ["secret"]


def test_an_unknown_sheet_lists_the_sheets_there_are(tmp_path):
    path = several_sheets(tmp_path / "book.xlsx")
    for wanted in ("Customers", 5, 0):
        with pytest.raises(BadValue, match="its sheets are: Notes, Sales, Blank, Products"):
            read_sheet(path, sheet=wanted)


def test_an_empty_sheet_has_no_header(tmp_path):
    with pytest.raises(BadWorkbook, match=r"sheet Blank of .* is empty"):
        read_sheet(several_sheets(tmp_path / "book.xlsx"), sheet="Blank")


def test_an_xlsx_saved_under_an_xls_name_is_read_by_its_content(tmp_path):
    path = hand_typed(tmp_path / "members.xlsx").rename(tmp_path / "members.xls")
    assert read_sheet(path, header_row=3)[0][:2] == ["姓名", "电话"]


def opendocument(path: Path, content: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            "<manifest:manifest "
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        # LibreOffice writes no whitespace between elements, and the reader expects none.
        archive.writestr("content.xml", re.sub(r">\s+<", "><", content))
    return path


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="客户">
<table:table-row>
 <table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell>
 <table:table-cell office:value-type="string"><text:p>电话</text:p></table:table-cell>
 <table:table-cell office:value-type="string"><text:p>日期</text:p></table:table-cell>
</table:table-row>
<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>
<table:table-row>
 <table:table-cell office:value-type="string"><text:p>张三</text:p></table:table-cell>
 <table:table-cell office:value-type="float" office:value="13800138000">
  <text:p>13800138000</text:p></table:table-cell>
 <table:table-cell office:value-type="date" office:date-value="2026-03-05">
  <text:p>2026-03-05</text:p></table:table-cell>
</table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""


def test_opendocument_spreadsheets_read_like_workbooks(tmp_path):
    header, rows = read_sheet(opendocument(tmp_path / "customers.ods", ODS_CONTENT))

    assert header == ["姓名", "电话", "日期"]
    assert list(rows) == [(4, ["张三", "13800138000", "2026-03-05"])]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1 + 0.2, "0.3"),
        (19.99 * 3, "59.97"),
        (4.35 * 100, "435"),
        (1.005 * 1000, "1005"),
        (13800138000.0, "13800138000"),
        (1.234567890123457e19, "12345678901234600000"),
        (1e-7, "0.0000001"),
        (-0.0, "0"),
        (-12.5, "-12.5"),
        (123456789.123, "123456789.123"),
    ],
)
def test_number_cells_are_plain_decimal_text(value, text):
    assert number_text(value) == text


@pytest.mark.parametrize(
    ("serial", "text"),
    [
        (1, "1900-01-01"),
        (59, "1900-02-28"),
        (61, "1900-03-01"),  # after Excel's phantom 1900-02-29
        (46086, "2026-03-05"),
        ("46086", "2026-03-05"),
        ("46086.5", "2026-03-05 12:00"),
        (46086.604166666664, "2026-03-05 14:30"),
        ("46086.9999999", "2026-03-06"),  # a fraction that rounds to midnight: the next day
        (2958465, "9999-12-31"),
    ],
)
def test_excel_serials_become_iso_dates(serial, text):
    assert excel_serial_to_date(serial) == text


@pytest.mark.parametrize("serial", [0, -1, 60, 2958466, "abc", "", "nan", "2958465.9999999"])
def test_numbers_that_are_no_excel_date_are_refused(serial):
    with pytest.raises(BadValue):
        excel_serial_to_date(serial)


@pytest.mark.parametrize(
    ("serial", "text"),
    [
        (0, "1904-01-01"),
        (59, "1904-02-29"),  # a real leap day: no phantom day in this system
        (44624, "2026-03-05"),
        ("44624.25", "2026-03-05 06:00"),
        (2957003, "9999-12-31"),
    ],
)
def test_serials_of_the_1904_date_system_count_from_1904(serial, text):
    assert excel_serial_to_date(serial, date_1904=True) == text


@pytest.mark.parametrize("serial", [-1, 2957004, "abc", "2957003.9999999"])
def test_numbers_outside_the_1904_date_system_are_refused(serial):
    with pytest.raises(BadValue, match="from 0 to 2957003"):
        excel_serial_to_date(serial, date_1904=True)


def workbook_part(path: Path, workbook_xml: bytes) -> Path:
    """An .xlsx whose workbook part is `workbook_xml` (XlsxWriter's, with its tag replaced)."""
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet().write_row(0, 0, ["name", "day"])
    book.close()
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    part = "xl/workbook.xml"
    parts[part] = re.sub(rb"<workbookPr[^>]*/>", workbook_xml, parts[part])
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("encoding", ["GBK", "x-nonesuch"])
def test_a_workbook_part_in_an_encoding_the_parser_lacks_reads_in_the_1900_system(
    tmp_path, encoding
):
    path = workbook_part(tmp_path / "book.xlsx", b'<workbookPr date1904="1"/>')
    with zipfile.ZipFile(path) as archive:
        part = archive.read("xl/workbook.xml")
    declared = re.sub(rb'encoding="[^"]*"', f'encoding="{encoding}"'.encode(), part, count=1)
    assert declared != part
    sheet = open_sheet(with_part(path, tmp_path / "declared.xlsx", "xl/workbook.xml", declared))
    assert sheet.header == ["name", "day"] and sheet.date_1904 is False


def test_only_the_top_of_the_workbook_part_is_read_for_its_date_system(tmp_path):
    """The element comes first in every workbook a spreadsheet writes; past the first MiB
    (here behind a comment of 2 MiB) it is not looked for, so no part costs more."""
    padded = b"<!-- " + b"x" * (2 * 1024 * 1024) + b' --><workbookPr date1904="1"/>'
    assert open_sheet(workbook_part(tmp_path / "padded.xlsx", padded)).date_1904 is False
    near = b"<!-- " + b"x" * 1024 + b' --><workbookPr date1904="1"/>'
    assert open_sheet(workbook_part(tmp_path / "near.xlsx", near)).date_1904 is True


@pytest.mark.parametrize(
    ("tag", "counts_from_1904"),
    [
        (b'<workbookPr date1904="1"/>', True),
        (b"<workbookPr defaultThemeVersion='124226' date1904='true'/>", True),
        # strict Office Open XML names a prefix
        (
            b'<x:workbookPr xmlns:x="http://purl.oclc.org/ooxml/spreadsheetml/main" date1904="1"/>',
            True,
        ),
        # a commented-out element is no element
        (b'<!-- <workbookPr date1904="1"/> --><workbookPr date1904="0"/>', False),
        (b'<workbookPr date1904="0"/>', False),
        (b'<workbookPr date1904="false"/>', False),
        (b'<workbookPr defaultThemeVersion="124226"/>', False),
    ],
)
def test_the_1904_date_system_is_read_from_the_workbook_part(tmp_path, tag, counts_from_1904):
    sheet = open_sheet(workbook_part(tmp_path / "book.xlsx", tag))
    assert sheet.header == ["name", "day"]
    assert sheet.date_1904 is counts_from_1904


# ---------------------------------------------------------------- hostile and broken input


def test_a_text_file_named_xlsx_is_not_a_workbook(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_text("name,phone\nAnn,555\n")
    with pytest.raises(BadWorkbook, match="is not a workbook") as caught:
        read_sheet(path)
    assert isinstance(caught.value, BadInput) and caught.value.exit_code == 65
    assert "Ann" not in str(caught.value)


def test_a_zip_that_is_no_spreadsheet_is_not_a_workbook(tmp_path):
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "not a sheet")
    with pytest.raises(BadWorkbook, match="is not a workbook"):
        read_sheet(path)


def test_only_workbook_names_are_read(tmp_path):
    path = hand_typed(tmp_path / "members.xlsx").rename(tmp_path / "members.csv")
    with pytest.raises(BadWorkbook, match=r"ends in \.xlsx"):
        read_sheet(path)


def test_a_missing_file_is_not_found(tmp_path):
    with pytest.raises(NotFound):
        read_sheet(tmp_path / "gone.xlsx")


def ole2_container(*stream_names: str) -> bytes:
    """An OLE2 (compound file) header and a directory sector naming the given streams."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    directory = b"".join(
        (name.encode("utf-16-le") + b"\x00\x00").ljust(64, b"\x00")
        + struct.pack("<H", 2 * len(name) + 2).ljust(64, b"\x00")
        for name in ("Root Entry", *stream_names)
    )
    return header + directory.ljust(512, b"\x00")


def test_an_encrypted_workbook_is_refused_as_password_protected(tmp_path):
    # Excel stores a password-protected .xlsx as an OLE2 container of these two streams.
    path = tmp_path / "locked.xlsx"
    path.write_bytes(ole2_container("EncryptionInfo", "EncryptedPackage"))
    with pytest.raises(BadWorkbook, match="password-protected"):
        read_sheet(path)


def test_an_ole2_file_that_is_no_spreadsheet_cannot_be_read(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(ole2_container("WordDocument"))
    with pytest.raises(BadWorkbook, match="cannot be read as a workbook"):
        read_sheet(path)


def test_a_zip_with_encrypted_entries_is_refused_as_password_protected(tmp_path):
    path = hand_typed(tmp_path / "members.xlsx")
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1  # the "encrypted" flag of the first part
    path.write_bytes(bytes(data))
    with pytest.raises(BadWorkbook, match="password-protected"):
        read_sheet(path)


def test_a_truncated_workbook_is_damaged(tmp_path):
    path = hand_typed(tmp_path / "members.xlsx")
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(BadWorkbook, match="is damaged"):
        read_sheet(path)


def stored_workbook(path: Path, parts: dict[str, bytes]) -> Path:
    """A zip in the shape of an .xlsx whose parts are stored uncompressed."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_a_part_whose_bytes_do_not_match_its_crc_is_damaged(tmp_path):
    path = stored_workbook(
        tmp_path / "flipped.xlsx", {"xl/workbook.xml": b"<workbook>abc</workbook>"}
    )
    data = path.read_bytes()
    path.write_bytes(data.replace(b"abc", b"abd", 1))
    with pytest.raises(BadWorkbook, match="is damaged"):
        read_sheet(path)


def test_damage_deep_inside_a_large_part_is_found(tmp_path):
    sheet_xml = b"<worksheet>" + b"<row/>" * 100_000 + b"abc</worksheet>"
    path = stored_workbook(tmp_path / "deep.xlsx", {"xl/worksheets/sheet1.xml": sheet_xml})
    path.write_bytes(path.read_bytes().replace(b"abc", b"abd", 1))
    with pytest.raises(BadWorkbook, match="is damaged"):
        read_sheet(path)


def patch_central_sizes(path: Path, name: bytes, *, uncompressed: int) -> None:
    """Rewrite the uncompressed size a zip's central directory declares for one part."""
    data = bytearray(path.read_bytes())
    position = data.find(b"PK\x01\x02")
    while data[position + 46 : position + 46 + len(name)] != name:
        position = data.find(b"PK\x01\x02", position + 4)
    struct.pack_into("<I", data, position + 24, uncompressed)
    path.write_bytes(bytes(data))


def test_a_zip_bomb_by_declared_size_is_refused_before_unpacking(tmp_path):
    path = stored_workbook(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b"<x/>"})
    patch_central_sizes(path, b"xl/worksheets/sheet1.xml", uncompressed=MAX_UNPACKED_BYTES + 1)
    with pytest.raises(BadWorkbook, match="would unpack to 1024 MB, more than the 1024 MB"):
        read_sheet(path)


def test_a_part_larger_than_it_declares_is_damaged(tmp_path):
    # A bomb that lies about its size small is stopped at the size it declared.
    path = stored_workbook(tmp_path / "liar.xlsx", {"xl/workbook.xml": b"<workbook/>" * 100})
    patch_central_sizes(path, b"xl/workbook.xml", uncompressed=11)
    with pytest.raises(BadWorkbook, match="is damaged"):
        read_sheet(path)


def test_a_zip_bomb_by_entry_count_is_refused(tmp_path):
    parts = {f"xl/media/{number}.bin": b"" for number in range(MAX_ENTRIES + 1)}
    path = stored_workbook(tmp_path / "many.xlsx", parts)
    with pytest.raises(BadWorkbook, match=f"holds {MAX_ENTRIES + 2} parts"):
        read_sheet(path)


def test_a_zip_bomb_by_compression_ratio_is_refused(tmp_path):
    path = tmp_path / "dense.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(20 * 1024 * 1024))
    with pytest.raises(BadWorkbook, match="looks like a zip bomb"):
        read_sheet(path)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n'
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">'
        % (level, b"".join([b"&lol%s;" % (b"" if level == 1 else b"%d" % (level - 1))] * 10))
        for level in range(1, 10)
    )
    + b"]>\n"
)


def with_part(source: Path, target: Path, name: str, data: bytes) -> Path:
    """A copy of a workbook with one part replaced."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for entry in old.infolist():
            new.writestr(entry.filename, data if entry.filename == name else old.read(entry))
    return target


@pytest.mark.parametrize(
    "prolog",
    [
        BILLION_LAUGHS,
        b'<?xml version="1.0"?><!-- ' + b"padding " * 2000 + b"-->" + BILLION_LAUGHS[21:],
        (BILLION_LAUGHS.decode()).encode("utf-16"),
        (BILLION_LAUGHS.decode()).encode("utf-16-le"),  # no byte order mark
        (BILLION_LAUGHS.decode()).encode("utf-16-be"),
    ],
    ids=["doctype", "doctype-after-a-long-comment", "doctype-in-utf-16", "utf-16-le", "utf-16-be"],
)
def test_an_xml_document_type_declaration_is_refused(tmp_path, prolog):
    source = hand_typed(tmp_path / "members.xlsx")
    with zipfile.ZipFile(source) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    body = sheet_xml[sheet_xml.index(b"<worksheet") :]
    if prolog.startswith((b"\xff\xfe", b"<\x00")):
        body = body.decode().encode("utf-16-le")
    elif prolog.startswith(b"\x00<"):
        body = body.decode().encode("utf-16-be")
    path = with_part(source, tmp_path / "laughs.xlsx", "xl/worksheets/sheet1.xml", prolog + body)
    with pytest.raises(BadWorkbook, match="declares an XML document type"):
        read_sheet(path, header_row=3)


def test_a_document_type_in_an_opendocument_is_refused(tmp_path):
    content = BILLION_LAUGHS + ODS_CONTENT.split("?>", 1)[1].encode()
    with pytest.raises(
        BadWorkbook, match=r"declares an XML document type in its part content\.xml"
    ):
        read_sheet(opendocument(tmp_path / "laughs.ods", content.decode()))


# ---------------------------------------------------------------- writing

COLUMNS = [
    Column("customer", "客户名称"),
    Column("note", "Note"),
    Column("quantity", "Qty", ColumnKind.INTEGER),
    Column("weight", "Weight", ColumnKind.NUMBER),
    Column("amount", "Amount", ColumnKind.MONEY),
    Column("change_pct", "Change", ColumnKind.PERCENT),
    Column("date", "Date", ColumnKind.DATE),
    Column("at", "At", ColumnKind.DATETIME),
]
ROWS = [
    {
        "customer": "张三丰有限公司",
        "note": "=1+1",
        "quantity": 3,
        "weight": 1.5,
        "amount": Decimal("1234.50"),
        "change_pct": 12.5,
        "date": "2026-03-05",
        "at": "2026-03-05 14:30",
    },
    {
        "customer": "Ann",
        "note": "http://x",
        "quantity": 10**16,
        "weight": None,
        "amount": Decimal("0.10"),
        "change_pct": None,
        "date": date(2026, 1, 2),
        "at": "2026-03-06",
    },
    {"customer": "Bob", "note": "@SUM(A1)", "amount": "n/a", "date": "someday"},
]
TOTAL = {"customer": "Total", "quantity": 3, "amount": Decimal("1234.60")}


def exported(tmp_path: Path) -> Path:
    path = tmp_path / "report.xlsx"
    assert write_workbook(path, "Sales 2026/03", COLUMNS, iter(ROWS), total_row=TOTAL) == 3
    return path


def test_exported_cells_are_typed(tmp_path):
    sheet = openpyxl.load_workbook(exported(tmp_path)).active
    first, second, third = (list(row) for row in sheet.iter_rows(min_row=2, max_row=4))

    assert [cell.value for cell in first] == [
        "张三丰有限公司",
        "=1+1",
        3,
        1.5,
        1234.5,
        0.125,
        datetime(2026, 3, 5),
        datetime(2026, 3, 5, 14, 30),
    ]
    assert [cell.data_type for cell in first] == ["s", "s", "n", "n", "n", "n", "d", "d"]
    assert [cell.number_format for cell in first[2:]] == [
        "0",
        "General",
        "#,##0.00",
        "0.0%",
        "yyyy-mm-dd",
        "yyyy-mm-dd hh:mm",
    ]
    # Too long for Excel's 15 digits: kept exact as text. A datetime column shows a bare
    # date as a date.
    assert (second[2].value, second[2].data_type) == ("10000000000000000", "s")
    assert (second[7].value, second[7].number_format) == (datetime(2026, 3, 6), "yyyy-mm-dd")
    assert second[3].value is None and second[5].value is None
    # Values a typed column cannot hold stay as the text they are.
    assert [third[4].value, third[6].value] == ["n/a", "someday"]


def test_text_is_never_a_formula_nor_a_link(tmp_path):
    path = exported(tmp_path)
    sheet = openpyxl.load_workbook(path).active
    notes = [sheet.cell(row=row, column=2) for row in (2, 3, 4)]

    assert [cell.value for cell in notes] == ["=1+1", "http://x", "@SUM(A1)"]
    assert all(cell.data_type == "s" and not cell.quotePrefix for cell in notes)
    assert all(cell.hyperlink is None for cell in notes)
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
        assert b"<f>" not in sheet_xml and b"hyperlink" not in sheet_xml
        assert not any("externalLink" in name for name in archive.namelist())


def test_the_header_is_bold_and_frozen_and_the_total_row_bold(tmp_path):
    sheet = openpyxl.load_workbook(exported(tmp_path)).active

    assert sheet.title == "Sales 2026_03"
    assert sheet.freeze_panes == "A2"
    assert [cell.value for cell in sheet[1]] == [column.heading for column in COLUMNS]
    assert all(cell.font.b for cell in sheet[1])
    total = sheet[5]
    assert [total[0].value, total[2].value, total[4].value] == ["Total", 3, 1234.6]
    assert total[0].font.b and total[4].font.b and total[4].number_format == "#,##0.00"
    assert not sheet["A2"].font.b


def test_column_widths_count_chinese_characters_twice(tmp_path):
    widths = openpyxl.load_workbook(exported(tmp_path)).active.column_dimensions

    # 张三丰有限公司: 7 characters, 14 columns wide; "Note" column fits "@SUM(A1)".
    assert widths["A"].width >= 14 + 2
    assert 8 + 2 <= widths["B"].width < 14
    assert widths["A"].width > widths["B"].width


def test_the_export_reads_back_as_the_same_text(tmp_path):
    header, rows = read_sheet(exported(tmp_path))

    assert header == [column.heading for column in COLUMNS]
    assert next(rows) == (
        2,
        ["张三丰有限公司", "=1+1", "3", "1.5", "1234.5", "0.125", "2026-03-05", "2026-03-05 14:30"],
    )


def test_the_file_is_private_and_nothing_is_left_beside_it(tmp_path):
    path = exported(tmp_path)

    assert os.stat(path).st_mode & 0o777 == 0o600
    assert sorted(item.name for item in tmp_path.iterdir()) == ["report.xlsx"]


def test_an_existing_file_is_replaced_only_with_force(tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(b"keep me")

    with pytest.raises(Conflict, match="already exists") as refused:
        write_workbook(path, "Sales", COLUMNS, ROWS)
    assert refused.value.hint == "force"  # the command line words the way out
    assert path.read_bytes() == b"keep me"

    write_workbook(path, "Sales", COLUMNS, ROWS, force=True)
    assert openpyxl.load_workbook(path).active["A2"].value == "张三丰有限公司"
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_failure_midway_leaves_no_file(tmp_path):
    def rows():
        yield ROWS[0]
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        write_workbook(tmp_path / "report.xlsx", "Sales", COLUMNS, rows())
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_not_found(tmp_path):
    with pytest.raises(NotFound, match="does not exist"):
        write_workbook(tmp_path / "nowhere" / "report.xlsx", "Sales", COLUMNS, ROWS)


def test_rows_past_the_width_sample_are_written_too(tmp_path):
    path = tmp_path / "long.xlsx"
    rows = ({"customer": f"c{number}", "quantity": number} for number in range(2500))

    assert write_workbook(path, "Long", COLUMNS[:3], rows) == 2500
    book = openpyxl.load_workbook(path, read_only=True)
    last = list(book.active.iter_rows(min_row=2501, max_row=2501, values_only=True))
    book.close()
    assert last == [("c2499", None, 2499)]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Sales 2026", "Sales 2026"),
        ("a[b]c:d*e?f/g\\h", "a_b_c_d_e_f_g_h"),
        ("x" * 40, "x" * 31),
        ("'quoted'", "quoted"),
        ("", "Sheet1"),
        ("history", "history_"),
        ("销售报表", "销售报表"),
    ],
)
def test_sheet_names_follow_excel_rules(name, title):
    assert sheet_title(name) == title


def test_awkward_text_comes_back_exactly(tmp_path):
    path = tmp_path / "awkward.xlsx"
    plain = [" padded ", "<b>&amp;</b>", '"quoted"']
    # Control characters (the carriage return too) and text shaped like their escape are
    # written as Excel writes them (_xHHHH_); Excel and calamine decode it, openpyxl shows
    # it raw.
    escaped = ["a\r\nb", "bell\x07", "_x0041_ stays"]
    rows = [{"customer": text} for text in plain + escaped]

    write_workbook(path, "Awkward", COLUMNS[:1], rows)

    sheet = openpyxl.load_workbook(path).active
    assert [sheet.cell(row=row, column=1).value for row in range(2, 5)] == plain
    _, read = read_sheet(path)
    assert [cells[0] for _, cells in read] == plain + escaped


def test_text_shaped_like_a_rich_string_is_text_not_xml(tmp_path):
    path = tmp_path / "rich.xlsx"
    # XlsxWriter passes text of the shape <r>…</r> through unescaped in constant-memory
    # mode, taking it for a rich string of its own; this one would become a formula.
    smuggled = (
        '<r><t>x</t></r></is></c><c r="B2"><f>1+1</f></c>'
        '<c r="C2" t="inlineStr"><is><r><t>y</t></r>'
    )
    texts = [smuggled, "<r>x</r>", "<r></r>"]
    columns = [Column("customer", "<r>name</r>"), Column("note", "Note")]
    rows = [{"customer": text, "note": "after"} for text in texts]

    write_workbook(path, "Rich", columns, rows, total_row={"customer": "<r>Total</r>"})

    sheet = openpyxl.load_workbook(path).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["<r>name</r>", "Note"],
        *([text, "after"] for text in texts),
        ["<r>Total</r>", None],
    ]
    assert sheet["A1"].font.b and sheet["A5"].font.b and not sheet["A2"].font.b
    with zipfile.ZipFile(path) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    header, read = read_sheet(path)
    assert header == ["<r>name</r>", "Note"]
    assert [cells for _, cells in read] == [
        *([text, "after"] for text in texts),
        ["<r>Total</r>"],
    ]


def test_numbers_a_sheet_cannot_hold_stay_text(tmp_path):
    path = tmp_path / "odd.xlsx"
    values = [float("nan"), float("inf"), Decimal("NaN"), Decimal("1e400"), 2.5]
    columns = [Column("n", "N", ColumnKind.NUMBER), Column("m", "M", ColumnKind.MONEY)]

    write_workbook(path, "Odd", columns, [{"n": value, "m": value} for value in values])

    sheet = openpyxl.load_workbook(path).active
    rows = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert [row[0] for row in rows[:3]] == [("nan", "s"), ("inf", "s"), ("NaN", "s")]
    assert rows[3][0][1] == "s" and rows[3][0][0].startswith("1000000")  # beyond a float
    assert all(row[0] == row[1] for row in rows[:4])
    assert rows[4] == [(2.5, "n"), (2.5, "n")]


def test_dates_around_excel_s_phantom_leap_day(tmp_path):
    path = tmp_path / "old.xlsx"
    days = ["1900-01-15", "1900-02-28", "1900-03-01", "1899-12-31", "2026-03-05"]

    write_workbook(
        path, "Old", [Column("date", "Date", ColumnKind.DATE)], [{"date": d} for d in days]
    )

    _, read = read_sheet(path)
    # Before 1900 Excel has no dates: kept as the text it is.
    assert [cells[0] for _, cells in read] == days
    with zipfile.ZipFile(path) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<v>15</v>" in sheet_xml and b"<v>59</v>" in sheet_xml and b"<v>61</v>" in sheet_xml


def test_more_rows_than_a_sheet_holds_are_refused_and_nothing_is_left(tmp_path, monkeypatch):
    from salesflow import workbook

    monkeypatch.setattr(workbook, "MAX_DATA_ROWS", 3)
    rows = ({"customer": f"c{number}"} for number in range(5))
    with pytest.raises(Conflict, match="do not fit on one sheet"):
        write_workbook(tmp_path / "big.xlsx", "Big", COLUMNS[:1], rows)
    assert list(tmp_path.iterdir()) == []
