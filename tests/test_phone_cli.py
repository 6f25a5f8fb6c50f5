"""Where the salesperson is: phone contacts in and out (vCard), the morning list as a
calendar (iCalendar) and posted to the team chat, all through the command line.

Chat posts go to a robot served by the test itself on 127.0.0.1; signatures are recomputed
here from the platforms' documented algorithms. Calendars are read back by two independent
parsers (icalendar and vobject); vCards by vobject.
"""

import base64
import hashlib
import hmac
import json
import stat
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

TODAY = date(2026, 3, 16)  # SALESFLOW_TODAY in conftest
TOKEN = "693a91f6-7a0c-4bc4-97a0-0ec2f1fa5aaa"
SECRET = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"


def crlf(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


# An Android contacts export: vCard 2.1, Chinese names quoted-printable UTF-8 with soft line
# breaks inside a character's bytes, TEL;CELL.
ANDROID_21 = crlf(
    "BEGIN:VCARD",
    "VERSION:2.1",
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=B8=89;;;",
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0=E4=B8=89",
    "TEL;HOME;VOICE:025-8888-6666",
    "TEL;CELL:138 0013 8000",
    "EMAIL;HOME:zhangsan@example.com",
    "ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=8D=97=E4=BA=AC=E7=B4=AB=E9=87=91=E7=A7=91=E6=",
    "=8A=80=E6=9C=89=E9=99=90=E5=",
    "=85=AC=E5=8F=B8",
    "TITLE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E9=87=87=E8=B4=AD=E7=BB=8F=E7=90=86",
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=96=9C=E6=AC=A2=E5=96=9D=E8=8C=B6",
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
)

# An iPhone export: vCard 3.0, raw UTF-8, TYPE=CELL, item groups with labels, a folded
# note, a birthday without a year.
IPHONE_30 = crlf(
    "BEGIN:VCARD",
    "VERSION:3.0",
    "PRODID:-//Apple Inc.//iPhone OS 17.5//EN",
    "N:李;四;;;",
    "FN:四 李",
    "ORG:上海东方贸易有限公司;销售部",
    "TITLE:总经理",
    "EMAIL;type=INTERNET;type=WORK;type=pref:lisi@example.cn",
    "TEL;type=WORK;type=VOICE:021-6666 8888",
    "TEL;type=CELL;type=VOICE;type=pref:+86 186 1234 5678",
    "item1.TEL:+86 135 0000 2222",
    "item1.X-ABLabel:_$!<Mobile>!$_",
    "NOTE:每年春节前送礼\\, 喜欢普洱；大客户\\n注意：这是一条很长的备注，需要折",
    " 行才能放进七十五个字节",
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-11-28",
    "END:VCARD",
)

BAD_CARDS = crlf(
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:王五",
    "TEL;TYPE=CELL:139 0000 1111",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "TEL;TYPE=CELL:137 0000 0000",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:赵六",
    "EMAIL:not-an-address",
    "END:VCARD",
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:孙七",
    "BDAY:someday",
    "END:VCARD",
)


def customers(cli) -> dict[str, dict]:
    return {row["name"]: row for row in cli.json("customer", "list")}


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- phone contacts in


def test_android_21_export_imports_into_the_right_fields(cli, tmp_path):
    result = cli("import", "customers", write(tmp_path, "contacts.vcf", ANDROID_21))

    assert result.stdout == ""
    assert "Imported 2 customers from" in result.stderr and "(vCard)" in result.stderr
    found = customers(cli)
    assert set(found) == {"张三", "欧阳娜娜"}
    zhang = found["张三"]
    assert {key: zhang[key] for key in ("phone", "email", "company", "notes", "address")} == {
        "phone": "138 0013 8000",
        "email": "zhangsan@example.com",
        "company": "南京紫金科技有限公司",
        "notes": "喜欢喝茶",
        "address": "江苏省南京市中山路1号 210008",
    }
    assert zhang["profile"] == {
        "phone.home": "025-8888-6666",
        "title": "采购经理",
        "birthday": "1985-03-05",
    }
    assert found["欧阳娜娜"]["phone"] == "(025) 5555 0000"
    assert found["欧阳娜娜"]["profile"] == {}


def test_iphone_30_export_imports_into_the_right_fields(cli, tmp_path):
    cli("import", "customers", write(tmp_path, "iPhone.vcf", IPHONE_30))

    (li,) = customers(cli).values()
    assert li["name"] == "李四"  # family name first, no space, whatever FN says
    assert li["phone"] == "+86 186 1234 5678"  # the first mobile
    assert li["email"] == "lisi@example.cn"
    assert li["company"] == "上海东方贸易有限公司"
    assert li["notes"] == (
        "每年春节前送礼, 喜欢普洱；大客户\n注意：这是一条很长的备注，需要折行才能放进七十五个字节"
    )
    assert li["profile"] == {
        "phone.work": "021-6666 8888",
        "phone.mobile": "+86 135 0000 2222",
        "title": "总经理",
        "birthday": "11-28",
    }
    # the birthday is a real profile fact: the morning list knows it
    cli("customer", "edit", "李四", "--set", "birthday=03-18")
    kinds = {item["kind"] for item in cli.json("remind", "--kind", "birthday")}
    assert kinds == {"birthday"}


def test_a_vcard_file_is_recognised_by_its_content_whatever_its_name(cli, tmp_path):
    result = cli("import", "customers", write(tmp_path, "export.txt", IPHONE_30))

    assert "(vCard)" in result.stderr
    assert list(customers(cli)) == ["李四"]


def test_bad_cards_refuse_the_whole_file_naming_each_card_and_its_line(cli, tmp_path):
    path = write(tmp_path, "bad.vcf", BAD_CARDS)

    result = cli("import", "customers", path, code=65)

    lines = result.stderr.splitlines()
    assert lines[:3] == [
        "card 2 (line 6): no name (FN, N or ORG)",
        "card 3 (line 10): email 'not-an-address' does not look like an address",
        "card 4 (line 18): birthday is not a date (YYYY-MM-DD or --MMDD)",
    ]
    assert lines[-1].startswith("Error: 3 invalid rows in")
    assert "nothing was imported" in lines[-1]
    assert cli.json("customer", "list") == []
    assert cli.json("history") == []


def test_skip_invalid_imports_the_good_cards_and_gives_the_bad_ones_back(cli, tmp_path):
    path = write(tmp_path, "bad.vcf", BAD_CARDS)
    rejects = tmp_path / "rejects.vcf"

    result = cli("import", "customers", path, "--skip-invalid", "--rejects", rejects)

    assert "3 invalid rows skipped" in result.stderr
    assert list(customers(cli)) == ["王五"]
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600
    returned = rejects.read_bytes()
    assert returned.count(b"BEGIN:VCARD") == 3 and b"FN:\xe7\x8e\x8b\xe4\xba\x94" not in returned
    assert returned.startswith(b"BEGIN:VCARD\r\nVERSION:3.0\r\nTEL;TYPE=CELL:137 0000 0000")
    # as CSV: the line, the reason, the card's number and its text
    as_csv = tmp_path / "rejects.csv"
    cli("undo")
    cli("import", "customers", path, "--skip-invalid", "--rejects", as_csv)
    text = as_csv.read_text()
    assert '6,"no name (FN, N or ORG)",2,' in text.replace("\r\n", "\n")


def test_dry_run_reports_and_writes_nothing(cli, tmp_path):
    result = cli("import", "customers", write(tmp_path, "a.vcf", ANDROID_21), "--dry-run")

    assert "Would import 2 customers" in result.stderr
    assert cli.json("customer", "list") == []
    assert cli.json("history") == []


def test_the_same_duplicate_rules_as_any_customer_import(cli, tmp_path):
    first = write(tmp_path, "a.vcf", ANDROID_21)
    cli("import", "customers", first)
    cli("customer", "edit", "张三", "--set", "hobby=golf")

    again = cli("import", "customers", first)
    assert "Imported 0 customers" in again.stderr and "2 unchanged" in again.stderr

    moved = write(
        tmp_path,
        "moved.vcf",
        crlf("BEGIN:VCARD", "VERSION:3.0", "FN:张三", "TEL;TYPE=CELL:13800138000",
             "ORG:新公司", "TITLE:总监", "END:VCARD"),
    )  # fmt: skip
    refused = cli("import", "customers", moved, code=65)
    assert "card 1 (line 1): duplicate of #1 with different data" in refused.stderr
    assert "--on-duplicate" in refused.stderr

    skipped = cli("import", "customers", moved, "--on-duplicate", "skip")
    assert "1 skipped as duplicates" in skipped.stderr
    assert customers(cli)["张三"]["company"] == "南京紫金科技有限公司"

    cli("import", "customers", moved, "--on-duplicate", "update")
    zhang = customers(cli)["张三"]
    assert zhang["company"] == "新公司"
    # the card's facts replace theirs; the customer's other facts stay
    assert zhang["profile"] == {
        "phone.home": "025-8888-6666",
        "title": "总监",
        "birthday": "1985-03-05",
        "hobby": "golf",
    }


def test_an_import_is_one_undo_step(cli, tmp_path):
    cli("customer", "add", "老客户")
    cli("import", "customers", write(tmp_path, "a.vcf", ANDROID_21))

    assert cli.json("history")[0]["summary"] == "imported 2 customers from a.vcf"
    cli("undo")
    assert list(customers(cli)) == ["老客户"]


def test_vcard_files_refuse_what_only_spreadsheets_have(cli, tmp_path):
    path = write(tmp_path, "a.vcf", ANDROID_21)

    assert "import it as customers" in cli("import", "sales", path, code=2).stderr
    cli("import", "customers", path, "--map", "FN=name", code=2)
    cli("import", "customers", path, "--encoding", "gb18030", code=2)
    cut = write(tmp_path, "cut.vcf", ANDROID_21[:200])
    assert "cut short" in cli("import", "customers", cut, code=65).stderr
    assert cli.json("customer", "list") == []


# ---------------------------------------------------------------- phone contacts out


def test_export_writes_vcard_30_that_reads_back_into_the_same_fields(cli, tmp_path):
    import vobject

    cli("import", "customers", write(tmp_path, "a.vcf", ANDROID_21 + IPHONE_30))
    target = tmp_path / "out" / "phone.vcf"
    target.parent.mkdir()

    cli("export", "customers", "--format", "vcf", "-o", target)

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = target.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")  # CRLF lines
    cards = list(vobject.readComponents(data.decode()))
    assert [card.version.value for card in cards] == ["3.0"] * 3
    assert [card.fn.value for card in cards] == ["张三", "欧阳娜娜", "李四"]
    assert [card.uid.value for card in cards] == [f"salesflow-customer-{n}" for n in (1, 2, 3)]
    assert str(cards[0].n.value.family) == "张" and str(cards[0].n.value.given) == "三"
    assert cards[2].bday.value == "--1128"
    # the file imports into a fresh book with the same fields
    before = customers(cli)
    cli("--db", tmp_path / "fresh.db", "import", "customers", target)
    after = {
        row["name"]: row for row in cli.json("--db", tmp_path / "fresh.db", "customer", "list")
    }
    keys = ("phone", "email", "company", "notes", "address", "profile")
    assert {n: [r[k] for k in keys] for n, r in after.items()} == {
        n: [r[k] for k in keys] for n, r in before.items()
    }


def test_export_to_stdout_and_by_the_files_name(cli, tmp_path):
    cli("customer", "add", "张三", "--phone", "13800138000")

    printed = cli("export", "customers", "--format", "vcf").stdout_bytes
    assert printed.startswith(b"BEGIN:VCARD\r\nVERSION:3.0\r\n")
    cli("export", "customers", "-o", tmp_path / "c.vcf")
    assert (tmp_path / "c.vcf").read_bytes() == printed
    refused = cli("export", "customers", "-o", tmp_path / "c.vcf", code=1)
    assert "already exists" in refused.stderr
    assert "only customers" in cli("export", "sales", "--format", "vcf", code=2).stderr


# ---------------------------------------------------------------- the calendar


def due_list(cli):
    """Four items: 张三's overdue follow-up and no-contact, 李四 never purchased and
    their birthday in a week (announced from today: new today)."""
    cli("customer", "add", "张三", "--created", "2025-01-01", "--tier", "A")
    cli("log", "张三", "报价", "--at", "2026-03-01", "--next", "2026-03-10")
    cli("sale", "add", "张三", "--amount", "10", "--date", "2026-03-01")
    cli("customer", "add", "李四", "--created", "2026-01-01", "--set", "birthday=03-23")
    cli("log", "李四", "见面", "--at", "2026-03-15")


def calendar_events(data: bytes) -> dict[str, Any]:
    from icalendar import Calendar

    return {str(event["UID"]): event for event in Calendar.from_ical(data).walk("VEVENT")}


def test_the_calendar_opens_in_two_parsers_with_stable_uids(cli, tmp_path):
    import vobject

    due_list(cli)
    listed = cli.json("remind")
    target = tmp_path / "remind.ics"

    cli("remind", "--format", "ics", "-o", target)
    first = target.read_bytes()
    cli("remind", "--format", "ics", "-o", target)
    second = target.read_bytes()

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    events = calendar_events(first)
    assert sorted(events) == sorted(f"{item['key']}@salesflow" for item in listed)
    assert sorted(calendar_events(second)) == sorted(events)
    parsed = vobject.readOne(second.decode())
    assert sorted(e.uid.value for e in parsed.vevent_list) == sorted(events)
    by_kind = {item["kind"]: item for item in listed}
    follow_up = events[by_kind["follow-up"]["key"] + "@salesflow"]
    assert str(follow_up["SUMMARY"]) == "Follow up: 张三 (A)"
    assert follow_up.decoded("DTSTART") == TODAY  # overdue: on the list's day
    description = str(follow_up["DESCRIPTION"])
    assert "Due 2026-03-10 (6 days overdue)." in description
    assert f"salesflow remind done {by_kind['follow-up']['key']}" in description
    birthday = events[by_kind["birthday"]["key"] + "@salesflow"]
    assert str(birthday["SUMMARY"]) == "Birthday: 李四"
    assert birthday.decoded("DTSTART") == date(2026, 3, 23)
    (alarm,) = birthday.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(hours=9)


def test_the_alarm_rings_at_the_configured_hour(cli):
    due_list(cli)
    cli("config", "set", "calendar.alarm_time", "7:30")
    assert cli("config", "get", "calendar.alarm_time").stdout == "07:30\n"
    cli("config", "set", "calendar.alarm_time", "25:00", code=2)

    data = cli("remind", "--format", "ics").stdout_bytes
    for event in calendar_events(data).values():
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("TRIGGER") == timedelta(hours=7, minutes=30)


def test_done_items_drop_out_of_the_calendar(cli):
    due_list(cli)
    listed = {item["kind"]: item["key"] for item in cli.json("remind")}

    cli("remind", "done", listed["follow-up"])

    uids = set(calendar_events(cli("remind", "--format", "ics").stdout_bytes))
    assert f"{listed['follow-up']}@salesflow" not in uids
    assert f"{listed['birthday']}@salesflow" in uids


def test_nothing_due_still_writes_an_empty_valid_calendar(cli, tmp_path):
    import vobject

    target = tmp_path / "remind.ics"
    target.write_text("yesterday's events")

    result = cli("remind", "--format", "ics", "-o", target)

    assert (result.stdout, result.stderr) == ("", "")
    data = target.read_bytes()
    assert calendar_events(data) == {}
    assert vobject.readOne(data.decode()).name == "VCALENDAR"
    assert calendar_events(cli("remind", "--format", "ics").stdout_bytes) == {}
    # text formats stay silent for cron
    assert cli("remind").stdout == ""


def test_calendar_refusals(cli, tmp_path):
    cli("remind", "--format", "ics", "--all", code=2)
    cli("remind", "--format", "ics", "--brief", code=2)
    cli("remind", "--format", "ics", "-o", tmp_path / "x.xlsx", code=2)
    assert not (tmp_path / "x.xlsx").exists()


# ---------------------------------------------------------------- the team chat


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


class Robot:
    """A chat robot on 127.0.0.1 that records every request and answers from a script."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[Answer] = []
        self.default = Answer(200, {"errcode": 0, "errmsg": "ok"})
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                robot.received.append(
                    Received(parts.path, parse_qs(parts.query), dict(self.headers.items()), raw)
                )
                answer = robot.script.pop(0) if robot.script else robot.default
                body = json.dumps(answer.body).encode() if answer.body is not None else b""
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def robot(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("SALESFLOW_NOTIFY_URL", raising=False)
    monkeypatch.delenv("SALESFLOW_NOTIFY_SECRET", raising=False)
    server = Robot()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


PATHS = {
    "wecom": f"/cgi-bin/webhook/send?key={TOKEN}",
    "dingtalk": f"/robot/send?access_token={TOKEN}",
    "feishu": f"/open-apis/bot/v2/hook/{TOKEN}",
    "webhook": f"/hooks/{TOKEN}",
}
OK = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
    "webhook": None,
}


def use_robot(cli, robot, monkeypatch, kind: str) -> None:
    cli("config", "set", "notify.kind", kind)
    robot.default = Answer(200, OK[kind])
    monkeypatch.setenv("SALESFLOW_NOTIFY_URL", robot.url(PATHS[kind]))


def test_wecom_gets_the_brief_as_markdown_and_nothing_is_printed(cli, robot, monkeypatch):
    due_list(cli)
    use_robot(cli, robot, monkeypatch, "wecom")
    keys = {item["kind"]: item["key"] for item in cli.json("remind")}

    result = cli("remind", "--notify")

    assert (result.stdout, result.stderr) == ("", "")
    (request,) = robot.received
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": [TOKEN]}
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {
            "content": "## Morning list 2026-03-16\n\n"
            "Total: 4 due, 1 new today\n\n"
            "### Follow-ups\n\n1 due, 0 new today\n\n"
            f"- {keys['follow-up']} 张三 (A) · 6 days overdue\n\n"
            "### Time to get in touch\n\n1 due, 0 new today\n\n"
            f"- {keys['no-contact']} 张三 (A) · 8 days overdue\n\n"
            "### Not bought yet\n\n1 due, 0 new today\n\n"
            f"- {keys['never-purchased']} 李四 · 44 days overdue\n\n"
            "### Birthdays\n\n1 due, 1 new today\n\n"
            f"- {keys['birthday']} 李四 · due in 7 days"
        },
    }


def test_dingtalk_signed_robot_gets_markdown_and_the_documented_signature(cli, robot, monkeypatch):
    due_list(cli)
    use_robot(cli, robot, monkeypatch, "dingtalk")
    cli("config", "set", "notify.secret", SECRET)

    cli("remind", "--notify")

    (request,) = robot.received
    assert request.json["msgtype"] == "markdown"
    assert request.json["markdown"]["title"] == "Morning list 2026-03-16"
    assert request.json["markdown"]["text"].startswith("## Morning list 2026-03-16\n\nTotal: 4")
    timestamp = request.query["timestamp"][0]
    assert len(timestamp) == 13  # milliseconds
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == [expected]
    assert request.query["access_token"] == [TOKEN]


def test_feishu_signed_bot_gets_a_post_with_timestamp_and_sign_in_the_body(cli, robot, monkeypatch):
    due_list(cli)
    use_robot(cli, robot, monkeypatch, "feishu")
    monkeypatch.setenv("SALESFLOW_NOTIFY_SECRET", SECRET)

    cli("remind", "--notify", "--kind", "birthday")

    (request,) = robot.received
    body = request.json
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == "Morning list 2026-03-16"
    texts = [paragraph[0]["text"] for paragraph in post["content"]]
    assert texts[:3] == ["Total: 1 due, 1 new today", "Birthdays", "1 due, 1 new today"]
    assert texts[3].startswith("• ") and "李四 · due in 7 days" in texts[3]
    timestamp = body["timestamp"]
    assert len(timestamp) == 10  # seconds
    expected = base64.b64encode(
        hmac.new(f"{timestamp}\n{SECRET}".encode(), b"", hashlib.sha256).digest()
    ).decode()
    assert body["sign"] == expected


def test_webhook_gets_every_item_as_plain_json_signed_over_the_body(cli, robot, monkeypatch):
    due_list(cli)
    use_robot(cli, robot, monkeypatch, "webhook")
    cli("config", "set", "notify.secret", SECRET)
    listed = cli.json("remind")

    cli("remind", "--notify")

    (request,) = robot.received
    assert request.json == {"date": "2026-03-16", "total": 4, "items": listed}
    timestamp = request.headers["X-Salesflow-Timestamp"]
    digest = hmac.new(SECRET.encode(), timestamp.encode() + b"." + request.raw, hashlib.sha256)
    assert request.headers["X-Salesflow-Signature"] == f"sha256={digest.hexdigest()}"


def test_a_long_list_is_split_within_wecoms_limit_every_item_once(
    cli, robot, monkeypatch, tmp_path
):
    names = [f"客户{number:03d}" + "很长的名字" * 6 for number in range(120)]
    book = tmp_path / "many.csv"
    book.write_text("name,created\n" + "".join(f"{name},2026-01-01\n" for name in names))
    cli("import", "customers", book)
    use_robot(cli, robot, monkeypatch, "wecom")

    cli("remind", "--notify", "--per-kind", "1000", "--kind", "never-contacted")

    contents = [request.json["markdown"]["content"] for request in robot.received]
    assert len(contents) > 1
    assert all(len(content.encode()) <= 4096 for content in contents)
    assert contents[0].startswith(f"## Morning list 2026-03-16 (1/{len(contents)})")
    posted = [line for content in contents for line in content.split("\n") if line.startswith("- ")]
    assert [line.split(" ")[2] for line in posted] == names


def test_429_and_5xx_are_retried_then_delivered(cli, robot, monkeypatch):
    due_list(cli)
    use_robot(cli, robot, monkeypatch, "wecom")
    robot.script = [
        Answer(429, {"errcode": 45009}, {"Retry-After": "0"}),
        Answer(503, None, {"Retry-After": "0"}),
    ]

    result = cli("remind", "--notify")

    assert (result.stdout, result.stderr) == ("", "")
    assert len(robot.received) == 3
    assert robot.received[0].raw == robot.received[2].raw


def test_a_robot_that_keeps_failing_ends_with_exit_69_and_one_line(cli, robot, monkeypatch):
    due_list(cli)
    use_robot(cli, robot, monkeypatch, "wecom")
    robot.default = Answer(500, None, {"Retry-After": "0"})

    result = cli("remind", "--notify", code=69)

    assert result.stdout == ""
    assert result.stderr == "Error: WeCom robot: message 1 of 1 not delivered: HTTP 500\n"
    assert len(robot.received) == 4  # the first try and three retries
    assert TOKEN not in result.stderr


def test_an_error_code_in_a_200_answer_is_a_failure_too(cli, robot, monkeypatch):
    due_list(cli)
    use_robot(cli, robot, monkeypatch, "dingtalk")
    robot.default = Answer(200, {"errcode": 310000, "errmsg": "sign not match"})

    result = cli("remind", "--notify", code=69)

    assert result.stderr.count("\n") == 1
    assert "error 310000: sign not match" in result.stderr
    assert TOKEN not in result.stderr


def test_nothing_due_posts_nothing_and_prints_nothing(cli, robot, monkeypatch):
    for kind in ("wecom", "dingtalk", "feishu", "webhook"):
        use_robot(cli, robot, monkeypatch, kind)
        result = cli("remind", "--notify")
        assert (result.stdout, result.stderr) == ("", "")
    assert robot.received == []


def test_the_environment_overrides_the_settings(cli, robot, monkeypatch):
    due_list(cli)
    cli("config", "set", "notify.url", "http://127.0.0.1:9/nowhere")
    use_robot(cli, robot, monkeypatch, "wecom")

    cli("remind", "--notify")

    assert len(robot.received) == 1


def test_notify_refusals(cli, robot, monkeypatch):
    due_list(cli)
    missing = cli("remind", "--notify", code=2)
    assert "no chat robot address" in missing.stderr
    use_robot(cli, robot, monkeypatch, "wecom")
    cli("config", "set", "notify.secret", SECRET)
    assert "WeCom robots are not signed" in cli("remind", "--notify", code=2).stderr
    cli("config", "set", "notify.kind", "slack", code=2)
    cli("remind", "--notify", "--format", "json", code=2)
    cli("remind", "--notify", "--all", code=2)
    monkeypatch.setenv("SALESFLOW_NOTIFY_URL", "ftp://example.com/" + TOKEN)
    refused = cli("remind", "--notify", code=2)
    assert TOKEN not in refused.stderr
    assert robot.received == []


def test_urls_and_secrets_are_never_shown_nor_recorded(cli, isolated_book):
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={TOKEN}"

    set_url = cli("config", "set", "notify.url", url)
    set_secret = cli("config", "set", "notify.secret", SECRET)

    shown = {row["key"]: row["value"] for row in cli.json("config", "list")}
    assert shown["notify.url"] == "https://qyapi.weixin.qq.com/…****"
    assert shown["notify.secret"] == "****"
    assert cli("config", "get", "notify.url").stdout == "https://qyapi.weixin.qq.com/…****\n"
    assert cli("config", "get", "notify.secret").stdout == "****\n"
    listing = cli("config", "list").stdout + cli("history").stdout
    history = json.dumps(cli.json("history"))
    for text in (set_url.stderr, set_secret.stderr, listing, history):
        assert TOKEN not in text and SECRET not in text and SECRET[:8] not in text
    assert [row["summary"] for row in cli.json("history")] == [
        "set notify.secret",
        "set notify.url",
    ]
    assert stat.S_IMODE(isolated_book.stat().st_mode) == 0o600
    refused = cli("config", "set", "notify.url", f"qyapi.weixin.qq.com/?key={TOKEN}", code=2)
    assert TOKEN not in refused.stderr


def test_looking_ahead_brings_coming_birthdays_and_expected_closes_into_the_calendar(cli):
    cli("customer", "add", "寿星", "--set", "birthday=03-28")  # 12 days after today
    cli("customer", "add", "华为")
    cli("deal", "add", "华为", "机房", "--close", "2026-03-20")
    cli("log", "寿星", "ok", "--at", "2026-03-15")
    cli("log", "华为", "ok", "--at", "2026-03-15")
    today = {item["kind"] for item in cli.json("remind")}
    assert "birthday" not in today and "close-overdue" not in today
    ahead = cli.json("remind", "--days-ahead", "14")
    kinds = {item["kind"]: item for item in ahead}
    assert kinds["birthday"]["due"] == "2026-03-28"
    assert kinds["close-overdue"]["due"] == "2026-03-20"
    assert kinds["close-overdue"]["days_overdue"] == -4
    calendar = cli("remind", "--format", "ics", "--days-ahead", "14").stdout
    assert calendar.count("BEGIN:VEVENT") == len(ahead)
    assert "DTSTART;VALUE=DATE:20260328" in calendar
    assert "DTSTART;VALUE=DATE:20260320" in calendar
