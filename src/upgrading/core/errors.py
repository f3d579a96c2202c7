"""Errors that carry the place of a bad input, so the CLI can name file, column and row."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: the message names the file and, where they apply, the column and rows."""

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None,
                 rows: list[int] | None = None):
        self.file, self.column, self.rows = file, column, rows
        where = []
        if file:
            where.append(f"file {file}")
        if column:
            where.append(f"column {column!r}")
        if rows:
            shown = ", ".join(str(r) for r in rows[:10])
            more = f" (+{len(rows) - 10} more)" if len(rows) > 10 else ""
            where.append(f"row(s) {shown}{more}")
        super().__init__(f"{'; '.join(where)}: {message}" if where else message)
