"""Floor for `contact list` piped to a file: the whole log as the same plain table.

    python bench/floor_contact_list.py BOOK.db > out.txt

What a careful hand-written program does for the same text (for logs whose texts hold no
control characters, which salesflow escapes), with no command-line framework: one SELECT of
the eight columns the table shows, in the log's index order; each column's texts padded to
its width in terminal columns (a Chinese character two wide, a combining mark none), widths
measured once per distinct text; the ID column right-aligned; trailing blanks stripped. Its
time against `python -c "import typer"` is what reading and printing the rows cost before
any framework loads.
"""

import sqlite3
import sys
import unicodedata

SELECT = (
    "SELECT k.id, k.at, c.name, k.channel, k.rep, k.summary, k.outcome, k.next_at"
    " FROM contacts k JOIN customers c ON c.id = k.customer_id ORDER BY k.at, k.id"
)
HEADINGS = ("ID", "At", "Customer", "Channel", "By", "Summary", "Outcome", "Next")


def width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def main() -> None:
    conn = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
    rows = conn.execute(SELECT).fetchall()
    columns = []
    for number, heading in enumerate(HEADINGS):
        texts = [heading, *("" if row[number] is None else str(row[number]) for row in rows)]
        if number == len(HEADINGS) - 1:  # the last column: nothing follows it
            columns.append(texts)
            continue
        widths = {text: width(text) for text in set(texts)}
        wide = max(widths.values())
        if number == 0:  # numbers
            padded = {text: " " * (wide - w) + text for text, w in widths.items()}
        else:
            padded = {text: text + " " * (wide - w) for text, w in widths.items()}
        columns.append([padded[text] for text in texts])
    lines = ("  ".join(cells).rstrip() for cells in zip(*columns, strict=True))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
