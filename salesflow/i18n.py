"""The language people read: English is the source; a catalog gives Simplified Chinese.

Wrap every string a person reads in `_()` and fill placeholders after translating:
`_("unit {code} is taken by deal #{deal}").format(code=code, deal=deal_id)`, so the
catalog holds one sentence with named placeholders.
"""


def _(message: str) -> str:
    """The message in the user's language (English until a catalog is loaded)."""
    return message
