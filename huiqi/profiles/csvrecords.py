"""CSV records with their line numbers, where one bad line costs only itself.

``records`` turns the decoded lines of :mod:`huiqi.profiles.textlines` into
:class:`Record`s. A record that cannot be read becomes a record with a
``problem`` (and no cells), and reading goes on:

* a line in another encoding: that line (its cells as the other encoding reads
  them are kept for the rejects report);
* a cell longer than ``csv.field_size_limit()`` (131,072 characters): that line;
* a quote that opens a cell and is never closed, or a quoted cell followed by more
  text: the line where the quote opened is rejected, saying at which column, and
  reading starts again at the next line, so a good line after it is not
  swallowed into the broken cell. A quoted cell that spans lines and gives the
  header's number of cells (or more, all blank, up to ``padded``: the empty cells a
  spreadsheet export ends its header and rows with) is a real multi-line cell and is
  kept; before the header
  is known (``width`` -1), so is one that holds no delimiter and at most two line
  breaks (a header cell written over two lines).

Blank lines (and lines of only delimiters and spaces) are skipped. The CSV
dialect is strict: ``"abc"x`` is an error, not the cell ``abcx``.

Example:
    >>> import io
    >>> from huiqi.profiles.textlines import Lines
    >>> text = 'a,b\\n1,"oops\\n2,3\\n'
    >>> lines = Lines(io.BytesIO(text.encode()), "utf-8")
    >>> [(r.line, r.cells, r.problem is None) for r in records(lines, ",", 2)]
    [(1, ['a', 'b'], True), (2, [], False), (3, ['2', '3'], True)]
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import NamedTuple

from huiqi.profiles.textlines import Lines


class Record(NamedTuple):
    """One CSV record: the line it starts on, its cells, or why it could not be read."""

    line: int
    cells: list[str]
    problem: str | None = None


def open_quote(text: str, delimiter: str) -> int | None:
    """1-based column of a quote that opens a cell and is still open at the line's end."""
    quoted, opened, at_start, i = False, 0, True, 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"':
                if i + 1 < len(text) and text[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif c == '"' and at_start:
            quoted, opened = True, i + 1
        at_start = not quoted and c == delimiter
        i += 1
    return opened if quoted else None


def _quote_problem(first: str, delimiter: str, error: str) -> str:
    column = open_quote(first, delimiter)
    if column is not None:
        return (
            f"a quote opens a cell at column {column} and is not closed on this line, so the "
            "line cannot be split into cells; close the quote, or write a quote inside a "
            'quoted cell twice ("")'
        )
    return (
        f"the line cannot be split into cells ({error}); quote the whole cell, and write a "
        'quote inside a quoted cell twice ("")'
    )


def _too_long(error: str) -> str:
    return (
        f"a cell is longer than {csv.field_size_limit():,} characters ({error}); registry "
        "cells are short: check how the file was exported"
    )


def _bad_lines(lines: Lines, delimiter: str) -> Iterator[Record]:
    for bad in lines.bad:
        cells = next(csv.reader([bad.text], delimiter=delimiter), [])
        yield Record(bad.number, cells, bad.reason)
    lines.bad.clear()


def _swallowed(row: list[str], delimiter: str) -> bool:
    """Whether a record read before the width is known (the header, the rows above it)
    looks like a quote left open rather than a header cell written over two lines
    ("营业收入" Alt+Enter "(元)"): a cell that spans lines and holds the delimiter or
    more than two line breaks swallowed the lines after it."""
    return any("\n" in c and (delimiter in c or c.count("\n") > 2) for c in row)


def _fits(row: list[str], width: int, padded: int) -> bool:
    """Whether a row read over several lines has the header's cells: exactly, or with
    blank cells past them no further than the header line's own trailing empty cells."""
    if len(row) == width:
        return True
    return width < len(row) <= padded and not any(c.strip() for c in row[width:])


def records(lines: Lines, delimiter: str, width: int, padded: int = -1) -> Iterator[Record]:
    """Every non-blank record, in file order (see the module docstring).

    ``padded``: the header line's cell count with its trailing empty cells, when it has
    more than ``width``.
    """
    reader = csv.reader(lines.iterate(), delimiter=delimiter, strict=True)
    taken = lines.record
    while True:
        taken.clear()
        try:
            row = next(reader)
        except StopIteration:
            yield from _bad_lines(lines, delimiter)
            return
        except csv.Error as exc:
            yield from _bad_lines(lines, delimiter)
            if not taken:  # pragma: no cover - csv raises only after reading a line
                continue
            number, first = taken[0]
            if "field larger than field limit" in str(exc) and len(taken) == 1:
                yield Record(number, [], _too_long(str(exc)))
            else:
                yield Record(number, [], _quote_problem(first, delimiter, str(exc)))
                lines.push_back(taken[1:])
                reader = csv.reader(lines.iterate(), delimiter=delimiter, strict=True)
            continue
        if lines.bad:
            yield from _bad_lines(lines, delimiter)
        wrong = not _fits(row, width, padded) if width >= 0 else _swallowed(row, delimiter)
        if len(taken) > 1 and wrong and open_quote(taken[0][1], delimiter):
            # A quote left open swallowed the lines after it: give them back.
            number, first = taken[0]
            yield Record(number, [], _quote_problem(first, delimiter, "a quote is not closed"))
            lines.push_back(taken[1:])
            reader = csv.reader(lines.iterate(), delimiter=delimiter, strict=True)
            continue
        if not "".join(row).strip():
            continue
        yield Record(taken[0][0], row)
