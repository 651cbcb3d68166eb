"""Render a :class:`~.document.Document` as PDF (fpdf2), marked on every page.

**Fonts, and names in any script.** PDF's built-in fonts hold Latin-1 only,
and a pupil's name may be written in any script. fpdf2 ships no font of its
own, so the renderer embeds a Unicode TrueType font when the system has one:
``$YDSI_PDF_FONT`` (a .ttf file), else DejaVu Sans where Linux distributions
install it (Debian and Ubuntu: the ``fonts-dejavu-core`` package). Any
character that font has no glyph for is written as a code such as
``[U+674E]``, never dropped. Without such a font, text is transliterated to
Latin-1 (accents kept where Latin-1 has them, ``Ł`` as ``L``...), anything
else written as a code, and the first page says so and points to the JSON
export for the exact spelling. Control and direction-changing characters are
always shown as codes (see :mod:`.text`). Nothing typed can make rendering fail.

Every page carries the marking at the top and at the foot, with the page
number; the document's title is repeated at the foot, never a name.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from .document import Chart, Document, Fields, Heading, Item, Paragraph, Span, Table, Text
from .text import code, is_hidden

__all__ = ["FontChoice", "find_unicode_font", "render_pdf"]

_FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts",  # Fedora
    "/usr/share/fonts/dejavu",  # older Fedora, openSUSE
    "/usr/share/fonts/TTF",  # Arch
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
_REGULAR, _BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"
FALLBACK_NOTICE = (
    "This PDF was made without a Unicode font on this computer: letters outside Latin-1 are "
    "transliterated or written as codes such as [U+0141]. The JSON export holds every name "
    "exactly as recorded. (Install fonts-dejavu-core, or set YDSI_PDF_FONT, to avoid this.)"
)
#: Latin letters that do not decompose into a Latin-1 letter and an accent.
_TRANSLIT = str.maketrans(
    {
        "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Ŀ": "L",
        "ŀ": "l", "Ŋ": "N", "ŋ": "n", "Œ": "OE", "œ": "oe", "Ŧ": "T", "ŧ": "t", "ſ": "s",
        "Ə": "E", "ə": "e", "Ɨ": "I", "ɨ": "i", "Ʒ": "Z", "ʒ": "z", "ẞ": "SS",
        "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-",
        "…": "...", "•": "*", "€": "EUR", "\u00a0": " ", "\u2009": " ", "\u202f": " ",
    }
)  # fmt: skip


@dataclass(frozen=True)
class FontChoice:
    """The TrueType font to embed (None: the Latin-1 fallback)."""

    regular: Path | None
    bold: Path | None = None


def find_unicode_font() -> FontChoice:
    """``$YDSI_PDF_FONT`` if set and present, else DejaVu Sans where it is usually installed."""
    configured = os.environ.get("YDSI_PDF_FONT")
    if configured:
        path = Path(configured)
        if path.is_file():
            bold_name = os.environ.get("YDSI_PDF_FONT_BOLD")
            bold_path = Path(bold_name) if bold_name else None
            return FontChoice(path, bold_path if bold_path and bold_path.is_file() else None)
    for directory in _FONT_DIRS:
        regular = Path(directory) / _REGULAR
        if regular.is_file():
            bold = Path(directory) / _BOLD
            return FontChoice(regular, bold if bold.is_file() else None)
    return FontChoice(None)


class _Writer:
    """Makes any text drawable in the chosen font, recording whether anything changed."""

    def __init__(self, glyphs: set[int] | None) -> None:
        self.glyphs = glyphs
        self.altered = False

    def __call__(self, text: str) -> str:
        out: list[str] = []
        for ch in text:
            if ch == "\t":
                out.append("    ")
            elif ch == "\r":
                continue
            elif ch == "\n":
                out.append(ch)
            elif is_hidden(ch):
                out.append(code(ch))
            elif self.glyphs is not None:
                if ord(ch) in self.glyphs:
                    out.append(ch)
                else:  # never dropped: a missing glyph is written as its code
                    out.append(code(ch))
                    self.altered = True
            else:
                out.append(self._latin1(ch))
        return "".join(out)

    def _latin1(self, ch: str) -> str:
        if ord(ch) < 0x100:
            return ch
        self.altered = True
        mapped = ch.translate(_TRANSLIT)
        if mapped != ch:
            return mapped
        decomposed = unicodedata.normalize("NFKD", ch)
        kept = "".join(c for c in decomposed if not unicodedata.combining(c))
        recomposed = unicodedata.normalize("NFC", kept)
        if recomposed and all(ord(c) < 0x100 and not is_hidden(c) for c in recomposed):
            return recomposed
        base = unicodedata.normalize("NFC", decomposed)
        if base and all(ord(c) < 0x100 for c in base):
            return base
        return code(ch)


class _Pdf(FPDF):
    def __init__(self, doc: Document, family: str, bold: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.doc = doc
        self.ydsi_family = family
        self.bold_style = bold
        self.write_text: Callable[[str], str] = str
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 20, 18)

    def header(self) -> None:
        self.set_font(self.ydsi_family, self.bold_style, 11)
        self.set_text_color(0, 0, 0)
        self.set_y(8)
        self.cell(0, 6, self.doc.marking, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(20)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.ydsi_family, self.bold_style, 9)
        self.set_text_color(0, 0, 0)
        self.cell(0, 5, self.doc.marking, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.ydsi_family, "", 8)
        self.set_text_color(90, 90, 90)
        title = self.write_text(self.doc.title)
        self.cell(0, 4, f"{title} - page {self.page_no()} of {{nb}}", align="C")


def render_pdf(doc: Document, *, font: FontChoice | None = None) -> bytes:
    """The document as PDF bytes; ``font`` defaults to :func:`find_unicode_font`."""
    font = font if font is not None else find_unicode_font()
    glyphs: set[int] | None = None
    if font.regular is not None:
        pdf = _Pdf(doc, "ydsi", "B" if font.bold is not None else "")
        pdf.add_font("ydsi", "", str(font.regular))
        if font.bold is not None:
            pdf.add_font("ydsi", "B", str(font.bold))
            glyphs = _cmap(pdf, "ydsi") & _cmap(pdf, "ydsiB")
        else:
            glyphs = _cmap(pdf, "ydsi")
    else:
        pdf = _Pdf(doc, "helvetica", "B")
    writer = _Writer(glyphs)
    pdf.write_text = writer
    pdf.set_title(writer(doc.title))
    pdf.set_creator("ydsi")
    pdf.set_producer("ydsi")
    pdf.alias_nb_pages()
    pdf.add_page()
    _Renderer(pdf, writer).draw(doc)
    if writer.altered or font.regular is None:
        pdf.set_font(pdf.ydsi_family, "", 8)
        pdf.set_text_color(90, 90, 90)
        pdf.ln(4)
        notice = (
            FALLBACK_NOTICE
            if font.regular is None
            else "Characters the embedded font cannot show are written as codes such as "
            "[U+674E]; the JSON export holds every name exactly as recorded."
        )
        pdf.multi_cell(0, 4, notice, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _cmap(pdf: FPDF, key: str) -> set[int]:
    font: Any = pdf.fonts.get(key)
    cmap = getattr(font, "cmap", None)
    return set(cmap) if isinstance(cmap, dict) else set()


class _Renderer:
    def __init__(self, pdf: _Pdf, writer: _Writer) -> None:
        self.pdf = pdf
        self.t = writer

    def font(self, size: float, *, bold: bool = False, grey: bool = False) -> None:
        self.pdf.set_font(self.pdf.ydsi_family, self.pdf.bold_style if bold else "", size)
        if grey:
            self.pdf.set_text_color(90, 90, 90)
        else:
            self.pdf.set_text_color(0, 0, 0)

    def para(self, text: str, size: float = 10, *, bold: bool = False, grey: bool = False) -> None:
        self.font(size, bold=bold, grey=grey)
        self.pdf.multi_cell(0, size * 0.5, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def spans(self, text: Text) -> str:
        if isinstance(text, str):
            return text
        return "".join(_span_text(span) for span in text)

    def draw(self, doc: Document) -> None:
        self.para(doc.title, 16, bold=True)
        if doc.subtitle:
            self.para(doc.subtitle, 9, grey=True)
        self.pdf.ln(2)
        for block in doc.blocks:
            if isinstance(block, Heading):
                self.pdf.ln(3)
                self.para(block.text, 13 if block.level <= 1 else 11, bold=True)
                self.pdf.ln(1)
            elif isinstance(block, Paragraph):
                text = self.spans(block.text)
                if block.style in ("warning", "strong"):
                    self.para(text, 10, bold=True)
                elif block.style == "muted":
                    self.para(text, 8, grey=True)
                else:
                    self.para(text)
                self.pdf.ln(1)
            elif isinstance(block, Fields):
                self.fields(block)
            elif isinstance(block, Table):
                self.table(block.headers, block.rows, block.widths)
            elif isinstance(block, Item):
                self.item(block)
            elif isinstance(block, Chart):
                self.chart(block)

    def chart(self, chart: Chart) -> None:
        """Bars drawn as filled rectangles on one scale, each count written beside its bar.

        A hidden count gets no bar (its length would give it away) and its mark
        instead of a number; a zero gets a thin outline, so it reads as drawn.
        """
        pdf = self.pdf
        row, label_w, count_w, gap = 5.2, 64.0, 10.0, 2.0
        if pdf.will_page_break(row * len(chart.bars) + 8):
            pdf.add_page()
        self.para(chart.caption, 9, bold=True)
        pdf.ln(1)
        bar_max = pdf.epw - label_w - count_w - gap
        largest = chart.largest
        for bar in chart.bars:
            x, y = pdf.l_margin, pdf.get_y()
            self.font(9)
            pdf.set_xy(x, y)
            pdf.cell(label_w, row, self._fit(bar.label, label_w - 1), align="L")
            shown = chart.hidden_mark if bar.value is None else str(bar.value)
            pdf.cell(count_w, row, self.t(shown), align="R")
            left = x + label_w + count_w + gap
            if bar.value:
                pdf.set_fill_color(70, 70, 70)
                pdf.rect(left, y + 1, max(0.8, bar_max * bar.value / largest), row - 2, style="F")
            elif bar.value == 0:
                pdf.set_draw_color(120, 120, 120)
                pdf.rect(left, y + 1, 0.4, row - 2, style="D")
                pdf.set_draw_color(0, 0, 0)
            pdf.set_xy(x, y + row)
        pdf.ln(3)

    def _fit(self, text: str, width: float) -> str:
        """The text, cut with an ellipsis to fit ``width`` (the table below has it whole)."""
        shown = self.t(text)
        if self.pdf.get_string_width(shown) <= width:
            return shown
        while shown and self.pdf.get_string_width(shown + "...") > width:
            shown = shown[:-1]
        return shown.rstrip() + "..."

    def fields(self, block: Fields) -> None:
        """Label: value lines; a value may be as long as a note, so never a table cell."""
        for label, value in block.rows:
            self.font(9, bold=True)
            self.pdf.write(4.6, self.t(f"{label}: "))
            self.font(9)
            self.pdf.write(4.6, self.t(self.spans(value)))
            self.pdf.ln(5.2)
        self.pdf.ln(1)

    def table(
        self, headers: tuple[str, ...], rows: tuple[tuple[str, ...], ...], widths: tuple[int, ...]
    ) -> None:
        """A grid when every row fits on a page (fpdf2 cannot split a row), else one
        labelled paragraph per row: long text is wrapped, never cut and never fatal."""
        if not rows:
            self.para("(none)", 9, grey=True)
            return
        if any(_too_tall(cell) for row in rows for cell in row):
            for row in rows:
                self.fields(Fields(tuple(zip(headers, row, strict=False))))
            return
        self.font(9)
        with self.pdf.table(
            col_widths=widths or None,
            text_align="LEFT",
            line_height=4.6,
            padding=1,
        ) as table:
            table.row([self.t(h) for h in headers])
            for row in rows:
                table.row([self.t(cell) for cell in row])
        self.pdf.ln(2)

    def item(self, item: Item) -> None:
        pdf = self.pdf
        if pdf.will_page_break(18):
            pdf.add_page()
        self.para(f"{item.when} - {item.title}", 10, bold=True)
        if item.redact:
            self.para(f"[REDACT THIS ENTRY: {item.redact}]", 10, bold=True)
        for mark in item.marks:
            self.para(mark, 9, bold=True)
        text = self.spans(item.text)
        if text:
            self.para(text, 10)
        self.para(item.meta, 8, grey=True)
        pdf.ln(2)


def _too_tall(cell: str) -> bool:
    return len(cell) > 300 or cell.count("\n") > 8


def _span_text(span: Span) -> str:
    return f"[REDACT {span.redact}: {span.text}]" if span.redact else span.text
