"""`export --headers zh` writes Chinese column headings, and `import` reads them back."""

import csv
import io

import pytest

KINDS = ("customers", "products", "sales", "contacts", "returns")


@pytest.fixture
def book(cli):
    cli("demo", "--customers", "30")
    cli("sale", "return", "1", "--quantity", "1", "--reason", "尺码不合适")
    return cli


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_chinese_headings_round_trip_through_import(book, tmp_path, suffix):
    copy = tmp_path / "copy.db"
    for kind in KINDS:
        exported = tmp_path / f"{kind}.{suffix}"
        book("export", kind, "--headers", "zh", "--raw", "-o", exported)
        book("--db", copy, "import", kind, exported)
    for kind in KINDS:
        original = book("export", kind, "--raw").stdout
        assert book("--db", copy, "export", kind, "--raw").stdout == original, kind


def test_chinese_headings_are_chinese_and_the_rows_unchanged(book):
    chinese = list(csv.reader(io.StringIO(book("export", "sales", "--headers", "zh").stdout)))
    english = list(csv.reader(io.StringIO(book("export", "sales").stdout)))
    assert chinese[0][:3] == ["记录号", "销售日期", "客户记录号"]
    assert chinese[1:] == english[1:]
    deals = book("export", "deals", "--headers", "zh").stdout.splitlines()[0]
    assert deals.startswith("记录号,客户记录号,客户,名称,销售流程,阶段")


def test_json_and_vcards_keep_their_own_names(book):
    result = book("export", "sales", "--format", "json", "--headers", "zh", code=2)
    assert "only CSV and workbooks have column headings" in result.stderr
    book("export", "customers", "--format", "vcf", "--headers", "zh", code=2)
