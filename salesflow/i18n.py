"""The language people read: English is the source; a catalog gives Simplified Chinese.

Wrap every string a person reads in `_()` and fill placeholders after translating:
`_("unit {code} is taken by deal #{deal}").format(code=code, deal=deal_id)`, so the
catalog holds one sentence with named placeholders. `N_()` only marks a message for the
catalog, for text translated later (tables of messages, or both languages at once).

The language is chosen once per process, before anything is printed: `choose_language()`
reads the command line and the environment, `install()` loads the catalog. The catalog is
the compiled `locale/<language>/LC_MESSAGES/salesflow.mo` beside this module.
"""

import os
from collections.abc import Callable, Mapping
from typing import Any

from salesflow.errors import BadValue

LANGUAGES = ("en", "zh")
DOMAIN = "salesflow"
SETTING = "ui.language"
# The locale variables in POSIX order of precedence; LANGUAGE is GNU's list of preferences.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
SQLITE_HEADER = b"SQLite format 3\x00"
WAL_FORMAT = 2  # byte 18 of the header: 1 rollback journal, 2 write-ahead log
MO_MAGIC, MO_MAGIC_SWAPPED = 0x950412DE, 0xDE120495  # a .mo's first word, in either order

# English needs no catalog: until `install("zh")`, every message is its own translation.
_translate: Callable[[str], str] | None = None
_language = "en"


def _(message: str) -> str:
    """The message in the user's language (English until a catalog is loaded)."""
    if _translate is None:
        return message
    return _translate(message)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it now."""
    return message


def labelled(values: dict[str, Any]) -> dict[str, Any]:
    """`values` for a message in the user's language: a value carried with its Chinese
    label (`stage` with `stage_zh`, as a built-in stage is) reads as that label in Chinese."""
    if _language != "zh":
        return values
    return {key: values.get(f"{key}_zh") or value for key, value in values.items()}


def current_language() -> str:
    """The language `_()` answers in ("en" until `install()` chose another)."""
    return _language


def catalog_path(language: str) -> str:
    return os.path.join(
        os.path.dirname(__file__), "locale", language, "LC_MESSAGES", f"{DOMAIN}.mo"
    )


def install(language: str) -> None:
    """Make `_()` answer in `language` for the rest of the process."""
    global _translate, _language
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for {language!r}")
    if language == "en":
        _translate, _language = None, "en"
        return
    path = catalog_path(language)
    if not os.path.isfile(path):
        raise FileNotFoundError(path)

    def load_then_translate(message: str) -> str:
        # A run that says nothing (a cron `remind` with nothing due) never reads the file.
        global _translate
        _translate = Catalog.read(path).gettext
        return _translate(message)

    _translate, _language = load_then_translate, language


class Catalog:
    """A compiled gettext catalog (.mo), looked up where it lies.

    The standard library's `gettext.GNUTranslations` decodes all 1,400 entries up front
    (about 1.3 ms, a few percent of a run's start) to answer the few dozen messages a run
    prints. A .mo keeps its original strings sorted (the format promises it, and
    `tools/i18n.py check` tests this catalog against the standard reader message by
    message), so one message is found by a binary search over the table of originals,
    and each answer is remembered.
    """

    def __init__(self, data: bytes) -> None:
        import struct

        magic = struct.unpack_from("<I", data)[0] if len(data) >= 20 else 0
        if magic == MO_MAGIC:
            order = "<"
        elif magic == MO_MAGIC_SWAPPED:
            order = ">"
        else:
            raise ValueError("not a compiled gettext catalog")
        self._pair = struct.Struct(order + "II").unpack_from
        self._count, self._originals, self._translations = struct.unpack_from(
            order + "III", data, 8
        )
        if max(self._originals, self._translations) + 8 * self._count > len(data):
            raise ValueError("a compiled gettext catalog cut short")
        self._data = data
        self._found: dict[str, str] = {}

    @classmethod
    def read(cls, path: str) -> "Catalog":
        with open(path, "rb") as compiled:
            return cls(compiled.read())

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message` itself when the catalog lacks it
        ("" too, which a .mo keys its header by)."""
        if not message:
            return message
        found = self._found.get(message)
        if found is None:
            found = self._found[message] = self._search(message)
        return found

    def _search(self, message: str) -> str:
        try:
            key = message.encode()
        except UnicodeEncodeError:  # bytes typed that are not UTF-8: in no catalog
            return message
        data, pair = self._data, self._pair
        low, high = 0, self._count
        while low < high:
            middle = (low + high) // 2
            length, offset = pair(data, self._originals + 8 * middle)
            original = data[offset : offset + length]
            if offset + length > len(data):
                raise ValueError("a compiled gettext catalog cut short")
            if original < key:
                low = middle + 1
            elif original > key:
                high = middle
            else:
                length, offset = pair(data, self._translations + 8 * middle)
                if offset + length > len(data):
                    raise ValueError("a compiled gettext catalog cut short")
                return data[offset : offset + length].decode()
        return message


def choose_language(argv: list[str], environ: Mapping[str, str]) -> str:
    """ "zh" or "en": `SALESFLOW_LANG` > the book's `ui.language` > the locale variables.

    `argv` is the command line after the program name; only its `--db PATH` (before the
    subcommand) matters, to find the book the way every command does.
    """
    chosen = environ.get("SALESFLOW_LANG", "").strip()
    if chosen:
        return _known_language(chosen, N_("SALESFLOW_LANG must be zh or en, not {value!r}"))
    stored = _stored_language(_book_path(argv, environ))
    if stored is not None and stored.strip().lower() != "auto":
        return _known_language(
            stored,
            N_(
                "the setting ui.language must be zh or en, not {value!r}; "
                "change it with `salesflow config set ui.language zh`"
            ),
        )
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if variable == "LANGUAGE":
            value = value.split(":")[0]
        if value:
            return "zh" if _is_chinese_locale(value) else "en"
    return "en"


def _known_language(value: str, refusal: str) -> str:
    if value.strip().lower() in LANGUAGES:
        return value.strip().lower()
    raise BadValue(both_languages(refusal).format(value=value))


def both_languages(message: str) -> str:
    """English and Chinese side by side, for what goes wrong before a language is chosen."""
    try:
        chinese = Catalog.read(catalog_path("zh")).gettext(message)
    except (OSError, ValueError):  # no catalog, or a damaged one: English alone
        return message
    return message if chinese == message else f"{message} / {chinese}"


def _is_chinese_locale(value: str) -> bool:
    """zh, zh_CN, zh_CN.UTF-8, zh_SG, zh-Hans, zh@pinyin… are Chinese; C, POSIX, en_US are not."""
    language = value.strip().lower()
    for separator in "_-.@":
        language = language.partition(separator)[0]
    return language == "zh"


def _book_path(argv: list[str], environ: Mapping[str, str]) -> str:
    """The book the command will open: `--db PATH` > `SALESFLOW_DB` > the per-user default.

    Mirrors `salesflow.db.resolve_path` without importing it: that module loads sqlite3,
    which `--help` on a machine without a book must not pay for.
    """
    words = iter(argv)
    for word in words:
        if word == "--db":
            option = next(words, "")
            if option:
                return os.path.expanduser(option)
        elif word.startswith("--db="):
            if word[len("--db=") :]:
                return os.path.expanduser(word[len("--db=") :])
        elif word == "--" or not word.startswith("-"):
            break  # the subcommand: its options are not the book's
    chosen = environ.get("SALESFLOW_DB", "")
    if chosen:
        return os.path.expanduser(chosen)
    from platformdirs import user_data_dir

    return os.path.join(user_data_dir("salesflow", appauthor=False), "salesflow.db")


def _stored_language(path: str) -> str | None:
    """The book's `ui.language`, or None when there is no book, table or row to read."""
    try:
        with open(path, "rb") as book:
            header = book.read(20)
    except OSError:
        return None  # no book yet (or unreadable): nothing may be created to find out
    if header[:16] != SQLITE_HEADER:
        return None
    import sqlite3

    # SQLite URIs give ? # % a meaning; everything else in a path stands for itself.
    quoted = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    options = "mode=ro"
    if header[18] == WAL_FORMAT and not os.path.exists(path + "-wal"):
        # A read-only connection to a WAL book creates -wal/-shm files and cannot remove
        # them; with no -wal no one has the book open and it holds every change.
        options += "&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{quoted}?{options}", uri=True, timeout=0)
        try:
            row = conn.execute("SELECT value FROM settings WHERE key = ?", [SETTING]).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # not a book, an older one, or locked: the environment decides
    return None if row is None else str(row[0])
