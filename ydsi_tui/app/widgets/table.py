"""A DataTable whose cells are always plain ``Text``, updated by difference.

Textual parses every ``str`` cell as markup; here a cell is only ever a
:class:`rich.text.Text` made by :func:`ydsi_tui.app.text.cell`. Reloading
changes only what changed (inside ``batch_update``), so a poll that finds
one incident changed does not redraw a thousand rows or lose the cursor.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowDoesNotExist

__all__ = ["RecordTable", "Row"]

#: A row: its key (a record reference) and its cells.
Row = tuple[str, Sequence[Text]]


class RecordTable(DataTable[Text]):
    """Rows keyed by reference; ``show_rows`` brings the table to exactly ``rows``."""

    def __init__(self, columns: Sequence[tuple[str, str, int | None]], **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._columns_spec = tuple(columns)
        self._shown: list[str] = []
        self._cells: dict[str, tuple[str, ...]] = {}

    def on_mount(self) -> None:
        for key, label, width in self._columns_spec:
            self.add_column(label, key=key, width=width or 10)
        self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """The column without a width takes what is left: no sideways scrolling at 80x24."""
        fill = [key for key, _, width in self._columns_spec if width is None]
        if not fill:
            return
        padding = 2 * self.cell_padding
        fixed = sum((w or 0) + padding for _, _, w in self._columns_spec if w is not None)
        available = self.scrollable_content_region.width - fixed - padding
        column = self.columns.get(ColumnKey(fill[0]))
        if column is None:
            return
        width = max(8, available)
        if column.width != width or column.auto_width:
            column.width = width
            column.auto_width = False
            self._require_update_dimensions = True
            self.refresh(layout=True)

    @property
    def keys(self) -> list[str]:
        return list(self._shown)

    @property
    def current_key(self) -> str | None:
        if not self._shown or self.cursor_row < 0 or self.cursor_row >= len(self._shown):
            return None
        return self._shown[self.cursor_row]

    def show_rows(self, rows: Sequence[Row]) -> None:
        """Make the table hold ``rows`` in this order, touching as little as possible."""
        wanted = [key for key, _ in rows]
        signatures = {key: tuple(c.plain + str(c.style) for c in cells) for key, cells in rows}
        keep = self.current_key
        with self.app.batch_update():
            if wanted[: len(self._shown)] == self._shown or wanted == self._shown:
                column_keys = [spec[0] for spec in self._columns_spec]
                for key, cells in rows[: len(self._shown)]:
                    if self._cells.get(key) != signatures[key]:
                        for column, value in zip(column_keys, cells, strict=False):
                            self.update_cell(key, column, value)
                for key, cells in rows[len(self._shown) :]:
                    self.add_row(*cells, key=key)
            else:
                self.clear()
                for key, cells in rows:
                    self.add_row(*cells, key=key)
            self._shown = wanted
            self._cells = signatures
            if keep in wanted:
                with contextlib.suppress(RowDoesNotExist):
                    self.move_cursor(row=self.get_row_index(keep), animate=False)
