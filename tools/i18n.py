"""Keep salesflow's Chinese catalog in step with the code.

    python tools/i18n.py extract    # collect messages from salesflow/ into the .po
    python tools/i18n.py compile    # write the .mo the program reads
    python tools/i18n.py check      # exit 1 if the .mo is stale or a message lacks Chinese
    python tools/i18n.py check --scope salesflow/i18n.py   # only these files' messages

Messages are the literal first argument of `_()` and `N_()`, the docstrings of Typer
commands and callbacks (Typer shows a command's cleaned docstring as its help), and the
`help="…"` texts of options, arguments and command groups. The .po is
merged, never rewritten: translations of messages still in the code are kept, those of
messages gone from it stay at the end as obsolete entries for reuse.

Babel reads and writes the catalog files (a development tool, not needed at run time,
where the standard library's gettext reads the .mo).
"""

import argparse
import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "salesflow"
PO_PATH = PACKAGE / "locale" / "zh" / "LC_MESSAGES" / "salesflow.po"
MO_PATH = PO_PATH.with_suffix(".mo")
KEYWORDS = frozenset({"_", "N_"})
# Decorators whose function's docstring is shown as help: `@app.command()`, `@app.callback()`.
HELP_DECORATORS = frozenset({"command", "callback"})
HEADER_COMMENT = """\
# Simplified Chinese messages of salesflow; English is the source language.
# Update with `python tools/i18n.py extract`, then `python tools/i18n.py compile`.
#"""


@dataclass
class Extraction:
    messages: dict[str, list[str]] = field(default_factory=dict)  # msgid -> "path:line"
    problems: list[str] = field(default_factory=list)

    def add(self, message: str, where: str) -> None:
        self.messages.setdefault(message, []).append(where)


def extract(paths: Iterable[Path]) -> Extraction:
    """Every message in the given Python files or folders (folders are searched deeply)."""
    found = Extraction()
    for path in _python_files(paths):
        where = _relative(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        # In the order of the source, so the .po reads like the code.
        nodes = sorted(ast.walk(tree), key=lambda node: getattr(node, "lineno", 0))
        for node in nodes:
            if isinstance(node, ast.Call):
                _call_message(node, where, found)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                docstring = ast.get_docstring(node, clean=True)
                if docstring and any(_shows_help(d) for d in node.decorator_list):
                    found.add(docstring, f"{where}:{node.lineno}")
    return found


def _relative(path: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else str(path)


def _python_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def _call_message(call: ast.Call, where: str, found: Extraction) -> None:
    # Help texts Typer shows: `help="…"` of options, arguments and apps, and the help of a
    # command group made by `group(name, help)`; Typer translates them as it renders.
    for keyword in call.keywords:
        text = keyword.value.value if isinstance(keyword.value, ast.Constant) else None
        if keyword.arg == "help" and isinstance(text, str):
            found.add(text, f"{where}:{call.lineno}")
    if isinstance(call.func, ast.Name) and call.func.id == "group" and len(call.args) == 2:
        helped = call.args[1]
        if isinstance(helped, ast.Constant) and isinstance(helped.value, str):
            found.add(helped.value, f"{where}:{call.lineno}")
    if not (isinstance(call.func, ast.Name) and call.func.id in KEYWORDS and call.args):
        return
    argument = call.args[0]
    place = f"{where}:{call.lineno}"
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        found.add(argument.value, place)
    elif isinstance(argument, ast.JoinedStr):
        found.problems.append(f"{place}: an f-string in {call.func.id}(); use named placeholders")


def _shows_help(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in HELP_DECORATORS


def read_po(path: Path = PO_PATH) -> "Catalog":
    from babel.messages.pofile import read_po as babel_read_po

    with path.open("rb") as source:
        return babel_read_po(source, locale="zh", domain="salesflow")


def merge(found: Extraction, path: Path = PO_PATH) -> tuple[int, int]:
    """Bring the .po in step with `found`; returns (messages, untranslated)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    template = Catalog(domain="salesflow", project="salesflow", fuzzy=False)
    for message, places in found.messages.items():
        locations = [(place.rsplit(":", 1)[0], int(place.rsplit(":", 1)[1])) for place in places]
        template.add(message, locations=locations, flags=_flags(message))
    if path.exists():
        catalog = read_po(path)
        # Guessed translations would ship unreviewed; a new message starts empty.
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    else:
        catalog = Catalog(
            locale="zh",
            domain="salesflow",
            project="salesflow",
            header_comment=HEADER_COMMENT,
            language_team="Simplified Chinese",
            fuzzy=False,
        )
        for entry in template:
            if entry.id:
                catalog.add(entry.id, "", locations=entry.locations, flags=entry.flags)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        # Without line numbers the .po changes only when messages do.
        write_po(target, catalog, include_lineno=False, sort_by_file=False)
    untranslated = sum(1 for message in catalog if message.id and not message.string)
    return len(found.messages), untranslated


def _flags(message: str) -> list[str]:
    return ["python-brace-format"] if "{" in message else []


def compile_catalog(po_path: Path = PO_PATH, mo_path: Path = MO_PATH) -> bytes:
    """Write the .mo from the .po (fuzzy and untranslated messages left out)."""
    import io

    from babel.messages.mofile import write_mo

    compiled = io.BytesIO()
    write_mo(compiled, read_po(po_path), use_fuzzy=False)
    mo_path.write_bytes(compiled.getvalue())
    return compiled.getvalue()


def po_translations(po_path: Path = PO_PATH) -> dict[str, str]:
    """What the .mo must hold: every translated, reviewed message of the .po."""
    return {
        str(message.id): str(message.string)
        for message in read_po(po_path)
        if message.id and message.string and not message.fuzzy
    }


def mo_translations(mo_path: Path = MO_PATH) -> dict[str, str]:
    import gettext

    with mo_path.open("rb") as compiled:
        catalog: dict[str, str] = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    return {key: value for key, value in catalog.items() if key}


def unfound_by_lookup(mo_path: Path = MO_PATH) -> list[str]:
    """Messages the program's own lookup (`salesflow.i18n.Catalog`, a binary search that
    needs the .mo's originals sorted) answers differently from the standard reader."""
    from salesflow.i18n import Catalog

    catalog = Catalog.read(str(mo_path))
    return [
        message
        for message, text in mo_translations(mo_path).items()
        if catalog.gettext(message) != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["extract", "compile", "check"])
    parser.add_argument(
        "--scope",
        nargs="+",
        type=Path,
        default=[PACKAGE],
        help="check only these files or folders (extract always reads the whole package)",
    )
    options = parser.parse_args(argv)
    if options.action == "extract" and options.scope != [PACKAGE]:
        parser.error("extract reads the whole package: a narrower scan would obsolete the rest")
    found = extract(options.scope)
    for problem in found.problems:
        print(problem, file=sys.stderr)
    if options.action == "extract":
        total, untranslated = merge(found)
        print(f"{PO_PATH.relative_to(ROOT)}: {total} messages, {untranslated} untranslated")
    elif options.action == "compile":
        compile_catalog()
        print(f"{MO_PATH.relative_to(ROOT)}: {len(po_translations())} translations")
    else:
        translated = po_translations()
        missing = [message for message in found.messages if message not in translated]
        for message in missing:
            print(f"no translation: {message!r}", file=sys.stderr)
        stale = mo_translations() != translated
        if stale:
            print(f"{MO_PATH.relative_to(ROOT)} differs from its .po: run compile", file=sys.stderr)
        unfound = unfound_by_lookup()
        for message in unfound:
            print(f"the program's catalog lookup misses {message!r}", file=sys.stderr)
        return 1 if missing or stale or unfound or found.problems else 0
    return 1 if found.problems else 0


if __name__ == "__main__":
    sys.exit(main())
