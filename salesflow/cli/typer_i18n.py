"""Typer's and its bundled Click's own words (usage, help headings, usage errors) in the
user's language.

Typer ≥ 0.26 vendors Click without gettext. What reaches the user comes from three places:

- typer/core.py and typer/rich_utils.py call `gettext.gettext` ("Options", "Arguments",
  "Commands", "default: {default}", "required", "Missing command.", "No such command…",
  "Aborted!", the rich panel titles). They bind it by `from gettext import gettext as _`,
  rich_utils even translates its constants at import, so the catalog must be in place
  before they are imported; `prepare()` also rebinds it in typer.core when that was
  imported first.
- The vendored Click writes plain English: "Usage: ", "[OPTIONS]", "Show this message and
  exit.", "Try '… -h' for help.", "Error: …" and the usage errors. They are rendered here
  at the few points every one of them passes through: the usage line, a parameter's help
  record, the help of a command, and the `show()` of an error.
- Usage-error messages are built by f-strings deep in the parser and the parameter types;
  `translated_message()` recognises each English form and rebuilds it from the catalog,
  translating the nested reason of "Invalid value for …: <reason>" too.

Every rendering goes through `salesflow.i18n._`, so English stays byte-for-byte Typer's.
"""

import re
import sys
from typing import IO, Any

from salesflow.i18n import N_, _, install
from salesflow.widths import char_width, text_width

# (English form, catalog message, groups whose text is translated in turn)
MESSAGE_FORMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        r"(?P<message>.+)\. Did you mean (?P<suggestions>.+)\?",
        N_("{message}. Did you mean {suggestions}?"),
        ("message",),
    ),
    (
        r"Invalid value for (?P<name>.+?): (?P<reason>.+)",
        N_("Invalid value for {name}: {reason}"),
        ("reason",),
    ),
    (r"Invalid value: (?P<reason>.+)", N_("Invalid value: {reason}"), ("reason",)),
    (r"Missing argument (?P<name>[^ ]+)\.", N_("Missing argument {name}."), ()),
    (r"Missing option (?P<name>.+?)\.", N_("Missing option {name}."), ()),
    (r"Missing parameter (?P<name>.+?)\.", N_("Missing parameter {name}."), ()),
    (
        r"(?P<message>Missing (?:argument|option|parameter) .+?\.) (?P<detail>.+)",
        N_("{message} {detail}"),
        ("message", "detail"),
    ),
    (r"Choose from:\n\t(?P<choices>.+)", N_("Choose from:\n\t{choices}"), ()),
    (
        r"(?P<message>No such option: .+) \(Possible options: (?P<options>.+)\)",
        N_("{message} (Possible options: {options})"),
        ("message",),
    ),
    (r"No such option: (?P<name>.+)", N_("No such option: {name}"), ()),
    (
        r"Got unexpected extra argument\(s\) \((?P<arguments>.*)\)",
        N_("Got unexpected extra argument(s) ({arguments})"),
        (),
    ),
    (
        r"Option (?P<name>'.+?') does not take a value\.",
        N_("Option {name} does not take a value."),
        (),
    ),
    (
        r"Option (?P<name>'.+?') requires an argument\.",
        N_("Option {name} requires an argument."),
        (),
    ),
    (
        r"Option (?P<name>'.+?') requires (?P<count>\d+) arguments\.",
        N_("Option {name} requires {count} arguments."),
        (),
    ),
    (
        r"Argument (?P<name>'.+?') takes (?P<count>\d+) values\.",
        N_("Argument {name} takes {count} values."),
        (),
    ),
    (
        r"Takes (?P<count>\d+) values but (?P<given>\d+) given\.",
        N_("Takes {count} values but {given} given."),
        (),
    ),
    (
        r"(?P<count>\d+) values are required, but (?P<given>\d+) given\.",
        N_("{count} values are required, but {given} given."),
        (),
    ),
    (r"(?P<value>.+?) is not one of (?P<choices>.+)\.", N_("{value} is not one of {choices}."), ()),
    (r"(?P<value>.+?) is not a valid int(?: range)?\.", N_("{value} is not a valid integer."), ()),
    (r"(?P<value>.+?) is not a valid float(?: range)?\.", N_("{value} is not a valid number."), ()),
    (r"(?P<value>.+?) is not a valid UUID\.", N_("{value} is not a valid UUID."), ()),
    (
        r"(?P<value>.+?) is not a valid boolean\. Recognized values: (?P<values>.+)",
        N_("{value} is not a valid boolean. Recognized values: {values}"),
        (),
    ),
    (
        r"(?P<value>.+?) is not in the range (?P<range>.+)\.",
        N_("{value} is not in the range {range}."),
        (),
    ),
    (
        r"(?P<value>.+?) does not match the formats (?P<formats>.+)\.",
        N_("{value} does not match the formats {formats}."),
        (),
    ),
    (
        r"(?P<kind>File|Directory|Path) (?P<path>'.+') does not exist\.",
        N_("{kind} {path} does not exist."),
        ("kind",),
    ),
    (
        r"(?P<kind>File|Directory|Path) (?P<path>'.+') is a file\.",
        N_("{kind} {path} is a file."),
        ("kind",),
    ),
    (
        r"(?P<kind>File|Directory|Path) (?P<path>'.+') is a directory\.",
        N_("{kind} {path} is a directory."),
        ("kind",),
    ),
    (
        r"(?P<kind>File|Directory|Path) (?P<path>'.+') is not readable\.",
        N_("{kind} {path} is not readable."),
        ("kind",),
    ),
    (
        r"(?P<kind>File|Directory|Path) (?P<path>'.+') is not writable\.",
        N_("{kind} {path} is not writable."),
        ("kind",),
    ),
    (
        r"Could not open file (?P<name>'.+?'): (?P<reason>.+)",
        N_("Could not open file {name}: {reason}"),
        (),
    ),
    (r"Value must be an iterable\.", N_("Value must be an iterable."), ()),
)

# Words Typer and Click print that are whole catalog messages; listed so the catalog has
# them although they are written in the libraries, not here.
FRAMEWORK_MESSAGES = (
    N_("Usage: "),
    N_("{heading}:"),
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
    N_("Arguments"),
    N_("Options"),
    N_("Commands"),
    N_("Error"),
    N_("default: {default}"),
    N_("required"),
    N_("env var: {var}"),
    N_("(dynamic)"),
    N_("(deprecated) "),
    N_("[default: {}]"),
    N_("[env var: {}]"),
    N_("[required]"),
    N_("Aborted!"),
    N_("Aborted."),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("Try [blue]'{command_path} {help_option}'[/] for help."),
    N_("Try '{command} {option}' for help."),
    N_("Error: {message}"),
    N_("Show this message and exit."),
    N_("Install completion for the current shell."),
    N_("Show completion for the current shell, to copy it or customize the installation."),
    N_("Install completion for the specified shell."),
    N_("Show completion for the specified shell, to copy it or customize the installation."),
    N_("Error: invalid input"),
    N_("Error: The value you entered was invalid."),
    N_("Error: The two entered values do not match."),
    N_("File"),
    N_("Directory"),
    N_("Path"),
    N_("<str>"),
    N_("<int>"),
    N_("<int range>"),
    N_("<float>"),
    N_("<float range>"),
    N_("<boolean>"),
    N_("<datetime>"),
    N_("<uuid>"),
    N_("<filename>"),
    N_("<file>"),
    N_("<directory>"),
    N_("<path>"),
)

# rich_utils' constants, translated when it was imported before the catalog was in place.
RICH_CONSTANTS = {
    "DEPRECATED_STRING": "(deprecated) ",
    "DEFAULT_STRING": "[default: {}]",
    "ENVVAR_STRING": "[env var: {}]",
    "REQUIRED_LONG_STRING": "[required]",
    "ARGUMENTS_PANEL_TITLE": "Arguments",
    "OPTIONS_PANEL_TITLE": "Options",
    "COMMANDS_PANEL_TITLE": "Commands",
    "ERRORS_PANEL_TITLE": "Error",
    "ABORTED_TEXT": "Aborted.",
    "RICH_HELP": "Try [blue]'{command_path} {help_option}'[/] for help.",
}

_compiled_forms: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = []
_patched = False


def prepare(language: str) -> None:
    """Speak `language` in everything Typer and Click print. Call before `import typer`.

    English loads nothing and changes nothing. Any other language installs the catalog,
    hands it to gettext for Typer's own calls, and patches the vendored Click's few
    rendering points; calling it again only switches the language.
    """
    install(language)
    if language == "en":
        return
    import gettext

    # Typer looks gettext.gettext up once, when its modules are imported.
    gettext.gettext = _
    _patch_typer()


def translated_message(message: str) -> str:
    """A usage-error message from Typer or Click, in the user's language."""
    translated = _(message)
    if translated != message:
        return translated
    if not _compiled_forms:
        _compiled_forms.extend(
            (re.compile(form, re.DOTALL), template, nested)
            for form, template, nested in MESSAGE_FORMS
        )
    for form, template, nested in _compiled_forms:
        match = form.fullmatch(message)
        if match is None:
            continue
        values = match.groupdict()
        for name in nested:
            values[name] = translated_message(values[name])
        if "suggestions" in values:
            # Typer strips "." before its suggestion; the translation may end in "。".
            values["message"] = values["message"].rstrip("。.")
        return _(template).format(**values)
    return message


def _patch_typer() -> None:
    global _patched
    if _patched:
        return
    _patched = True
    import typer.core
    from typer import _click
    from typer._click import exceptions, formatting, termui

    typer.core._ = _  # type: ignore[attr-defined]  # imported before prepare()
    rich_utils = sys.modules.get("typer.rich_utils")
    if rich_utils is not None:
        for constant, message in RICH_CONSTANTS.items():
            setattr(rich_utils, constant, _(message))

    write_usage = formatting.HelpFormatter.write_usage

    def write_translated_usage(
        self: Any, prog: str, args: str = "", prefix: str | None = None
    ) -> None:
        write_usage(self, prog, args, _("Usage: ") if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = write_translated_usage  # type: ignore[method-assign]

    strip_ansi = _click._compat.strip_ansi

    def display_width(text: str) -> int:
        # Click pads help columns by character count; a Chinese character takes two columns.
        return text_width(strip_ansi(text))

    formatting.term_len = display_width  # type: ignore[assignment]
    wrap_text = formatting.wrap_text

    def wrap_by_display_width(
        text: str,
        width: int = 78,
        initial_indent: str = "",
        subsequent_indent: str = "",
        preserve_paragraphs: bool = False,
    ) -> str:
        # Click wraps at spaces counting characters; Chinese has no spaces and its
        # characters take two columns, so its lines are broken again where they are wide.
        wrapped = wrap_text(text, width, initial_indent, subsequent_indent, preserve_paragraphs)
        return "\n".join(
            piece
            for line in wrapped.split("\n")
            for piece in fitted(line, width, subsequent_indent)
        )

    formatting.wrap_text = wrap_by_display_width

    def write_translated_heading(self: Any, heading: str) -> None:
        # Click adds an ASCII colon to "Options"; Chinese punctuation is full width.
        self.write(f"{'':>{self.current_indent}}{_('{heading}:').format(heading=heading)}\n")

    formatting.HelpFormatter.write_heading = write_translated_heading  # type: ignore[method-assign]

    for command_class in (_click.core.Command, typer.core.TyperGroup):
        command_class.collect_usage_pieces = _translating_pieces(  # type: ignore[method-assign]
            command_class.collect_usage_pieces
        )
    typer_commands: tuple[type[Any], ...] = (typer.core.TyperCommand, typer.core.TyperGroup)
    for command_class in typer_commands:
        command_class.format_help = _with_command_texts(command_class.format_help)  # type: ignore[method-assign]
    _click.core.Command.get_short_help_str = _with_command_texts(  # type: ignore[method-assign]
        _click.core.Command.get_short_help_str
    )
    for parameter_class in (typer.core.TyperOption, typer.core.TyperArgument):
        parameter_class.get_help_record = _with_parameter_help(  # type: ignore[method-assign]
            parameter_class.get_help_record
        )
    typer.core.TyperOption.make_metavar = _translating_metavar(  # type: ignore[method-assign]
        typer.core.TyperOption.make_metavar
    )

    exceptions.ClickException.show = _show_error  # type: ignore[method-assign]
    exceptions.UsageError.show = _show_usage_error  # type: ignore[method-assign]
    echo = termui.echo

    def echo_translated(message: Any = None, *args: Any, **kwargs: Any) -> None:
        echo(_translated_line(message) if isinstance(message, str) else message, *args, **kwargs)

    # Only termui's own prompts print through its module-level `echo`.
    termui.echo = echo_translated  # type: ignore[assignment]


# Punctuation a line does not begin with, and what it does not end with.
NO_LINE_START = frozenset("，。、；：！？）》」』】〕…’”%)]},;:!?")
NO_LINE_END = frozenset("（《「『【〔‘“([{<")


def fitted(line: str, width: int, indent: str = "") -> list[str]:
    """`line` in lines of at most `width` display columns (a Chinese character takes two),
    broken at a space or beside a Chinese character, never before closing punctuation nor
    after an opening bracket; continuation lines start with the line's own indent, else
    `indent`. A word wider than the width runs over it, as little as it can."""
    own = line[: len(line) - len(line.lstrip(" "))]
    indent = own or indent
    pieces: list[str] = []
    while text_width(line) > width:
        cut = _last_cut(line, width)
        if cut is None:
            break  # nowhere to break: left whole
        pieces.append(line[: cut[0]].rstrip(" "))
        line = indent + line[cut[1] :].lstrip(" ")
    pieces.append(line)
    return pieces


def _last_cut(line: str, width: int) -> tuple[int, int] | None:
    """Where to break `line`: (end of this line, start of the next) at the last break
    within `width` columns, else at the first one after it."""
    taken, cut = 0, None
    for index, char in enumerate(line):
        taken += char_width(char)
        if taken > width and cut is not None:
            return cut
        following = line[index + 1 : index + 2]
        if char == " " and line[:index].strip():
            cut = (index, index + 1)
        elif (
            following
            and following not in NO_LINE_START
            and char not in NO_LINE_END
            and following != " "
            and (char_width(char) == 2 or char_width(following) == 2)
            and line[: index + 1].strip()
        ):
            cut = (index + 1, index + 1)
    return cut if taken > width else None


def _translating_pieces(collect: Any) -> Any:
    def collect_translated(self: Any, ctx: Any) -> list[str]:
        return [_(piece) for piece in collect(self, ctx)]

    return collect_translated


def _with_command_texts(render: Any) -> Any:
    """Translate a command's help (its docstring) just before Click renders it."""

    def render_translated(self: Any, *args: Any, **kwargs: Any) -> Any:
        for attribute in ("help", "short_help", "epilog"):
            text = getattr(self, attribute, None)
            if isinstance(text, str):
                setattr(self, attribute, _(text))
        return render(self, *args, **kwargs)

    return render_translated


def _with_parameter_help(get_help_record: Any) -> Any:
    def get_translated_help_record(self: Any, ctx: Any) -> Any:
        if isinstance(self.help, str):
            self.help = _(self.help)
        return get_help_record(self, ctx)

    return get_translated_help_record


def _translating_metavar(make_metavar: Any) -> Any:
    def make_translated_metavar(self: Any, ctx: Any) -> str:
        metavar: str = make_metavar(self, ctx)
        if metavar.endswith("..."):
            return _(metavar[:-3]) + "..."
        return _(metavar)

    return make_translated_metavar


def _translated_line(text: str) -> str:
    translated = _(text)
    if translated == text and text.startswith("Error: "):
        reason = translated_message(text[len("Error: ") :])
        return _("Error: {message}").format(message=reason)
    return translated


def _show_error(self: Any, file: IO[Any] | None = None) -> None:
    from typer._click import echo
    from typer._click._compat import get_text_stderr

    message = _("Error: {message}").format(message=translated_message(self.format_message()))
    echo(message, file=file or get_text_stderr(), color=self.show_color)


def _show_usage_error(self: Any, file: IO[Any] | None = None) -> None:
    from typer._click import echo
    from typer._click._compat import get_text_stderr

    file = file or get_text_stderr()
    color = None
    if self.ctx is not None:
        color = self.ctx.color
        hint = ""
        if self.ctx.command.get_help_option(self.ctx) is not None:
            hint = _("Try '{command} {option}' for help.").format(
                command=self.ctx.command_path, option=self.ctx.help_option_names[0]
            )
            hint += "\n"
        echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
    message = _("Error: {message}").format(message=translated_message(self.format_message()))
    echo(message, file=file, color=color)
