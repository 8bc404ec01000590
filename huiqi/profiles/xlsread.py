"""The older binary Excel format, ``.xls`` (Excel 97-2003), which many offices' systems
still export: its sheets' rows as the text a person sees (:mod:`xlrd`).

An ``.xls`` cell holds a number, a text, a date (a number with a date format), a
boolean or an error; dates become ISO text and numbers the digits Excel shows, as
for ``.xlsx`` (:func:`huiqi.profiles.xlsxread.excel_text`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huiqi.errors import ImportFileError
from huiqi.profiles.xlsxread import SheetRows, excel_text


class XlsBook:
    """An ``.xls`` workbook's sheets and their rows."""

    def __init__(self, path: Path) -> None:
        import xlrd  # imported here: only .xls imports pay for it

        try:
            self._book = xlrd.open_workbook(str(path), on_demand=True)
        except Exception as exc:  # xlrd raises several unrelated types for a bad file
            raise ImportFileError(f"{path}: not a readable .xls workbook ({exc})") from exc

    def sheet_names(self) -> list[str]:
        return list(self._book.sheet_names())

    def rows(self, sheet: str) -> SheetRows:
        data = self._book.sheet_by_name(sheet)
        for index in range(data.nrows):
            yield index + 1, [self._text(cell) for cell in data.row(index)]

    def _text(self, cell: Any) -> str | None:
        import xlrd

        kind = cell.ctype
        if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            return None
        if kind == xlrd.XL_CELL_DATE:
            try:
                return excel_text(xlrd.xldate_as_datetime(cell.value, self._book.datemode))
            except (xlrd.xldate.XLDateError, ValueError, OverflowError):
                return excel_text(cell.value)  # a date Excel itself cannot show: its number
        if kind == xlrd.XL_CELL_BOOLEAN:
            return excel_text(bool(cell.value))
        if kind == xlrd.XL_CELL_ERROR:
            return xlrd.error_text_from_code.get(cell.value, "#ERROR")
        return excel_text(cell.value)

    def close(self) -> None:
        self._book.release_resources()
