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

from salesflow.errors import BadValue

LANGUAGES = ("en", "zh")
DOMAIN = "salesflow"
SETTING = "ui.language"
# The locale variables in POSIX order of precedence; LANGUAGE is GNU's list of preferences.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
SQLITE_HEADER = b"SQLite format 3\x00"
WAL_FORMAT = 2  # byte 18 of the header: 1 rollback journal, 2 write-ahead log

# English needs no catalog: until `install("zh")`, every message is its own translation.
_translate: Callable[[str], str] | None = None
_language = "en"


def _(message: str) -> str:
    """The message in the user's language (English until a catalog is loaded)."""
    if _translate is None or not message:
        return message  # gettext would answer "" with the catalog's header
    return _translate(message)


def N_(message: str) -> str:
    """Mark `message` for the catalog without translating it now."""
    return message


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
        # Parsing the catalog costs about 2 ms; a run that says nothing (a cron `remind`
        # with nothing due) never pays it.
        global _translate
        import gettext

        with open(path, "rb") as compiled:
            _translate = gettext.GNUTranslations(compiled).gettext
        return _translate(message)

    _translate, _language = load_then_translate, language


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
    import gettext

    try:
        with open(catalog_path("zh"), "rb") as compiled:
            chinese = gettext.GNUTranslations(compiled).gettext(message)
    except OSError:
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
