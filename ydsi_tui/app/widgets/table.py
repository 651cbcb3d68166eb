"""A keyboard-first table that draws only the rows on screen (Textual's line API).

Why not Textual's DataTable: it measures every cell of every row to size its
columns and keeps a rendered copy of each, so a list of ten thousand
incidents costs seconds to build and again on every filter. Here the columns
have fixed widths (one of them takes what is left, so nothing scrolls
sideways at 80 columns), rows are plain data, and ``render_line`` draws just
the lines that are visible. Updating is by replacement of the row list, which
is cheap because nothing is drawn until it is on screen.

Cells are always Rich ``Text`` made by :func:`ydsi_tui.app.text.cell`: record
text is never parsed as markup. The highlighted row is drawn in reverse video
(seen without colour) and marked with ``▶`` when the table has focus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..commands import bindings

__all__ = ["RecordTable", "Row"]

#: A row: its key (a record reference) and its cells.
Row = tuple[str, Sequence[Text]]

_PAD = 1  # spaces either side of a cell


class RecordTable(ScrollView, can_focus=True):
    """Rows keyed by reference; ``show_rows`` replaces them; Enter selects one."""

    BINDINGS: ClassVar[list[BindingType]] = bindings("table")

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "record-table--header",
        "record-table--cursor",
    }

    DEFAULT_CSS = """
    RecordTable {
        background: $surface;
    }
    RecordTable > .record-table--header {
        text-style: bold;
        background: $panel;
    }
    RecordTable > .record-table--cursor {
        text-style: reverse;
    }
    """

    cursor_row: reactive[int] = reactive(0, always_update=False, repaint=True)

    class RowHighlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, table: RecordTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RecordTable:
            return self.table

    class RowSelected(Message):
        """Enter (or a second click) on a row."""

        def __init__(self, table: RecordTable, key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> RecordTable:
            return self.table

    def __init__(
        self,
        columns: Sequence[tuple[str, str, int | None]],
        *,
        id: str | None = None,
        show_header: bool = True,
        shown_from: Mapping[str, int] | None = None,
        shares: Mapping[str, tuple[float, int]] | None = None,
    ) -> None:
        """``shown_from``: columns drawn only when the table (border included) is at
        least that wide (a summary column where there is room for one).

        Columns without a width share what the others leave: each named in
        ``shares`` takes its (fraction, most cells) of it, the last takes the rest.
        """
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.show_header = show_header
        self._shown_from = dict(shown_from or {})
        self._shares = dict(shares or {})
        self._shown = tuple(range(len(self.columns)))
        self._keys: list[str] = []
        self._cells: dict[int, Sequence[Text]] = {}
        self._make: Callable[[int], Sequence[Text]] | None = None
        self._index: dict[str, int] = {}
        self._widths: list[int] = [w or 10 for _, _, w in self.columns]
        self._fitted_for = -1  # the width the columns were last fitted to

    # ------------------------------------------------------------------
    # data
    # ------------------------------------------------------------------
    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def current_key(self) -> str | None:
        if 0 <= self.cursor_row < len(self._keys):
            return self._keys[self.cursor_row]
        return None

    def show_rows(self, rows: Sequence[Row]) -> None:
        """Make the table hold ``rows`` in this order; the cursor stays on its row."""
        self._replace([key for key, _ in rows], None, dict(enumerate(cells for _, cells in rows)))

    def show_lazy(self, keys: Sequence[str], make: Callable[[int], Sequence[Text]]) -> None:
        """Rows whose cells are made only when drawn: ``make(i)`` for the i-th key.

        For long lists (the home screen with ten thousand incidents): a reload or
        a filter costs the keys, not the formatting of every row.
        """
        self._replace(list(keys), make, {})

    def _replace(
        self,
        keys: list[str],
        make: Callable[[int], Sequence[Text]] | None,
        cells: dict[int, Sequence[Text]],
    ) -> None:
        keep = self.current_key
        self._keys, self._make, self._cells = keys, make, cells
        self._index = {key: i for i, key in enumerate(keys)}
        self._resize_virtual()
        if keep in self._index:
            self.move_cursor(row=self._index[keep])
        else:
            self.move_cursor(row=min(self.cursor_row, max(0, len(keys) - 1)))
            self.post_message(self.RowHighlighted(self, self.current_key))
        self.refresh()

    def _row_cells(self, index: int) -> Sequence[Text]:
        cells = self._cells.get(index)
        if cells is None:
            cells = self._make(index) if self._make is not None else ()
            self._cells[index] = cells
        return cells

    def move_cursor(self, *, row: int, animate: bool = False) -> None:
        if not self._keys:
            self.cursor_row = 0
            return
        self.cursor_row = max(0, min(row, len(self._keys) - 1))
        self._scroll_to_cursor()

    def watch_cursor_row(self, old: int, new: int) -> None:
        if old != new:
            self.post_message(self.RowHighlighted(self, self.current_key))

    # ------------------------------------------------------------------
    # layout
    # ------------------------------------------------------------------
    @property
    def _header_lines(self) -> int:
        return 1 if self.show_header else 0

    def _resize_virtual(self) -> None:
        self.virtual_size = Size(self.size.width, len(self._keys) + self._header_lines)

    def _fit(self) -> None:
        """The columns without a width share what is left of the line."""
        available = self.scrollable_content_region.width
        self._fitted_for = available
        outer = self.outer_size.width
        self._shown = tuple(
            i for i, (key, _, _) in enumerate(self.columns)
            if outer >= self._shown_from.get(key, 0)
        )  # fmt: skip
        columns = [self.columns[i] for i in self._shown]
        fixed = sum((w or 0) + 2 * _PAD for _, _, w in columns if w is not None)
        flexible = [key for key, _, w in columns if w is None]
        left = available - fixed - 2 * _PAD * len(flexible)
        fills: dict[str, int] = {}
        for key in flexible[:-1]:
            fraction, most = self._shares.get(key, (1 / len(flexible), left))
            fills[key] = max(8, min(most, int(left * fraction)))
        if flexible:
            fills[flexible[-1]] = max(8, left - sum(fills.values()))
        self._widths = [w if w is not None else fills[key] for key, _, w in columns]

    def on_resize(self, event: events.Resize) -> None:
        self._fit()
        self._resize_virtual()
        self._scroll_to_cursor()

    def on_mount(self) -> None:
        self._fit()
        self._resize_virtual()

    def _visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - self._header_lines)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_offset.y)
        visible = self._visible_rows()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False)
        elif self.cursor_row >= top + visible:
            self.scroll_to(y=self.cursor_row - visible + 1, animate=False)

    # ------------------------------------------------------------------
    # drawing
    # ------------------------------------------------------------------
    def _line(self, cells: Sequence[Text]) -> Text:
        line = Text(no_wrap=True, end="")
        shown = [cells[i] for i in self._shown if i < len(cells)]
        for width, value in zip(self._widths, shown, strict=False):
            piece = value.copy()
            piece.truncate(width, overflow="ellipsis", pad=True)
            line.append(" " * _PAD)
            line.append_text(piece)
            line.append(" " * _PAD)
        return line

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if width != self._fitted_for:
            # Laid out since the columns were fitted (the first frame can come
            # before the Resize event): fit now, or that frame cuts the last column.
            self._fit()
        base = self.rich_style
        if self.show_header and y == 0:
            header = self._line([Text(label) for _, label, _ in self.columns])
            style = base + self.get_component_rich_style("record-table--header")
            return self._strip(header, width, style)
        index = round(self.scroll_offset.y) + y - self._header_lines
        if index < 0 or index >= len(self._keys):
            return Strip.blank(width, base)
        line = self._line(self._row_cells(index))
        style = base
        if index == self.cursor_row:
            style = base + self.get_component_rich_style("record-table--cursor")
            if self.has_focus:
                line = Text("▶", end="") + line[1:]
        return self._strip(line, width, style)

    def _strip(self, line: Text, width: int, style: Style) -> Strip:
        segments = list(line.render(self.app.console))
        strip = Strip(Segment.apply_style(segments, style)).crop_extend(0, width, style)
        return strip

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    # ------------------------------------------------------------------
    # keys and mouse
    # ------------------------------------------------------------------
    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_up(self) -> None:
        self.move_cursor(row=self.cursor_row - self._visible_rows())

    def action_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + self._visible_rows())

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self._keys) - 1)

    def action_select(self) -> None:
        key = self.current_key
        if key is not None:
            self.post_message(self.RowSelected(self, key))

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_offset.y) + event.y - self._header_lines
        if event.y < self._header_lines or not 0 <= index < len(self._keys):
            return
        if index == self.cursor_row:
            self.action_select()
        else:
            self.move_cursor(row=index)
