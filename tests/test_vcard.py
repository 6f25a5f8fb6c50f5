"""vCard files from phones read into customer fields; customers written as vCard 3.0."""

import json

import pytest

from salesflow.vcard import BadCard, Card, CardProblem, read_cards, scan_cards, write_cards


def crlf(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


# An Android contacts export: vCard 2.1, names and notes quoted-printable UTF-8, long values
# broken with `=` soft line breaks in the middle of a character's bytes.
ANDROID_21 = crlf(
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=B8=89;;;",
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0=E4=B8=89",
    "TEL;HOME;VOICE:025-8888-6666",
    "TEL;CELL:138 0013 8000",
    "TEL;CELL:139-0000-1111",
    "EMAIL;HOME:zhangsan@example.com",
    "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=8D=97=E4=BA=AC=E7=B4=AB=E9=87=91=E7=A7=91=E6=",
    "=8A=80=E6=9C=89=E9=99=90=E5=",
    "=85=AC=E5=8F=B8",
    "TITLE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E9=87=87=E8=B4=AD=E7=BB=8F=E7=90=86",
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=AE=A2=E6=88=B7=E5=96=9C=E6=AC=A2=E5=96=9D=E8=",
    "=8C=B6=EF=BC=8C=E5=91=A8=E4=B8=89=E4=B8=8B=E5=8D=88=E6=9C=89=E7=A9=BA=0D=0A=E5=85=88=E5=8F=",
    "=91=E5=BE=AE=E4=BF=A1",
    "ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;=E4=B8=AD=E5=B1=B1=E8=B7=AF1=E5=8F=B7;=E5=",
    "=8D=97=E4=BA=AC=E5=B8=82;=E6=B1=9F=E8=8B=8F=E7=9C=81;210008;",
    "BDAY:1985-03-05",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=AC=A7=E9=98=B3;=E5=A8=9C=E5=A8=9C;;;",
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E6=AC=A7=E9=98=B3=E5=A8=9C=E5=A8=9C",
    "TEL;WORK:(025) 5555 0000",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N:Smith;John;;;",
    "TEL;WORK;VOICE:+1 555 0100",
    "TEL;CELL:+1 555 0199",
    "NOTE:Met at the Canton Fair, wants samples; call after 3pm",
    "END:VCARD",
)

# An iPhone export: vCard 3.0, raw UTF-8, TYPE lists, item groups with X-ABLabel, folded
# lines, a birthday without a year, a photo.
IPHONE_30 = crlf(
    "BEGIN:VCARD",
    "VERSION:3.0",
    "PRODID:-//Apple Inc.//iPhone OS 17.5//EN",
    "N:李;四;;;",
    "FN:四 李",
    "ORG:上海东方贸易有限公司;销售部",
    "TITLE:总经理",
    "item1.EMAIL;type=INTERNET;type=pref:lisi@example.cn",
    "item1.X-ABLabel:_$!<Other>!$_",
    "EMAIL;type=INTERNET;type=WORK:si.li@dongfang.example",
    "TEL;type=WORK;type=VOICE:021-6666 8888",
    "TEL;type=CELL;type=VOICE;type=pref:+86 186 1234 5678",
    "item2.TEL:+86 135 0000 2222",
    "item2.X-ABLabel:_$!<Mobile>!$_",
    "item3.ADR;type=WORK;type=pref:;;南京西路1266号\\n恒隆广场;上海市;上海市;200040;中国",
    "item3.X-ABADR:cn",
    "NOTE:每年春节前送礼\\, 喜欢普洱；大客户\\n注意：这是一条很长的备注，需要折",
    " 行才能放进七十五个字节",
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-28",
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsL",
    " DBkSEx8QYHBwcJCQgKDBQNDAsLDBkSEx8=",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "N:Müller;Anna;;;",
    "FN:Anna Müller",
    "item1.TEL:+49 30 1234567",
    "item1.X-ABLabel:Büro",
    "END:VCARD",
)

VCARD_40 = crlf(
    "BEGIN:VCARD",
    "VERSION:4.0",
    "FN:王小明",
    "N:王;小明;;;",
    'TEL;VALUE=uri;TYPE="voice,cell";PREF=1:tel:+86-138-0013-8000',
    "TEL;VALUE=uri;TYPE=work:tel:+86-25-8888-6666",
    "EMAIL;TYPE=work:xm.wang@example.com",
    "ORG:Zijin Tech\\, Ltd.",
    "BDAY:--0305",
    "ADR;TYPE=work:;;1 Infinite Loop;Cupertino;CA;95014;USA",
    "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1",
    "END:VCARD",
)


def test_android_21_quoted_printable_cards_read_into_customer_fields():
    cards = read_cards(ANDROID_21)

    assert cards == [
        Card(
            number=1,
            line=1,
            fields={
                "name": "张三",
                "phone": "138 0013 8000",
                "email": "zhangsan@example.com",
                "company": "南京紫金科技有限公司",
                "notes": "客户喜欢喝茶，周三下午有空\n先发微信",
                "address": "江苏省南京市中山路1号 210008",
            },
            profile={
                "phone.home": "025-8888-6666",
                "phone.mobile": "139-0000-1111",
                "title": "采购经理",
                "birthday": "1985-03-05",
            },
        ),
        # no mobile: the only phone is the customer's phone
        Card(number=2, line=20, fields={"name": "欧阳娜娜", "phone": "(025) 5555 0000"}),
        # no FN: the name is built from N in Western order; 2.1 commas are plain text
        Card(
            number=3,
            line=26,
            fields={
                "name": "John Smith",
                "phone": "+1 555 0199",
                "notes": "Met at the Canton Fair, wants samples; call after 3pm",
            },
            profile={"phone.work": "+1 555 0100"},
        ),
    ]


def test_iphone_30_export_with_groups_labels_and_folded_lines():
    cards = read_cards(IPHONE_30)

    first, second = cards
    # FN "四 李" is the phone's given-first rendering of N:李;四 — the Chinese order wins
    assert first.fields == {
        "name": "李四",
        "phone": "+86 186 1234 5678",
        "email": "lisi@example.cn",
        "company": "上海东方贸易有限公司",
        "notes": "每年春节前送礼, 喜欢普洱；大客户\n注意：这是一条很长的备注，"
        "需要折行才能放进七十五个字节",
        "address": "中国上海市南京西路1266号恒隆广场 200040",
    }
    assert first.profile == {
        "phone.work": "021-6666 8888",
        "phone.mobile": "+86 135 0000 2222",
        "email2": "si.li@dongfang.example",
        "title": "总经理",
        "birthday": "11-28",
    }
    assert (first.number, first.line) == (1, 1)
    assert second == Card(
        number=2, line=23, fields={"name": "Anna Müller", "phone": "+49 30 1234567"}
    )


def test_vcard_40_uri_phones_partial_birthday_and_uid():
    (card,) = read_cards(VCARD_40)

    assert card.fields == {
        "name": "王小明",
        "phone": "+86-138-0013-8000",
        "email": "xm.wang@example.com",
        "company": "Zijin Tech, Ltd.",
        "address": "1 Infinite Loop, Cupertino, CA 95014, USA",
    }
    assert card.profile == {"phone.work": "+86-25-8888-6666", "birthday": "03-05"}
    assert card.uid == "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1"


def test_fn_that_is_not_the_n_parts_is_kept_as_the_phone_shows_it():
    data = crlf("BEGIN:VCARD", "VERSION:3.0", "N:张;三;;;", "FN:老张 (紫金)", "END:VCARD")

    assert read_cards(data)[0].fields["name"] == "老张 (紫金)"


def test_a_company_card_without_person_name_is_named_after_the_company():
    data = crlf("BEGIN:VCARD", "VERSION:2.1", "ORG:Acme Trading;Sales", "TEL:123", "END:VCARD")

    assert read_cards(data)[0].fields == {
        "name": "Acme Trading",
        "company": "Acme Trading",
        "phone": "123",
    }


def test_gb18030_charset_is_honoured_in_quoted_printable_and_raw_8bit_files():
    quoted = crlf(
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N;CHARSET=GB18030;ENCODING=QUOTED-PRINTABLE:=CD=F5;=D0=A1=C3=F7;;;",
        "END:VCARD",
    )
    raw = (
        crlf(
            "BEGIN:VCARD",
            "VERSION:2.1",
            "N;CHARSET=GBK:王;小明;;;",
            "NOTE;CHARSET=GBK:老客户",
            "END:VCARD",
        )
        .decode()
        .encode("gbk")
    )

    assert read_cards(quoted)[0].fields == {"name": "王小明"}
    assert read_cards(raw)[0].fields == {"name": "王小明", "notes": "老客户"}


def test_utf8_with_bom_and_utf16_files_read():
    assert read_cards(b"\xef\xbb\xbf" + VCARD_40)[0].fields["name"] == "王小明"
    utf16 = VCARD_40.decode().encode("utf-16")
    assert read_cards(utf16)[0].fields["name"] == "王小明"


def test_same_number_twice_is_kept_once():
    data = crlf(
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Ann Lee",
        "TEL;TYPE=CELL:138 0013 8000",
        "TEL;TYPE=HOME:+86 138-0013-8000",
        "END:VCARD",
    )

    card = read_cards(data)[0]
    assert card.fields["phone"] == "138 0013 8000"
    assert card.profile == {}


# ---------------------------------------------------------------- refusals


def test_card_without_a_name_is_refused_naming_card_and_line_not_its_data():
    data = crlf(
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Ann Lee",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:3.0",
        "TEL;TYPE=CELL:138 0013 8000",
        "EMAIL:secret@example.com",
        "END:VCARD",
    )

    with pytest.raises(BadCard) as raised:
        read_cards(data)

    assert str(raised.value) == "card 2 (line 5): no name (FN, N or ORG)"
    assert raised.value.exit_code == 65
    assert raised.value.problems == (CardProblem(2, 5, "no name (FN, N or ORG)"),)
    assert "138" not in str(raised.value) and "secret" not in str(raised.value)


def test_every_bad_card_is_reported_and_scan_keeps_the_good_ones():
    data = crlf(
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Bad Birthday",
        "BDAY:1990-02-30",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Good",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:3.0",
        "FN:Broken",
        "this line has no colon",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "FN;CHARSET=KLINGON;ENCODING=QUOTED-PRINTABLE:=41",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D5=C5",
        "END:VCARD",
    )

    cards, problems = scan_cards(data)

    assert [card.fields["name"] for card in cards] == ["Good"]
    assert [str(problem) for problem in problems] == [
        "card 1 (line 4): birthday is not a date (YYYY-MM-DD or --MMDD)",
        "card 3 (line 13): the line is not a vCard property",
        "card 4 (line 17): the value's CHARSET is unknown or does not match its bytes",
        "card 5 (line 21): the value's CHARSET is unknown or does not match its bytes",
    ]
    with pytest.raises(BadCard) as raised:
        read_cards(data)
    assert str(raised.value) == "; ".join(str(problem) for problem in problems)
    assert "1990-02-30" not in str(raised.value)


def test_a_csv_file_is_not_a_vcard_file():
    with pytest.raises(BadCard) as raised:
        read_cards("姓名,电话\n张三,13800138000\n".encode())

    assert str(raised.value) == "not a vCard file: line 1 is not BEGIN:VCARD"
    assert raised.value.exit_code == 65


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a vCard file: no BEGIN:VCARD found"),
        (b"\r\n  \r\n", "not a vCard file: no BEGIN:VCARD found"),
        (
            b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00",
            "not a vCard file: the text is neither UTF-8 nor GB18030",
        ),
        (
            crlf("BEGIN:VCARD", "VERSION:3.0", "FN:Ann Lee"),
            "card 1 (line 1): no END:VCARD; the file is cut short",
        ),
        (
            crlf("BEGIN:VCARD", "FN:Ann Lee", "END:VCARD", "FN:Stray"),
            "line 4: text after the end of card 1",
        ),
    ],
)
def test_files_that_are_not_whole_vcard_files_are_refused(data, message):
    with pytest.raises(BadCard) as raised:
        read_cards(data)

    assert str(raised.value) == message


# ---------------------------------------------------------------- writing

CUSTOMERS = [
    {
        "id": 12,
        "name": "张三",
        "company": "南京紫金科技有限公司",
        "phone": "138 0013 8000",
        "email": "zhangsan@example.com",
        "address": "江苏省南京市中山路1号",
        "notes": "喜欢喝茶，周三下午有空\n" + "备注很长，" * 20,
        "profile": json.dumps(
            {
                "title": "采购经理",
                "birthday": "03-05",
                "phone.work": "025-8888-6666",
                "email2": "zs@zijin.example",
                "hobby": "围棋",
            },
            ensure_ascii=False,
        ),
    },
    {"id": 13, "name": "欧阳娜娜", "phone": None, "profile": None},
    {
        "id": 14,
        "name": "John Smith",
        "company": "Acme, Inc.; East",
        "notes": "back\\slash, comma; semicolon",
        "profile": {"birthday": "1980-12-01"},
    },
]


def test_written_cards_are_crlf_vcard_30_folded_at_75_octets():
    text = "".join(write_cards(CUSTOMERS))
    raw = text.encode()

    assert raw.count(b"\n") == raw.count(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode()  # no line ends inside a character
    assert any(line.startswith(b" ") for line in lines)  # the long note was folded
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n")
    assert "N:张;三;;;\r\n" in text
    assert "N:欧阳;娜娜;;;\r\n" in text
    assert "N:Smith;John;;;\r\n" in text
    assert "TEL;TYPE=CELL:138 0013 8000\r\n" in text
    assert "ORG:Acme\\, Inc.\\; East\r\n" in text
    assert "NOTE:back\\\\slash\\, comma\\; semicolon\r\n" in text
    assert "BDAY:--0305\r\n" in text and "BDAY:1980-12-01\r\n" in text
    assert "UID:salesflow-customer-13\r\n" in text


def test_one_card_per_customer():
    cards = list(write_cards(CUSTOMERS))

    assert len(cards) == 3
    assert all(card.startswith("BEGIN:VCARD") and card.endswith("END:VCARD\r\n") for card in cards)


def test_written_cards_read_back_into_the_same_fields():
    cards = read_cards("".join(write_cards(CUSTOMERS)).encode())

    first, second, third = cards
    assert first.fields == {
        key: CUSTOMERS[0][key] for key in ("name", "company", "phone", "email", "address", "notes")
    }
    assert first.profile == {
        "title": "采购经理",
        "birthday": "03-05",
        "phone.work": "025-8888-6666",
        "email2": "zs@zijin.example",
    }
    assert first.uid == "salesflow-customer-12"
    assert second.fields == {"name": "欧阳娜娜"}
    assert third.fields == {
        "name": "John Smith",
        "company": "Acme, Inc.; East",
        "notes": "back\\slash, comma; semicolon",
    }
    assert third.profile == {"birthday": "1980-12-01"}


def test_written_cards_parse_in_vobject():
    import vobject

    parsed = list(vobject.readComponents("".join(write_cards(CUSTOMERS))))

    assert [card.fn.value for card in parsed] == ["张三", "欧阳娜娜", "John Smith"]
    assert [(card.n.value.family, card.n.value.given) for card in parsed] == [
        ("张", "三"),
        ("欧阳", "娜娜"),
        ("Smith", "John"),
    ]
    zhang = parsed[0]
    assert zhang.note.value == CUSTOMERS[0]["notes"]
    assert [(tel.value, tel.params["TYPE"]) for tel in zhang.tel_list] == [
        ("138 0013 8000", ["CELL"]),
        ("025-8888-6666", ["WORK"]),
    ]
    assert [email.value for email in zhang.email_list] == [
        "zhangsan@example.com",
        "zs@zijin.example",
    ]
    assert zhang.adr.value.street == "江苏省南京市中山路1号"
    assert zhang.title.value == "采购经理"
    assert zhang.uid.value == "salesflow-customer-12"
    assert parsed[2].org.value == ["Acme, Inc.; East"]
    assert parsed[2].note.value == "back\\slash, comma; semicolon"


def test_a_chinese_line_shorter_than_75_characters_is_still_folded_at_75_octets():
    (text,) = write_cards([{"id": 1, "name": "张三", "notes": "备" * 40}])
    lines = text.encode().split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert read_cards(text.encode())[0].fields["notes"] == "备" * 40
