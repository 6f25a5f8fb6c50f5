"""Phone address books: vCard 2.1, 3.0 and 4.0 cards in, vCard 3.0 out.

Reading keeps vobject for the content-line grammar (groups, quoted parameters) and its
quoted-printable decoding with the card's CHARSET, but not for the rest:

- its line unfolding numbers lines wrongly after a blank line, and every error must name
  the card's line, so physical lines are joined here (folds and quoted-printable soft
  line breaks, which Android's 2.1 exports put inside multi-byte characters);
- its text decoding keeps only the part before the first unescaped comma
  (`FN:Wang, Li` becomes `Wang`), and 2.1 exports never escape commas, so values are
  unescaped here;
- its writer decides whether to fold a line by counting characters, so a Chinese note
  of 40 characters (120 octets) goes out unfolded; vobject builds and escapes the cards,
  and their lines are folded here at 75 octets on character boundaries.
"""

import codecs
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from salesflow.errors import BadInput
from salesflow.i18n import _
from salesflow.inputs import normalise_phone

# Han, kana, Hangul and their compatibility blocks: names written family-first, no space.
CJK = (
    r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    r"\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003ffff]"
)
COMPOUND_SURNAMES = frozenset(
    ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
     "令狐", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "歐陽", "諸葛", "東方", "長孫")
)  # fmt: skip
# Phone labels as vCard TYPE values and iPhone's X-ABLabel words → the profile key's suffix.
PHONE_LABELS = {
    "cell": "mobile",
    "mobile": "mobile",
    "iphone": "mobile",
    "work": "work",
    "home": "home",
    "main": "main",
    "fax": "fax",
    "homefax": "fax",
    "workfax": "fax",
    "pager": "pager",
    "other": "other",
}
MOBILE_TYPES = frozenset({"cell", "mobile", "iphone"})
APPLE_LABEL = r"_\$!<(.*)>!\$_"
BIRTHDAY = r"(?:(\d{4})|-)-(\d{1,2})-(\d{1,2})|(?:(\d{4})|--)(\d{2})(\d{2})"
STRUCTURED_PART = r"((?:\\.|[^;\\])*\\?);"  # a component and the semicolon that ends it
TEXT_ESCAPE = r"\\([\\;,:nN])"
CONTROL = r"[\x00-\x08\x0b-\x1f\x7f]"


class BadCard(BadInput):
    """A vCard file, or a card in it, cannot become a customer (exit 65)."""

    def __init__(self, message: str, problems: Iterable["CardProblem"] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


@dataclass(frozen=True)
class CardProblem:
    """Why one card cannot be imported; `line` is the line the problem is on."""

    number: int
    line: int
    reason: str

    def __str__(self) -> str:
        return _("card {number} (line {line}): {reason}").format(
            number=self.number, line=self.line, reason=self.reason
        )


@dataclass(frozen=True)
class Card:
    """One contact as customer fields (the import's canonical names) and profile facts."""

    number: int
    line: int
    fields: dict[str, str]
    profile: dict[str, str] = field(default_factory=dict)
    uid: str | None = None


@dataclass(frozen=True)
class _Property:
    name: str
    group: str | None
    types: frozenset[str]
    params: dict[str, list[str]]
    value: str
    line: int


# ---------------------------------------------------------------- reading


def read_cards(data: bytes) -> list[Card]:
    """Every card of a .vcf file, or BadCard naming every card that cannot be imported."""
    cards, problems = scan_cards(data)
    if problems:
        raise BadCard("; ".join(str(problem) for problem in problems), problems)
    return cards


def scan_cards(data: bytes) -> tuple[list[Card], list[CardProblem]]:
    """The readable cards and the problems of the others (for --skip-invalid imports).

    A file that is not a vCard file at all raises BadCard.
    """
    cards: list[Card] = []
    problems: list[CardProblem] = []
    for number, begin, lines in _card_chunks(_logical_lines(_decode(data))):
        try:
            cards.append(_card(number, begin, lines))
        except _CardError as error:
            problems.append(CardProblem(number, error.line, error.reason))
    return cards, problems


def looks_like_vcard(head: bytes) -> bool:
    """Whether a file's first bytes open a vCard, in any encoding `read_cards` reads."""
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom) :].decode(encoding, errors="ignore")
            break
    else:
        text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="ignore")
    return text.lstrip().upper().replace(" ", "").startswith("BEGIN:VCARD")


def card_texts(data: bytes) -> dict[int, str]:
    """Each card's lines as the file has them (CRLF), by card number: what a rejects file
    gives back to be fixed and imported again."""
    texts: dict[int, str] = {}
    number = depth = 0
    current: list[str] = []
    for line in re.split(r"\r\n|\r|\n", _decode(data)):
        marker = line.strip().upper().replace(" ", "")
        if depth == 0 and marker != "BEGIN:VCARD":
            continue
        if marker == "BEGIN:VCARD":
            if depth == 0:
                number, current = number + 1, []
            depth += 1
        current.append(line)
        if marker == "END:VCARD":
            depth -= 1
            if depth == 0:
                texts[number] = "\r\n".join(current) + "\r\n"
    return texts


class _CardError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        # the same rule as CSV imports: strict UTF-8 (BOM or not), else Chinese Windows text
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadCard(_("not a vCard file: the text is neither UTF-8 nor GB18030"))


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, unfolded line), joining folds and quoted-printable soft line breaks."""
    physical = re.split(r"\r\n|\r|\n", text)
    logical: list[tuple[int, str]] = []
    index = 0
    while index < len(physical):
        number, line = index + 1, physical[index]
        index += 1
        if not line.strip():
            continue
        if line[0] in " \t" and logical:
            logical[-1] = (logical[-1][0], logical[-1][1] + line[1:])
            continue
        head = line.partition(":")[0].upper()
        if "QUOTED-PRINTABLE" in head:
            while line.endswith("=") and index < len(physical):
                line = line[:-1] + physical[index]
                index += 1
        logical.append((number, line))
    return logical


def _card_chunks(
    lines: list[tuple[int, str]],
) -> Iterator[tuple[int, int, list[tuple[int, str]]]]:
    """(card number, line of BEGIN:VCARD, the card's lines without BEGIN/END)."""
    number = depth = begin = 0
    body: list[tuple[int, str]] = []
    for line_number, line in lines:
        marker = line.strip().upper().replace(" ", "")
        if depth == 0:
            if marker != "BEGIN:VCARD":
                if number == 0:
                    raise BadCard(
                        _("not a vCard file: line {line} is not BEGIN:VCARD").format(
                            line=line_number
                        )
                    )
                raise BadCard(
                    _("line {line}: text after the end of card {number}").format(
                        line=line_number, number=number
                    )
                )
            number, depth, begin, body = number + 1, 1, line_number, []
            continue
        if marker == "BEGIN:VCARD":  # a 2.1 AGENT card nested inside this one
            depth += 1
        elif marker == "END:VCARD":
            depth -= 1
            if depth == 0:
                yield number, begin, body
                continue
        body.append((line_number, line))
    if depth:
        raise BadCard(
            _("card {number} (line {line}): no END:VCARD; the file is cut short").format(
                number=number, line=begin
            )
        )
    if number == 0:
        raise BadCard(_("not a vCard file: no BEGIN:VCARD found"))


def _properties(lines: list[tuple[int, str]]) -> list[_Property]:
    from vobject.base import ParseError, textLineToContentLine  # type: ignore[import-untyped]

    properties = []
    depth = 0
    for number, line in lines:
        marker = line.strip().upper().replace(" ", "")
        if marker == "BEGIN:VCARD" or depth:  # skip a nested AGENT card
            depth += (marker == "BEGIN:VCARD") - (marker == "END:VCARD")
            continue
        try:
            content = textLineToContentLine(line, number)
        except ParseError:
            raise _CardError(number, _("the line is not a vCard property")) from None
        except (LookupError, UnicodeDecodeError):
            raise _CardError(
                number, _("the value's CHARSET is unknown or does not match its bytes")
            ) from None
        params = {key.upper(): list(values) for key, values in content.params.items()}
        types = {value.lower() for value in content.singletonparams}
        for value in params.get("TYPE", []):
            types.update(part.strip().strip('"').lower() for part in value.split(","))
        properties.append(
            _Property(
                name=content.name.upper(),
                group=content.group.lower() if content.group else None,
                types=frozenset(types - {""}),
                params=params,
                value=content.value,
                line=number,
            )
        )
    return properties


def _unescape(value: str) -> str:
    text = re.sub(TEXT_ESCAPE, lambda m: "\n" if m[1] in "nN" else m[1], value)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _components(value: str) -> list[str]:
    """A structured value (N, ADR, ORG) split at unescaped semicolons, each unescaped."""
    return [_unescape(part).strip() for part in re.findall(STRUCTURED_PART, value + ";")]


def _has_cjk(text: str) -> bool:
    return re.search(CJK, text) is not None


def _card(number: int, begin: int, lines: list[tuple[int, str]]) -> Card:
    properties = _properties(lines)
    labels = {
        prop.group: prop.value for prop in properties if prop.name == "X-ABLABEL" and prop.group
    }
    fields: dict[str, str] = {}
    profile: dict[str, str] = {}
    name = _name(properties)
    if not name:
        raise _CardError(begin, _("no name (FN, N or ORG)"))
    fields["name"] = name
    _phones(properties, labels, fields, profile)
    _emails(properties, fields, profile)
    uid = None
    notes = []
    addresses = []
    for prop in properties:
        if prop.name == "ORG" and "company" not in fields:
            company = _components(prop.value)[0]
            if company:
                fields["company"] = company
        elif prop.name == "TITLE" and "title" not in profile and prop.value.strip():
            profile["title"] = " ".join(_unescape(prop.value).split())
        elif prop.name == "BDAY" and prop.value.strip():
            profile["birthday"] = _birthday(prop)
        elif prop.name == "NOTE" and _unescape(prop.value).strip():
            notes.append(_unescape(prop.value).strip())
        elif prop.name == "ADR" and (address := _address(_components(prop.value))):
            addresses.append(address)
        elif prop.name == "UID" and prop.value.strip():
            uid = prop.value.strip()
    if notes:
        fields["notes"] = "\n".join(notes)
    for index, address in enumerate(dict.fromkeys(addresses)):
        if index == 0:
            fields["address"] = address
        else:
            profile[f"address{index + 1}"] = address
    return Card(number=number, line=begin, fields=fields, profile=profile, uid=uid)


def _name(properties: list[_Property]) -> str:
    full = next((" ".join(_unescape(p.value).split()) for p in properties if p.name == "FN"), "")
    structured = next((_components(p.value) for p in properties if p.name == "N"), [])
    family, given, additional = [*structured, "", "", ""][:3]
    if _has_cjk(family + given):
        from_parts = family + additional + given
        # some phones build FN as "given family" even for Chinese names: 三 张
        if not full or "".join(full.split()) in (from_parts, given + additional + family):
            return from_parts
        return full
    if full:
        return full
    western = " ".join(part for part in (given, additional, family) if part)
    if western:
        return western
    return next(
        (_components(p.value)[0] for p in properties if p.name == "ORG" and p.value.strip()), ""
    )


def _phone_label(prop: _Property, labels: dict[str, str]) -> str | None:
    for vcard_type in ("cell", "mobile", "iphone", "work", "home", "main", "pager", "other"):
        if vcard_type in prop.types:
            return "fax" if "fax" in prop.types else PHONE_LABELS[vcard_type]
    if "fax" in prop.types:
        return "fax"
    label = labels.get(prop.group, "") if prop.group else ""
    if not label:
        return None
    apple = re.fullmatch(APPLE_LABEL, label)
    word = (apple[1] if apple else label).strip().lower()
    return PHONE_LABELS.get(word, word) or None


def _phones(
    properties: list[_Property],
    labels: dict[str, str],
    fields: dict[str, str],
    profile: dict[str, str],
) -> None:
    phones: list[tuple[str, str | None]] = []
    seen: set[str] = set()
    for prop in properties:
        if prop.name != "TEL":
            continue
        number = re.sub(r"(?i)^tel:", "", _unescape(prop.value).strip()).strip()
        identity = normalise_phone(number) or number
        if not number or identity in seen:
            continue
        seen.add(identity)
        phones.append((number, _phone_label(prop, labels)))
    if not phones:
        return
    primary = next((i for i, (_, label) in enumerate(phones) if label == "mobile"), 0)
    fields["phone"] = phones.pop(primary)[0]
    unlabelled = 2
    for number, label in phones:
        if label is None:
            while f"phone{unlabelled}" in profile:
                unlabelled += 1
            profile[f"phone{unlabelled}"] = number
            continue
        key, count = f"phone.{label}", 1
        while key in profile:
            count += 1
            key = f"phone.{label}{count}"
        profile[key] = number


def _emails(properties: list[_Property], fields: dict[str, str], profile: dict[str, str]) -> None:
    emails = [
        address
        for address in dict.fromkeys(
            re.sub(r"(?i)^mailto:", "", _unescape(p.value).strip())
            for p in properties
            if p.name == "EMAIL"
        )
        if address
    ]
    for index, address in enumerate(emails):
        if index == 0:
            fields["email"] = address
        else:
            profile[f"email{index + 1}"] = address


def _birthday(prop: _Property) -> str:
    value = prop.value.strip().partition("T")[0]
    match = re.fullmatch(BIRTHDAY, value)
    if match:
        year = match[1] or match[4]
        month, day = int(match[2] or match[5]), int(match[3] or match[6])
        # iPhone stores a birthday without a year as year 1604 and says so in a parameter
        if year in (*prop.params.get("X-APPLE-OMIT-YEAR", []), "0000"):
            year = None
        try:
            date(int(year or 2000), month, day)
        except ValueError:
            pass
        else:
            return f"{year}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d}"
    raise _CardError(prop.line, _("birthday is not a date (YYYY-MM-DD or --MMDD)"))


def _address(parts: list[str]) -> str:
    pobox, extended, street, locality, region, code, country = (parts + [""] * 7)[:7]
    if _has_cjk("".join(parts)):
        # largest first, no separators: 江苏省南京市中山路1号; Android often repeats the city
        # inside the street line, so a part already contained in a later one is dropped
        ordered = [
            " ".join(part.replace("\n", "").split())
            for part in (country, region, locality, street, extended, pobox)
            if part
        ]
        kept = [
            part
            for i, part in enumerate(ordered)
            if not any(part in later for later in ordered[i + 1 :])
        ]
        joined = "".join(kept)
        return f"{joined} {code}" if code else joined
    street_lines = [", ".join(line.strip() for line in part.split("\n") if line.strip())
                    for part in (pobox, street, extended)]  # fmt: skip
    region_code = " ".join(part for part in (region, code) if part)
    ordered = [part for part in (*street_lines, locality, region_code, country) if part]
    return ", ".join(dict.fromkeys(ordered))


# ---------------------------------------------------------------- writing


def write_cards(customers: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    """Each customer as one vCard 3.0 that phones import: built and escaped by vobject,
    CRLF lines folded at 75 octets on character boundaries.

    The UID `salesflow-customer-<id>` lets a phone update the contact on a second import.
    Profile facts written back: title, birthday, and the phones and e-mails `read_cards`
    keeps in the profile.
    """
    for customer in customers:
        # vobject decides whether to fold by counting characters, so a Chinese line of 40
        # characters (120 octets) would go out whole: it writes the lines, we fold them.
        lines = _card_of(customer).serialize(lineLength=UNFOLDED).split("\r\n")
        yield "".join(_fold(line) for line in lines if line)


def _card_of(customer: Mapping[str, Any]) -> Any:
    import vobject

    card = vobject.vCard()
    name = _clean(str(customer.get("name") or ""))
    profile = _profile_of(customer.get("profile"))
    family, given = _split_name(name)
    card.add("n").value = vobject.vcard.Name(family=family, given=given)
    card.add("fn").value = name

    def add(kind: str, value: Any, type_param: str | None = None) -> None:
        line = card.add(kind)
        line.value = value
        if type_param:
            line.type_param = type_param

    if company := _text(customer, "company"):
        add("org", [company])
    if title := profile.get("title"):
        add("title", _clean(title))
    if phone := _text(customer, "phone"):
        add("tel", phone, "CELL")
    for key, number in profile.items():
        if match := re.fullmatch(r"phone(?:\.([^\d]+))?\d*", key):
            label = (match[1] or "").lower()
            kind = {"mobile": "CELL", "work": "WORK", "home": "HOME", "fax": "FAX",
                    "pager": "PAGER", "main": "MAIN"}.get(label, "VOICE")  # fmt: skip
            add("tel", _clean(number), kind)
    if email := _text(customer, "email"):
        add("email", email, "INTERNET")
    for key, address in profile.items():
        if re.fullmatch(r"email\d+", key):
            add("email", _clean(address), "INTERNET")
    if address := _text(customer, "address"):
        add("adr", vobject.vcard.Address(street=address))
    if birthday := _vcard_birthday(profile.get("birthday", "")):
        add("bday", birthday)
    if notes := _text(customer, "notes", keep_lines=True):
        add("note", notes)
    if customer.get("id") is not None:
        add("uid", f"salesflow-customer-{customer['id']}")
    return card


def _text(customer: Mapping[str, Any], key: str, *, keep_lines: bool = False) -> str:
    value = customer.get(key)
    if value is None:
        return ""
    return _clean(str(value), keep_lines=keep_lines)


def _clean(value: str, *, keep_lines: bool = False) -> str:
    value = re.sub(CONTROL, "", value.replace("\r\n", "\n"))
    return value.strip() if keep_lines else " ".join(value.split())


def _profile_of(value: Any) -> dict[str, str]:
    if not value:
        return {}
    if isinstance(value, str):  # exports keep the profile as its JSON text
        import json

        value = json.loads(value)
    return {str(key): str(fact) for key, fact in dict(value).items() if fact not in (None, "")}


def _split_name(name: str) -> tuple[str, str]:
    """(family, given) the way a phone sorts and shows the name."""
    if not name:
        return "", ""
    if re.fullmatch(f"{CJK}{{2,4}}", name):
        cut = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
        return name[:cut], name[cut:]
    words = name.split(" ")
    if _has_cjk(name) or len(words) == 1:
        return name, ""  # a company or mixed name: the phone shows it as written
    return words[-1], " ".join(words[:-1])


def _vcard_birthday(birthday: str) -> str:
    if match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", birthday):
        return f"{match[1]}-{match[2]}-{match[3]}"
    if match := re.fullmatch(r"(\d{2})-(\d{2})", birthday):
        return f"--{match[1]}{match[2]}"
    return ""


FOLD_OCTETS = 75
UNFOLDED = 1 << 30  # a line length vobject never reaches: it leaves the folding to _fold


def _fold(line: str) -> str:
    """The line with CRLF, folded so no physical line exceeds 75 octets (RFC 2426 §2.6)."""
    if len(line.encode()) <= FOLD_OCTETS:
        return line + "\r\n"
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode())
        if size + width > FOLD_OCTETS:
            pieces.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += width
    pieces.append("".join(current))
    return "\r\n".join(pieces) + "\r\n"
