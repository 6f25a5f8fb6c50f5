"""Posting the morning brief to a team chat robot: WeCom, DingTalk, Feishu or a plain webhook.

`messages()` turns a brief (text already in the user's language) into the platform's documented
payloads, split to stay within its size limit; `post()` delivers them with the standard
library's HTTP client. Robot URLs carry their access token and a signing secret is a password,
so neither ever appears in an error message: failures name the platform, the message number
and the HTTP status or the platform's error code.

Platform facts this module relies on (from each platform's robot documentation):

- WeCom group robot: `{"msgtype": "markdown", "markdown": {"content": ...}}`, content at most
  4096 bytes of UTF-8 (errcode 40058 beyond), answers `{"errcode": 0, "errmsg": "ok"}`,
  20 messages a minute per robot. No signing.
- DingTalk custom robot: `{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`,
  request body at most 20000 bytes (errcode 460101), answers `{"errcode": 0, ...}`, 20 messages
  a minute (over that, the robot is throttled for 10 minutes). A signed robot takes
  `timestamp` (milliseconds) and `sign` = base64(HMAC-SHA256(secret, "{timestamp}\\n{secret}"))
  as query parameters.
- Feishu custom bot: `{"msg_type": "post", "content": {"post": {"zh_cn": {"title": ...,
  "content": [[{"tag": "text", "text": ...}], ...]}}}}`, request body at most 20 KB, answers
  `{"code": 0, ...}`, 100 messages a minute and 5 a second. A signed bot takes `timestamp`
  (seconds) and `sign` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", message=b"")) in the
  body.
"""

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from salesflow.errors import BadValue, SalesflowError
from salesflow.i18n import _

if TYPE_CHECKING:
    from urllib.request import OpenerDirector


class Robot(StrEnum):
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"
    WEBHOOK = "webhook"


# The settings whose values are credentials: shown masked, never recorded in history.
SECRET_SETTINGS = ("notify.url", "notify.secret")

WECOM_CONTENT_BYTES = 4096
DINGTALK_BODY_BYTES = 20000
# Feishu documents "20 KB"; the smaller reading, less room for the signature fields added later.
FEISHU_BODY_BYTES = 20000 - 200
# How many messages each robot accepts within how many seconds before it starts refusing.
RATE_LIMITS = {
    Robot.WECOM: ((20, 60.0),),
    Robot.DINGTALK: ((20, 60.0),),
    Robot.FEISHU: ((100, 60.0), (5, 1.0)),
}
# Feishu shows the one locale a post carries to every reader; the text is already translated.
FEISHU_LOCALE = "zh_cn"
MAX_RETRY_WAIT = 60.0
ANSWER_BYTES = 65536
# Wide enough for any "(n/m)" a real brief produces; sizes are measured with it in place.
MARKER_ROOM = "(9999/9999)"


class DeliveryFailed(SalesflowError):
    """The chat robot did not take the message (unreachable, refused, or an error code)."""

    exit_code = 69

    def __init__(self, message: str, *, status: int | None = None, code: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class BriefSection:
    """One reminder kind in the brief: its heading, its counts line and one line per item."""

    heading: str
    counts: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Brief:
    """The morning brief as a person reads it, every string already in the user's language."""

    title: str
    total: str
    sections: tuple[BriefSection, ...] = ()


def robot(kind: str) -> Robot:
    """The robot kind named by `notify.kind`, refusing anything else."""
    try:
        return Robot(kind.strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in Robot)
        raise BadValue(_("notify.kind must be one of {choices}").format(choices=choices)) from None


def validate_url(url: str) -> str:
    """The robot URL, refused unless it is an http or https address with a host.

    The message never repeats the URL: a robot URL is its access token.
    """
    from urllib.parse import urlsplit

    value = url.strip()
    try:
        parts = urlsplit(value)
        web = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - reading it is what checks the port
    except ValueError:
        web = False
    if not web:
        raise BadValue(_("notify.url must be an http:// or https:// address"))
    if any(character.isspace() or ord(character) < 32 for character in value):
        raise BadValue(_("notify.url must not contain spaces or control characters"))
    return value


def robot_target(kind: str, url: str, secret: str | None) -> tuple[Robot, str, str | None]:
    """The robot, its checked address and its secret (None when unset), or a refusal, so a
    morning run with nothing due still says when the robot is not set up."""
    platform = robot(kind)
    if not url.strip():
        raise BadValue(_("no chat robot address: set notify.url or SALESFLOW_NOTIFY_URL"))
    target = validate_url(url)
    signing = (secret or "").strip() or None
    if signing is not None and platform is Robot.WECOM:
        raise BadValue(_("WeCom robots are not signed: unset notify.secret"))
    return platform, target, signing


def mask_secret(value: str | None) -> str:
    """A credential as `config list` shows it: a URL keeps scheme and host, the rest hidden."""
    from urllib.parse import urlsplit

    if not value:
        return ""
    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
        port = parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme.lower() in ("http", "https") and host:
        where = f"[{host}]" if ":" in host else host
        if port is not None:
            where = f"{where}:{port}"
        return f"{parts.scheme.lower()}://{where}/…****"
    return "****"


def messages(
    kind: str,
    brief: Brief,
    *,
    title: str | None = None,
    items: Sequence[Mapping[str, Any]] | None = None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """The payloads that carry `brief` to a robot of `kind`, each within the platform's limit.

    `title` is what chat apps show in the conversation list (DingTalk) or as the post's title
    (Feishu); it defaults to the brief's title. A long brief becomes several messages marked
    "(1/3)", "(2/3)"…, split between lines, and a section that continues repeats its heading.
    The webhook kind posts machine data instead, `{"date", "total", "items"}`, from `items`
    and `as_of`. Nothing due (no sections, no items) gives no messages.
    """
    platform = robot(kind)
    if platform is Robot.WEBHOOK:
        if items is None or as_of is None:
            raise TypeError("webhook messages are built from the items and the as-of date")
        if not items:
            return []
        return [
            {
                "date": as_of.isoformat(),
                "total": len(items),
                "items": [dict(item) for item in items],
            }
        ]
    if not brief.sections:
        return []
    render = _RENDERERS[platform]
    fits = _FITS[platform]
    headline = title or brief.title
    pages = _paginate(brief, lambda rows: fits(render(headline, brief.title, MARKER_ROOM, rows)))
    count = len(pages)
    return [
        render(headline, brief.title, _marker(number, count), rows)
        for number, rows in enumerate(pages, start=1)
    ]


def sign(kind: str, secret: str, now: float, body: bytes = b"") -> dict[str, str]:
    """The signature fields a signed robot expects at time `now` (seconds since the epoch).

    DingTalk: query parameters `timestamp` (ms) and `sign`, not yet percent-encoded.
    Feishu: body fields `timestamp` (s) and `sign`. Webhook: headers carrying the timestamp
    and `sha256=` HMAC of "{timestamp}." + body, so the receiver can check both.
    WeCom robots are not signed, so a secret for one is refused.
    """
    import base64
    import hashlib
    import hmac

    platform = robot(kind)
    if platform is Robot.DINGTALK:
        timestamp = str(int(now * 1000))
        digest = hmac.new(
            secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256
        ).digest()
        return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode("ascii")}
    if platform is Robot.FEISHU:
        timestamp = str(int(now))
        digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        return {"timestamp": timestamp, "sign": base64.b64encode(digest).decode("ascii")}
    if platform is Robot.WEBHOOK:
        timestamp = str(int(now))
        signed = timestamp.encode() + b"." + body
        digest_hex = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return {"X-Salesflow-Timestamp": timestamp, "X-Salesflow-Signature": f"sha256={digest_hex}"}
    raise BadValue(_("WeCom robots are not signed: unset notify.secret"))


def post(
    kind: str,
    url: str,
    payloads: Sequence[Mapping[str, Any]],
    *,
    secret: str | None = None,
    timeout: float = 10.0,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> int:
    """Deliver `payloads` in order to the robot at `url`; the number delivered.

    Each message is tried once more per retry when the robot answers 429 or 5xx or cannot be
    reached, waiting 1 s, 2 s, 4 s… or what Retry-After asks (at most a minute). Anything else
    that is not a success — a 4xx, or a 200 whose body carries a non-zero error code — raises
    `DeliveryFailed` at once; the messages after it are not sent. More messages than the robot
    takes in a minute are spaced out so none is refused for frequency.
    """
    platform = robot(kind)
    if not payloads:
        return 0
    target = validate_url(url)
    secret = secret or None
    if secret is not None and platform is Robot.WECOM:
        raise BadValue(_("WeCom robots are not signed: unset notify.secret"))
    opener = _opener()
    spacing = _spacing(platform, len(payloads))
    scrub = _scrubber(target, secret)
    for number, payload in enumerate(payloads, start=1):
        if number > 1 and spacing:
            sleep(spacing)
        where = _Where(platform, number, len(payloads), scrub)
        _deliver(opener, platform, target, payload, where, secret, timeout, retries, sleep, now)
    return len(payloads)


def _spacing(platform: Robot, count: int) -> float:
    """Seconds between messages so that no window of a rate limit holds more than it allows."""
    return max(
        (
            seconds / (allowed - 1)
            for allowed, seconds in RATE_LIMITS.get(platform, ())
            if count > allowed
        ),
        default=0.0,
    )


# -- building the messages ---------------------------------------------------------------------

# A row is (role, text): "total", "heading", "counts", "item" or "continued" (a heading again).
Row = tuple[str, str]


def _marker(number: int, count: int) -> str:
    if count == 1:
        return ""
    return _("({number}/{count})").format(number=number, count=count)


def _paginate(brief: Brief, fits: Callable[[list[Row]], bool]) -> list[list[Row]]:
    """Rows packed greedily into pages that `fits` accepts, in order, none lost or repeated.

    A section's heading and counts travel with its first item so no heading ends a page; a
    page that opens mid-section repeats the heading. A line too long for any page is cut
    between characters, never inside one.
    """
    pages: list[list[Row]] = []
    page: list[Row] = [("total", brief.total)]
    opening = len(page)  # a page holding only its opening rows has room for nothing smaller

    def turn(heading: str | None) -> None:
        nonlocal page, opening
        pages.append(page)
        page = [] if heading is None else [("continued", heading)]
        opening = len(page)

    for section in brief.sections:
        groups: list[list[Row]] = [[("heading", section.heading), ("counts", section.counts)]]
        if section.lines:
            groups[0].append(("item", section.lines[0]))
            groups.extend([("item", line)] for line in section.lines[1:])
        for index, group in enumerate(groups):
            if fits(page + group):
                page.extend(group)
                continue
            if len(page) > opening:
                turn(section.heading if index else None)
                if fits(page + group):
                    page.extend(group)
                    continue
            for role, text in group:
                rest = text
                while rest:
                    if fits([*page, (role, rest)]):
                        page.append((role, rest))
                        break
                    size = _longest(fits, page, role, rest)
                    if size:
                        page.append((role, rest[:size]))
                        rest = rest[size:]
                    elif len(page) == opening:
                        raise BadValue(_("a title or heading of the brief is too long to post"))
                    turn(section.heading)
    pages.append(page)
    return pages


def _longest(fits: Callable[[list[Row]], bool], page: list[Row], role: str, text: str) -> int:
    """How many characters of `text` make the longest prefix that still fits on `page`."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits([*page, (role, text[:middle])]):
            low = middle
        else:
            high = middle - 1
    return low


def _markdown(headline: str, marker: str, rows: list[Row]) -> str:
    """WeCom's and DingTalk's markdown: blank lines between blocks, items as a list."""
    blocks = [f"## {_one_line(headline)} {marker}".rstrip()]
    for role, text in rows:
        text = _one_line(text)
        if role in ("heading", "continued"):
            blocks.append(f"### {text}")
        elif role == "item":
            blocks.append(f"- {text}")
        else:
            blocks.append(text)
    # List items sit on consecutive lines; every other block is a paragraph of its own.
    joined = blocks[0]
    for previous, block in pairwise(blocks):
        joined += "\n" if previous.startswith("- ") and block.startswith("- ") else "\n\n"
        joined += block
    return joined


def _one_line(text: str) -> str:
    """A brief's line kept on one line: a line break inside, say, a customer's note would
    otherwise start a markdown heading or list of its own."""
    return " ".join(text.splitlines())


def _wecom(headline: str, title: str, marker: str, rows: list[Row]) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": _markdown(title, marker, rows)}}


def _dingtalk(headline: str, title: str, marker: str, rows: list[Row]) -> dict[str, Any]:
    return {
        "msgtype": "markdown",
        "markdown": {
            "title": f"{_one_line(headline)} {marker}".rstrip(),
            "text": _markdown(title, marker, rows),
        },
    }


def _feishu(headline: str, title: str, marker: str, rows: list[Row]) -> dict[str, Any]:
    paragraphs: list[list[dict[str, str]]] = []
    if headline != title:
        paragraphs.append([{"tag": "text", "text": _one_line(title)}])
    for role, text in rows:
        line = f"• {_one_line(text)}" if role == "item" else _one_line(text)
        paragraphs.append([{"tag": "text", "text": line}])
    post = {"title": f"{_one_line(headline)} {marker}".rstrip(), "content": paragraphs}
    return {"msg_type": "post", "content": {"post": {FEISHU_LOCALE: post}}}


def _body(payload: Mapping[str, Any]) -> bytes:
    """The exact bytes sent, so what was measured is what goes on the wire (raw UTF-8: an
    escaped Chinese character would cost six bytes instead of three)."""
    import json

    return json.dumps(
        payload, ensure_ascii=False, separators=(",", ":"), default=_json_value
    ).encode("utf-8")


def _json_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _wecom_fits(payload: dict[str, Any]) -> bool:
    return len(payload["markdown"]["content"].encode("utf-8")) <= WECOM_CONTENT_BYTES


def _dingtalk_fits(payload: dict[str, Any]) -> bool:
    return len(_body(payload)) <= DINGTALK_BODY_BYTES


def _feishu_fits(payload: dict[str, Any]) -> bool:
    return len(_body(payload)) <= FEISHU_BODY_BYTES


_RENDERERS: dict[Robot, Callable[[str, str, str, list[Row]], dict[str, Any]]] = {
    Robot.WECOM: _wecom,
    Robot.DINGTALK: _dingtalk,
    Robot.FEISHU: _feishu,
}
_FITS: dict[Robot, Callable[[dict[str, Any]], bool]] = {
    Robot.WECOM: _wecom_fits,
    Robot.DINGTALK: _dingtalk_fits,
    Robot.FEISHU: _feishu_fits,
}


# -- delivering them ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    """Which message is on its way, for the one line a failure reports."""

    platform: Robot
    number: int
    count: int
    scrub: Callable[[str], str]

    def failed(
        self, reason: str, *, status: int | None = None, code: object = None
    ) -> DeliveryFailed:
        message = _("{platform} robot: message {number} of {count} not delivered: {reason}")
        text = message.format(
            platform=_platform_name(self.platform),
            number=self.number,
            count=self.count,
            reason=self.scrub(reason),
        )
        return DeliveryFailed(text, status=status, code=code)


def _platform_name(platform: Robot) -> str:
    names = {
        Robot.WECOM: _("WeCom"),
        Robot.DINGTALK: _("DingTalk"),
        Robot.FEISHU: _("Feishu"),
        Robot.WEBHOOK: _("webhook"),
    }
    return names[platform]


def _scrubber(url: str, secret: str | None) -> Callable[[str], str]:
    """Removes from a text every part of the URL after its host, and the secret, in case a
    server or the network library echoes them back."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    hidden = {url, parts.path, parts.query, unquote(parts.path), *parts.path.split("/")}
    hidden.update(value for _key, value in parse_qsl(parts.query))
    hidden.update(part for part in (parts.username, parts.password, secret) if part)
    # Short fragments ("bot", "v2") are not secrets and hiding them would garble the message.
    words = sorted((word for word in hidden if len(word) >= 8), key=len, reverse=True)

    def scrub(text: str) -> str:
        for word in words:
            text = text.replace(word, "****")
        return text

    return scrub


def _opener() -> "OpenerDirector":
    """An opener that honours proxy settings but follows no redirect: a redirected POST
    turns into a GET that "succeeds" without delivering, and would carry the token elsewhere."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirect)


def _deliver(
    opener: "OpenerDirector",
    platform: Robot,
    url: str,
    payload: Mapping[str, Any],
    where: _Where,
    secret: str | None,
    timeout: float,
    retries: int,
    sleep: Callable[[float], None],
    now: Callable[[], float],
) -> None:
    attempt = 0
    while True:
        wait = _attempt(
            opener, platform, url, payload, where, secret, timeout, now, attempt, retries
        )
        if wait is None:
            return
        sleep(wait)
        attempt += 1


def _attempt(
    opener: "OpenerDirector",
    platform: Robot,
    url: str,
    payload: Mapping[str, Any],
    where: _Where,
    secret: str | None,
    timeout: float,
    now: Callable[[], float],
    attempt: int,
    retries: int,
) -> float | None:
    """One POST: None when delivered, the seconds to wait before trying again, or raises."""
    import ssl
    import urllib.error
    from http.client import HTTPException

    request = _request(platform, url, payload, secret, now())
    last_try = attempt >= retries
    backoff = float(2**attempt)
    try:
        with opener.open(request, timeout=timeout) as response:
            answer = response.read(ANSWER_BYTES)
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
        retryable = status == 429 or status >= 500
        if not retryable or last_try:
            reason = _("HTTP {status}").format(status=status)
            detail = _platform_error(platform, _read_quietly(error))
            if detail is not None:
                reason = _("HTTP {status}, error {code}: {text}").format(
                    status=status, code=detail[0], text=detail[1]
                )
            raise where.failed(reason, status=status) from None
        return _retry_after(error.headers.get("Retry-After"), backoff, now())
    except TimeoutError:
        if last_try:
            reason = _("no answer within {seconds} s").format(seconds=f"{timeout:g}")
            raise where.failed(reason) from None
        return backoff
    except (urllib.error.URLError, HTTPException, OSError) as error:
        if last_try:
            if isinstance(getattr(error, "reason", None), TimeoutError):
                reason = _("no answer within {seconds} s").format(seconds=f"{timeout:g}")
            else:
                reason = _connection_reason(error, ssl.SSLError)
            raise where.failed(reason) from None
        return backoff
    if platform is Robot.WEBHOOK:
        return None
    detail = _platform_error(platform, answer)
    if detail is None and not _is_json_object(answer):
        raise where.failed(_("the answer is not the robot's JSON"), status=status)
    if detail is not None:
        code, text = detail
        reason = _("error {code}: {text}").format(code=code, text=text)
        raise where.failed(reason, status=status, code=code)
    return None


def _request(
    platform: Robot, url: str, payload: Mapping[str, Any], secret: str | None, when: float
) -> Any:
    import urllib.request
    from urllib.parse import urlencode, urlsplit, urlunsplit

    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "salesflow"}
    if secret is not None and platform is Robot.FEISHU:
        payload = {**payload, **sign(platform, secret, when)}
    body = _body(payload)
    if secret is not None and platform is Robot.DINGTALK:
        parts = urlsplit(url)
        extra = urlencode(sign(platform, secret, when))
        query = f"{parts.query}&{extra}" if parts.query else extra
        url = urlunsplit(parts._replace(query=query))
    if secret is not None and platform is Robot.WEBHOOK:
        headers.update(sign(platform, secret, when, body))
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def _platform_error(platform: Robot, answer: bytes) -> tuple[object, str] | None:
    """The (code, message) of a platform's error answer, or None when it reports success or
    is not one of its JSON answers."""
    import json

    if platform is Robot.WEBHOOK:
        return None
    try:
        data = json.loads(answer.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    if platform is Robot.FEISHU:
        code = data.get("code", data.get("StatusCode"))
        text = data.get("msg", data.get("StatusMessage", ""))
    else:
        code = data.get("errcode")
        text = data.get("errmsg", "")
    if code is None or code == 0:
        return None
    # WeCom appends a request hint, the caller's IP and a help link; the first part says it all.
    text = str(text).split(", hint:")[0].strip()
    return code, text[:200]


def _is_json_object(answer: bytes) -> bool:
    import json

    try:
        return isinstance(json.loads(answer.decode("utf-8")), dict)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False


def _read_quietly(error: Any) -> bytes:
    try:
        return bytes(error.read(ANSWER_BYTES))
    except OSError:
        return b""


def _retry_after(header: str | None, backoff: float, when: float) -> float:
    """Seconds to wait: Retry-After in seconds or as an HTTP date, else the backoff; capped."""
    from email.utils import parsedate_to_datetime

    if header:
        value = header.strip()
        if value.isdigit():
            return min(float(value), MAX_RETRY_WAIT)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return min(max(moment.timestamp() - when, 0.0), MAX_RETRY_WAIT)
    return min(backoff, MAX_RETRY_WAIT)


def _connection_reason(error: BaseException, tls_error: type[BaseException]) -> str:
    """Why the robot could not be reached, in words that carry no address."""
    reason: object = getattr(error, "reason", error)
    if isinstance(reason, tls_error):
        return _("the secure connection failed")
    strerror = getattr(reason, "strerror", None)
    if isinstance(strerror, str) and strerror:
        return _("cannot connect ({reason})").format(reason=strerror)
    return _("cannot connect")
