"""How many terminal columns text takes: a Chinese (wide) character two, a combining mark
none, anything else one. Tables, workbook column widths and the Chinese help all measure
with this one rule (standard library only, so the help can use it at start-up)."""

import unicodedata


def text_width(text: str) -> int:
    """Columns a text takes in a terminal: CJK characters are two wide."""
    if text.isascii():  # every ASCII character is one column wide
        return len(text)
    width = WIDTHS.get(text)
    if width is None:
        try:
            width = sum(map(CHAR_WIDTHS.__getitem__, text))
        except KeyError:  # a character not met before: measure it once
            learn(text)
            width = sum(map(CHAR_WIDTHS.__getitem__, text))
        WIDTHS[text] = width
    return width


def learn(text: str) -> None:
    """Measure each character of `text` not met before: a table learns a whole column's
    characters at once, rather than text by text as each brings a new one."""
    for char in set(text).difference(CHAR_WIDTHS):
        CHAR_WIDTHS[char] = char_width(char)


def char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


# Widths of the non-ASCII texts already measured: a long table repeats names, stores, reps;
# and of every character met (the texts of one book draw on a few thousand).
WIDTHS: dict[str, int] = {}
CHAR_WIDTHS: dict[str, int] = dict.fromkeys(map(chr, range(128)), 1)
