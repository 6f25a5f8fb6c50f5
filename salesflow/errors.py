"""Exceptions the domain raises; the command line turns each into `Error: …` and its exit
code, in one place (cli/root.py).

Messages are written for a salesperson and never carry customer data beyond what the
user typed themselves. They name no command-line flags: a `hint` names the way out
symbolically (e.g. "again"), and the command line words it for its own options.
"""


class SalesflowError(Exception):
    """Base for every failure a user can cause."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class NotFound(SalesflowError):
    """No record matches the reference."""


class Ambiguous(SalesflowError):
    """A reference matches several records."""


class Conflict(SalesflowError):
    """The change would break a rule of the book (duplicate ref, name taken, …)."""


class GateNotMet(SalesflowError):
    """A deal cannot leave its stage while a required checkpoint is open."""


class BadValue(SalesflowError):
    """A value typed on the command line is malformed (date, amount, key=value…)."""

    exit_code = 2


class BadInput(SalesflowError):
    """An input file holds invalid data."""

    exit_code = 65


class DatabaseRefused(SalesflowError):
    """The database file cannot be used (not salesflow's, newer schema, unreadable)."""


class Busy(SalesflowError):
    """Another process held the database longer than the busy timeout."""

    exit_code = 75
