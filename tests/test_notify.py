"""Chat robot delivery: payload shapes, signatures, splitting, retries and failures.

Every post goes to a robot served by the test itself on 127.0.0.1; the signatures are
recomputed here from the platforms' documented algorithms, not from salesflow's code.
"""

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesflow import notify
from salesflow.errors import BadValue
from salesflow.notify import Brief, BriefSection, DeliveryFailed

TOKEN = "693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"
SECRET = "SEC5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"
NOW = 1_700_000_000.5
OK = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
    "webhook": {},
}


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw.decode("utf-8"))


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a slow answer leaves a broken pipe behind; that is the test.
        pass


class RobotServer:
    """A chat robot on 127.0.0.1 that records every request and answers from a script."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: list[Answer] = []
        self.default = Answer(200, OK["wecom"])
        self.lock = threading.Lock()
        self.httpd = QuietServer(("127.0.0.1", 0), self._handler())
        # A short poll keeps shutdown() quick at every test's teardown.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def url(self, path: str = f"/cgi-bin/webhook/send?key={TOKEN}") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self._record()

            def do_GET(self) -> None:
                self._record()

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                parts = urlsplit(self.path)
                with server.lock:
                    server.received.append(
                        Received(
                            self.command,
                            parts.path,
                            parse_qs(parts.query),
                            parts.query,
                            dict(self.headers.items()),
                            raw,
                        )
                    )
                    answer = server.script.pop(0) if server.script else server.default
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode() if body is not None else b""
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def robot_server(monkeypatch):
    # A proxy from the environment must not stand between the client and the local robot.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = RobotServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


class Sleeps(list[float]):
    """Records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def small_brief() -> Brief:
    return Brief(
        title="晨间提醒 2026-11-27",
        total="共 3 项到期",
        sections=(
            BriefSection("跟进", "2 项到期，1 项今日新增", ("张三 逾期 3 天", "李四 今天")),
            BriefSection("生日", "1 项", ("王五 11-29",)),
        ),
    )


def long_brief(lines_per_kind: int = 60) -> Brief:
    sections = tuple(
        BriefSection(
            f"类别 {kind}",
            f"类别 {kind}：{lines_per_kind} 项到期",
            tuple(
                f"客户{kind}-{number:03d} 逾期 {number} 天：上次购买的产品快用完了，请联系"
                for number in range(lines_per_kind)
            ),
        )
        for kind in range(5)
    )
    return Brief(title="晨间提醒 2026-11-27", total="共 300 项到期", sections=sections)


def item_lines(kind: str, payload: dict[str, Any]) -> list[str]:
    if kind == "feishu":
        paragraphs = payload["content"]["post"]["zh_cn"]["content"]
        texts = [paragraph[0]["text"] for paragraph in paragraphs]
        return [text.removeprefix("• ") for text in texts if text.startswith("• ")]
    markdown = payload["markdown"]
    text = markdown["content"] if kind == "wecom" else markdown["text"]
    return [line[2:] for line in text.split("\n") if line.startswith("- ")]


def headline(kind: str, payload: dict[str, Any]) -> str:
    if kind == "feishu":
        return payload["content"]["post"]["zh_cn"]["title"]
    markdown = payload["markdown"]
    text = markdown["content"] if kind == "wecom" else markdown["text"]
    return text.split("\n")[0]


# -- payload shapes ------------------------------------------------------------------------------


def test_wecom_posts_one_markdown_message_as_json(robot_server):
    payloads = notify.messages("wecom", small_brief())
    assert len(payloads) == 1
    assert notify.post("wecom", robot_server.url(), payloads, sleep=Sleeps()) == 1

    [request] = robot_server.received
    assert request.method == "POST"
    assert request.path == "/cgi-bin/webhook/send"
    assert request.query == {"key": [TOKEN]}
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.json == payloads[0]
    assert set(request.json) == {"msgtype", "markdown"}
    assert request.json["msgtype"] == "markdown"
    content = request.json["markdown"]["content"]
    assert content == (
        "## 晨间提醒 2026-11-27\n\n共 3 项到期\n\n### 跟进\n\n2 项到期，1 项今日新增\n\n"
        "- 张三 逾期 3 天\n- 李四 今天\n\n### 生日\n\n1 项\n\n- 王五 11-29"
    )
    # Raw UTF-8 on the wire: the byte limits are measured on it.
    assert "张三".encode() in request.raw


def test_dingtalk_markdown_has_a_title_and_the_text(robot_server):
    payloads = notify.messages("dingtalk", small_brief(), title="salesflow: 3 项到期")
    notify.post("dingtalk", robot_server.url("/robot/send?access_token=" + TOKEN), payloads)

    [request] = robot_server.received
    assert request.json == {
        "msgtype": "markdown",
        "markdown": {"title": "salesflow: 3 项到期", "text": payloads[0]["markdown"]["text"]},
    }
    assert request.json["markdown"]["text"].startswith("## 晨间提醒 2026-11-27\n\n共 3 项到期")
    # An unsigned robot gets no signature parameters.
    assert request.query == {"access_token": [TOKEN]}


def test_feishu_posts_a_rich_text_post(robot_server):
    robot_server.default = Answer(200, OK["feishu"])
    payloads = notify.messages("feishu", small_brief())
    notify.post("feishu", robot_server.url(f"/open-apis/bot/v2/hook/{TOKEN}"), payloads)

    [request] = robot_server.received
    assert request.path == f"/open-apis/bot/v2/hook/{TOKEN}"
    assert request.json == {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "晨间提醒 2026-11-27",
                    "content": [
                        [{"tag": "text", "text": "共 3 项到期"}],
                        [{"tag": "text", "text": "跟进"}],
                        [{"tag": "text", "text": "2 项到期，1 项今日新增"}],
                        [{"tag": "text", "text": "• 张三 逾期 3 天"}],
                        [{"tag": "text", "text": "• 李四 今天"}],
                        [{"tag": "text", "text": "生日"}],
                        [{"tag": "text", "text": "1 项"}],
                        [{"tag": "text", "text": "• 王五 11-29"}],
                    ],
                }
            }
        },
    }
    assert "timestamp" not in request.json and "sign" not in request.json


def test_webhook_posts_the_items_as_plain_json(robot_server):
    robot_server.default = Answer(204)
    items = [
        {"key": "a1b2c3", "kind": "follow-up", "customer_id": 7, "due": date(2026, 11, 24)},
        {"key": "d4e5f6", "kind": "birthday", "customer_id": 9, "due": "2026-11-29"},
    ]
    payloads = notify.messages("webhook", small_brief(), items=items, as_of=date(2026, 11, 27))
    notify.post("webhook", robot_server.url("/hooks/crm"), payloads)

    [request] = robot_server.received
    assert request.json == {
        "date": "2026-11-27",
        "total": 2,
        "items": [
            {"key": "a1b2c3", "kind": "follow-up", "customer_id": 7, "due": "2026-11-24"},
            {"key": "d4e5f6", "kind": "birthday", "customer_id": 9, "due": "2026-11-29"},
        ],
    }
    assert "X-Salesflow-Signature" not in request.headers


def test_webhook_needs_the_items_and_the_date():
    with pytest.raises(TypeError):
        notify.messages("webhook", small_brief())


# -- signatures, recomputed from the platforms' documents ------------------------------------------


def test_dingtalk_signed_robot_gets_timestamp_in_ms_and_sign_in_the_query(robot_server):
    payloads = notify.messages("dingtalk", small_brief())
    url = robot_server.url("/robot/send?access_token=" + TOKEN)
    notify.post("dingtalk", url, payloads, secret=SECRET, now=lambda: NOW)

    [request] = robot_server.received
    timestamp = "1700000000500"
    string_to_sign = f"{timestamp}\n{SECRET}".encode()
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), string_to_sign, digestmod=hashlib.sha256).digest()
    ).decode()
    assert request.query == {
        "access_token": [TOKEN],
        "timestamp": [timestamp],
        "sign": [expected],
    }
    # The sign is percent-encoded once in the URL, as DingTalk's urlEncode step asks.
    assert "+" not in request.raw_query.split("sign=")[1]
    assert "/" not in request.raw_query.split("sign=")[1]
    assert request.json == payloads[0]


def test_feishu_signed_bot_gets_timestamp_in_seconds_and_sign_in_the_body(robot_server):
    robot_server.default = Answer(200, OK["feishu"])
    payloads = notify.messages("feishu", small_brief())
    url = robot_server.url(f"/open-apis/bot/v2/hook/{TOKEN}")
    notify.post("feishu", url, payloads, secret=SECRET, now=lambda: NOW)

    [request] = robot_server.received
    timestamp = "1700000000"
    key = f"{timestamp}\n{SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", digestmod=hashlib.sha256).digest()).decode()
    assert request.json["timestamp"] == timestamp
    assert request.json["sign"] == expected
    assert {k: v for k, v in request.json.items() if k not in ("timestamp", "sign")} == payloads[0]
    assert request.query == {}


def test_webhook_with_a_secret_signs_the_exact_body(robot_server):
    robot_server.default = Answer(200, b"")
    payloads = notify.messages(
        "webhook", small_brief(), items=[{"key": "k"}], as_of=date(2026, 1, 2)
    )
    notify.post("webhook", robot_server.url("/hooks/crm"), payloads, secret=SECRET, now=lambda: NOW)

    [request] = robot_server.received
    assert request.headers["X-Salesflow-Timestamp"] == "1700000000"
    expected = hmac.new(SECRET.encode(), b"1700000000." + request.raw, hashlib.sha256).hexdigest()
    assert request.headers["X-Salesflow-Signature"] == f"sha256={expected}"


def test_wecom_refuses_a_secret_and_sends_nothing(robot_server):
    payloads = notify.messages("wecom", small_brief())
    with pytest.raises(BadValue) as refused:
        notify.post("wecom", robot_server.url(), payloads, secret=SECRET)
    assert refused.value.exit_code == 2
    assert "notify.secret" in str(refused.value)
    assert SECRET not in str(refused.value)
    assert robot_server.received == []


def test_each_retry_is_signed_afresh(robot_server):
    robot_server.script = [Answer(503, {}), Answer(200, OK["dingtalk"])]
    clock = iter([NOW, NOW, NOW + 2])  # sign, Retry-After check, sign again
    payloads = notify.messages("dingtalk", small_brief())
    url = robot_server.url("/robot/send?access_token=" + TOKEN)
    notify.post("dingtalk", url, payloads, secret=SECRET, now=lambda: next(clock), sleep=Sleeps())

    stamps = [request.query["timestamp"][0] for request in robot_server.received]
    assert stamps == ["1700000000500", "1700000002500"]


# -- splitting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_a_long_brief_is_split_within_the_limit_with_every_line_once_in_order(kind, robot_server):
    brief = long_brief(lines_per_kind=120 if kind != "wecom" else 60)
    payloads = notify.messages(kind, brief)
    assert len(payloads) > 1

    robot_server.default = Answer(200, OK[kind])
    secret = None if kind == "wecom" else SECRET
    notify.post(kind, robot_server.url(), payloads, secret=secret, sleep=Sleeps())
    assert len(robot_server.received) == len(payloads)
    for payload, request in zip(payloads, robot_server.received, strict=True):
        if kind == "wecom":
            assert len(request.json["markdown"]["content"].encode("utf-8")) <= 4096
        elif kind == "dingtalk":
            assert len(request.raw) <= 20000
        else:
            assert len(request.raw) <= 20000  # signature fields included
            assert "sign" in request.json
        assert request.json | payload == request.json  # what was built is what was sent

    expected = [line for section in brief.sections for line in section.lines]
    sent = [line for payload in payloads for line in item_lines(kind, payload)]
    assert sent == expected

    count = len(payloads)
    for number, payload in enumerate(payloads, start=1):
        assert headline(kind, payload).endswith(f"({number}/{count})")


def test_a_continued_section_repeats_its_heading_and_counts_come_once():
    brief = long_brief(lines_per_kind=60)
    payloads = notify.messages("wecom", brief)
    texts = [payload["markdown"]["content"] for payload in payloads]
    for section in brief.sections:
        assert sum(text.count(section.counts) for text in texts) == 1
    for text in texts[1:]:
        blocks = text.split("\n\n")
        # Every page after the first opens with a heading, never with a bare item.
        assert blocks[1].startswith("### ")
    assert "共 300 项到期" in texts[0]
    assert all("共 300 项到期" not in text for text in texts[1:])


def test_a_heading_never_ends_a_message():
    payloads = notify.messages("wecom", long_brief(lines_per_kind=60))
    for payload in payloads:
        last_block = payload["markdown"]["content"].split("\n\n")[-1]
        assert last_block.startswith("- ")


def test_a_line_too_long_for_one_message_is_cut_between_characters():
    line = "很长的备注" * 600  # 3000 characters, 9000 bytes of UTF-8
    brief = Brief("标题", "共 1 项", (BriefSection("跟进", "1 项", (line,)),))
    payloads = notify.messages("wecom", brief)
    assert len(payloads) == 3
    pieces = []
    for payload in payloads:
        content = payload["markdown"]["content"]
        assert len(content.encode("utf-8")) <= 4096
        pieces.extend(line for line in content.split("\n") if line.startswith("- "))
    assert "".join(piece[2:] for piece in pieces) == line


def test_a_short_brief_carries_no_continuation_marker():
    [payload] = notify.messages("dingtalk", small_brief())
    assert payload["markdown"]["title"] == "晨间提醒 2026-11-27"
    assert "(1/1)" not in payload["markdown"]["text"]


def test_a_title_too_long_for_any_message_is_refused():
    brief = Brief("标题" * 2000, "共 1 项", (BriefSection("跟进", "1 项", ("张三",)),))
    with pytest.raises(BadValue):
        notify.messages("wecom", brief)


def test_a_line_break_inside_a_line_cannot_start_markdown_of_its_own():
    brief = Brief(
        "标题", "共 1 项", (BriefSection("跟进", "1 项", ("张三\n### 假标题\r\n- 假项",)),)
    )
    [payload] = notify.messages("wecom", brief)
    assert payload["markdown"]["content"].endswith("\n\n- 张三 ### 假标题 - 假项")
    [post] = notify.messages("feishu", brief)
    assert post["content"]["post"]["zh_cn"]["content"][-1] == [
        {"tag": "text", "text": "• 张三 ### 假标题 - 假项"}
    ]


# Text without line breaks or list markers, so the lines can be read back from the markdown.
brief_text = st.text(alphabet=st.sampled_from('ab Z张三李四é😀"\\*#_[]()'), min_size=1, max_size=40)
long_text = st.text(alphabet=st.sampled_from('a张😀"\\ '), min_size=1, max_size=3000)
brief_sections = st.lists(
    st.builds(
        BriefSection,
        heading=brief_text,
        counts=brief_text,
        lines=st.lists(st.one_of(brief_text, long_text), max_size=25).map(tuple),
    ),
    min_size=1,
    max_size=5,
).map(tuple)


@settings(max_examples=25, deadline=None)
@given(sections=brief_sections, kind=st.sampled_from(["wecom", "dingtalk", "feishu"]))
def test_any_brief_splits_within_the_limit_and_keeps_all_its_text_in_order(sections, kind):
    payloads = notify.messages(kind, Brief("晨间提醒", "共 N 项", sections))
    for payload in payloads:
        if kind == "wecom":
            assert len(payload["markdown"]["content"].encode("utf-8")) <= 4096
        else:
            signed = {**payload, "timestamp": "1700000000", "sign": "x" * 44}
            body = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode()
            assert len(body) <= 20000
    sent = "".join(line for payload in payloads for line in item_lines(kind, payload))
    assert sent == "".join(line for section in sections for line in section.lines)


# -- nothing due ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_nothing_due_gives_no_message_and_posts_nothing(kind, robot_server):
    payloads = notify.messages(kind, Brief("晨间提醒", "共 0 项"))
    assert payloads == []
    assert notify.post(kind, robot_server.url(), payloads, secret=None) == 0
    assert robot_server.received == []


def test_webhook_with_no_items_posts_nothing(robot_server):
    payloads = notify.messages("webhook", small_brief(), items=[], as_of=date(2026, 11, 27))
    assert payloads == []
    assert notify.post("webhook", robot_server.url(), payloads) == 0
    assert robot_server.received == []


# -- retries and failures ------------------------------------------------------------------------


def test_429_is_retried_with_backoff_and_retry_after_then_delivered(robot_server):
    robot_server.script = [
        Answer(429, {}),
        Answer(429, {}, {"Retry-After": "7"}),
        Answer(429, {}, {"Retry-After": "3600"}),
        Answer(200, OK["wecom"]),
    ]
    sleeps = Sleeps()
    payloads = notify.messages("wecom", small_brief())
    assert notify.post("wecom", robot_server.url(), payloads, sleep=sleeps) == 1
    # 1 s backoff; then what Retry-After asks; an hour is capped at a minute.
    assert sleeps == [1.0, 7.0, 60.0]
    assert len(robot_server.received) == 4
    assert all(request.json == payloads[0] for request in robot_server.received)


def test_retry_after_as_an_http_date_is_honoured(robot_server):
    robot_server.script = [
        Answer(503, {}, {"Retry-After": formatdate(NOW + 5, usegmt=True)}),
        Answer(200, OK["wecom"]),
    ]
    sleeps = Sleeps()
    notify.post(
        "wecom",
        robot_server.url(),
        notify.messages("wecom", small_brief()),
        sleep=sleeps,
        now=lambda: NOW,
    )
    assert sleeps == [4.5]  # the date has whole seconds; "now" is half a second in


def test_5xx_until_retries_run_out_fails_with_exit_69(robot_server):
    robot_server.script = [Answer(503, {}) for _ in range(4)]
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed) as failed:
        notify.post(
            "wecom",
            robot_server.url(),
            notify.messages("wecom", small_brief()),
            retries=3,
            sleep=sleeps,
        )
    assert failed.value.exit_code == 69
    assert failed.value.status == 503
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(robot_server.received) == 4
    message = str(failed.value)
    assert message == "WeCom robot: message 1 of 1 not delivered: HTTP 503"
    assert TOKEN not in message and "127.0.0.1" not in message


def test_a_4xx_is_not_retried(robot_server):
    robot_server.script = [Answer(404, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed) as failed:
        notify.post(
            "wecom", robot_server.url(), notify.messages("wecom", small_brief()), sleep=sleeps
        )
    assert sleeps == []
    assert len(robot_server.received) == 1
    assert str(failed.value) == (
        "WeCom robot: message 1 of 1 not delivered: HTTP 404, error 93000: invalid webhook url"
    )


def test_errcode_in_a_200_answer_fails_and_names_the_code_but_no_credential(robot_server):
    robot_server.script = [
        Answer(
            200,
            {
                "errcode": 310000,
                "errmsg": f"sign not match, token {TOKEN}, secret {SECRET}",
            },
        )
    ]
    url = robot_server.url("/robot/send?access_token=" + TOKEN)
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed) as failed:
        notify.post(
            "dingtalk",
            url,
            notify.messages("dingtalk", small_brief()),
            secret=SECRET,
            sleep=sleeps,
            now=lambda: NOW,
        )
    message = str(failed.value)
    assert failed.value.exit_code == 69
    assert failed.value.code == 310000
    assert message.startswith("DingTalk robot: message 1 of 1 not delivered: error 310000: ")
    assert "sign not match" in message
    assert TOKEN not in message and SECRET not in message and url not in message
    assert "\n" not in message
    assert sleeps == [] and len(robot_server.received) == 1


def test_wecom_errmsg_loses_its_hint_and_help_link(robot_server):
    errmsg = (
        "markdown.content exceed max length 4096. invalid Request Parameter, hint: [1714538355],"
        " from ip: 119.2.196.241, more info at https://open.work.weixin.qq.com/devtool/query?e=40058"
    )
    robot_server.script = [Answer(200, {"errcode": 40058, "errmsg": errmsg})]
    with pytest.raises(DeliveryFailed) as failed:
        notify.post("wecom", robot_server.url(), notify.messages("wecom", small_brief()))
    assert str(failed.value) == (
        "WeCom robot: message 1 of 1 not delivered: error 40058: markdown.content exceed max"
        " length 4096. invalid Request Parameter"
    )


def test_feishu_code_in_a_200_answer_fails(robot_server):
    robot_server.script = [
        Answer(200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
    ]
    with pytest.raises(DeliveryFailed) as failed:
        notify.post(
            "feishu",
            robot_server.url(f"/open-apis/bot/v2/hook/{TOKEN}"),
            notify.messages("feishu", small_brief()),
            secret=SECRET,
        )
    assert failed.value.code == 19021
    assert "Feishu robot" in str(failed.value) and "19021" in str(failed.value)
    assert TOKEN not in str(failed.value)


def test_feishu_legacy_status_code_answer_counts_too(robot_server):
    robot_server.script = [Answer(200, {"StatusCode": 9499, "StatusMessage": "Bad Request"})]
    with pytest.raises(DeliveryFailed, match="error 9499: Bad Request"):
        notify.post("feishu", robot_server.url(), notify.messages("feishu", small_brief()))


def test_a_200_that_is_not_the_robots_json_fails(robot_server):
    robot_server.script = [Answer(200, b"<html>captive portal</html>")]
    with pytest.raises(DeliveryFailed, match="not the robot's JSON"):
        notify.post("wecom", robot_server.url(), notify.messages("wecom", small_brief()))


def test_a_redirect_is_not_followed(robot_server):
    robot_server.script = [Answer(302, b"", {"Location": "/elsewhere"})]
    with pytest.raises(DeliveryFailed, match="HTTP 302"):
        notify.post("wecom", robot_server.url(), notify.messages("wecom", small_brief()))
    assert [request.method for request in robot_server.received] == ["POST"]


def test_a_robot_that_does_not_answer_in_time_fails(robot_server):
    robot_server.script = [Answer(200, OK["wecom"], delay=0.5), Answer(200, OK["wecom"], delay=0.5)]
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed) as failed:
        notify.post(
            "wecom",
            robot_server.url(),
            notify.messages("wecom", small_brief()),
            timeout=0.2,
            retries=1,
            sleep=sleeps,
        )
    assert str(failed.value) == "WeCom robot: message 1 of 1 not delivered: no answer within 0.2 s"
    assert sleeps == [1.0]
    assert len(robot_server.received) == 2


def test_a_robot_that_cannot_be_reached_fails(robot_server):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    with pytest.raises(DeliveryFailed) as failed:
        notify.post(
            "dingtalk",
            f"http://127.0.0.1:{port}/robot/send?access_token={TOKEN}",
            notify.messages("dingtalk", small_brief()),
            retries=2,
            sleep=sleeps,
        )
    assert str(failed.value).startswith(
        "DingTalk robot: message 1 of 1 not delivered: cannot connect"
    )
    assert TOKEN not in str(failed.value) and str(port) not in str(failed.value)
    assert sleeps == [1.0, 2.0]


def test_delivery_stops_at_the_first_failed_message(robot_server):
    payloads = notify.messages("wecom", long_brief(lines_per_kind=60))
    assert len(payloads) >= 3
    robot_server.script = [
        Answer(200, OK["wecom"]),
        Answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
    ]
    with pytest.raises(DeliveryFailed) as failed:
        notify.post("wecom", robot_server.url(), payloads, sleep=Sleeps())
    assert f"message 2 of {len(payloads)}" in str(failed.value)
    assert len(robot_server.received) == 2


def test_more_messages_than_a_minute_allows_are_spaced_out(robot_server):
    payloads = [{"msgtype": "markdown", "markdown": {"content": f"第 {n} 条"}} for n in range(21)]
    sleeps = Sleeps()
    assert notify.post("wecom", robot_server.url(), payloads, sleep=sleeps) == 21
    # 21 messages 60/19 s apart: no 60-second window holds more than WeCom's 20.
    assert sleeps == [pytest.approx(60 / 19)] * 20


def test_feishu_spaces_more_than_five_messages_a_second(robot_server):
    robot_server.default = Answer(200, OK["feishu"])
    payloads = [{"msg_type": "text", "content": {"text": str(n)}} for n in range(6)]
    sleeps = Sleeps()
    notify.post("feishu", robot_server.url(), payloads, sleep=sleeps)
    assert sleeps == [pytest.approx(0.25)] * 5


def test_a_few_messages_go_without_waiting(robot_server):
    sleeps = Sleeps()
    payloads = notify.messages("wecom", long_brief(lines_per_kind=60))
    notify.post("wecom", robot_server.url(), payloads, sleep=sleeps)
    assert sleeps == []


# -- settings: kinds, URLs and masking -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + TOKEN,
        "file:///etc/passwd",
        "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + TOKEN,
        "https://",
        "https://qyapi.weixin.qq.com:99999/send?key=" + TOKEN,
        "https://[::1/send?key=" + TOKEN,
        "https://qyapi.weixin.qq.com/send?key=" + TOKEN + "\r\nX-Injected: 1",
    ],
)
def test_urls_that_are_not_http_are_refused_without_repeating_them(url, robot_server):
    with pytest.raises(BadValue) as refused:
        notify.post("wecom", url, notify.messages("wecom", small_brief()))
    assert refused.value.exit_code == 2
    assert "notify.url" in str(refused.value)
    assert TOKEN not in str(refused.value)
    assert robot_server.received == []


def test_a_plain_https_url_is_accepted():
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + TOKEN
    assert notify.validate_url(f"  {url} ") == url


def test_an_unknown_robot_kind_is_refused():
    with pytest.raises(BadValue, match="wecom, dingtalk, feishu, webhook"):
        notify.messages("slack", small_brief())
    assert notify.robot(" DingTalk ") is notify.Robot.DINGTALK


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (
            f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={TOKEN}",
            "https://qyapi.weixin.qq.com/…****",
        ),
        (
            f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}",
            "https://oapi.dingtalk.com/…****",
        ),
        (f"https://open.feishu.cn/open-apis/bot/v2/hook/{TOKEN}", "https://open.feishu.cn/…****"),
        (f"http://user:{SECRET}@127.0.0.1:8080/hook", "http://127.0.0.1:8080/…****"),
        (SECRET, "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_secret_keeps_scheme_and_host_only(value, shown):
    assert notify.mask_secret(value) == shown


def test_the_secret_settings_are_the_url_and_the_secret():
    assert set(notify.SECRET_SETTINGS) == {"notify.url", "notify.secret"}
