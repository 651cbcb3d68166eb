"""One report, three formats: the bytes of a Markdown, PDF or JSON rendering."""

from __future__ import annotations

import json
from typing import Any

from ...model.errors import ValidationError
from .document import Document
from .markdown import render_markdown

__all__ = ["FORMATS", "SUFFIXES", "render"]

FORMATS = ("pdf", "md", "json")
SUFFIXES = {"pdf": ".pdf", "md": ".md", "json": ".json"}


def render(fmt: str, document: Document, data: dict[str, Any]) -> bytes:
    """``document`` for Markdown and PDF, ``data`` (the documented shape) for JSON."""
    if fmt == "pdf":
        from .pdf import render_pdf  # fpdf2 takes a while to import: only when asked

        return render_pdf(document)
    if fmt == "md":
        return render_markdown(document).encode("utf-8")
    if fmt == "json":
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
        return (text + "\n").encode("utf-8")
    raise ValidationError("format", f"{fmt!r} is not a format: choose {', '.join(FORMATS)}.")
