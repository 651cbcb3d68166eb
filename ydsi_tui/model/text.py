"""Checks on text people type: validated, never altered.

A record is evidence. What a DSL typed is kept exactly as typed (spaces,
newlines, brackets, escape characters, any script), so these functions only
ever accept or refuse; they never strip, normalise or interpret.

The one thing refused on content is imagery: the program must never hold a
copy of an image or video of a young person, because making or keeping such a
copy is itself an offence. Descriptions in words are what the policy asks for.
"""

from __future__ import annotations

import base64
import binascii
import re

from ydsi_tui.model.errors import ValidationError

#: Default limit for a free-text field: a long paragraph or two.
TEXT_MAX_CHARS = 20_000
#: Notes and narratives (a note, a description, a closing rationale) may be long.
LONG_TEXT_MAX_CHARS = 200_000
#: Names of people, places and roles.
NAME_MAX_CHARS = 200
#: Reference numbers (crime references, CSC references).
REF_MAX_CHARS = 100

IMAGE_EXTENSIONS = frozenset(
    ("jpg", "jpeg", "png", "gif", "heic", "heif", "webp", "bmp", "tif", "tiff", "svg", "raw", "dng")
)
VIDEO_EXTENSIONS = frozenset(
    ("mp4", "mov", "m4v", "avi", "mkv", "webm", "3gp", "wmv", "flv", "mpg", "mpeg")
)
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS

#: Shortest base64 run, counted from the start of a file signature, that is
#: taken to be pasted file content. Prose never has 64 letters without a space;
#: a single line of wrapped base64 (76 characters) does.
BASE64_MIN_RUN = 64

_IMAGERY_REASON = (
    "This program keeps descriptions in words only: copying or storing the "
    "imagery, or a link or path to it, is illegal. Describe what was "
    "reported in words instead, without the file, link or path."
)

_SURROGATE = re.compile("[\ud800-\udfff]")
_DATA_URI = re.compile(r"data:\s*(?:image|video)/", re.IGNORECASE)
_TRAILING_PUNCTUATION = "\"')]}>.,;:!’”"
_URL_SCHEME = re.compile(r"^[\"'(<\[]*[a-z][a-z0-9+.\-]{1,31}:", re.IGNORECASE)
_QUOTED = re.compile(r"\"([^\"\n]*)\"|'([^'\n]*)'|“([^”\n]*)”|‘([^’\n]*)’")
_BASE64_RUN = re.compile(rf"[A-Za-z0-9+/]{{{BASE64_MIN_RUN},}}")
_FILE_SIGNATURES_B64 = re.compile(r"/9j/|iVBORw0KGgo|R0lGOD|UklGR|AAAA")


def check_text(
    value: str,
    field: str,
    *,
    required: bool = True,
    max_chars: int = TEXT_MAX_CHARS,
) -> str:
    """Return `value` unchanged if it may be stored, else raise ValidationError.

    Whitespace alone does not satisfy `required`: a name of three spaces tells
    a reader nothing, and the record must make sense years later. Length is
    checked before anything else so that a pasted megabyte is refused at once.
    """
    if not isinstance(value, str):
        raise ValidationError(field, "This must be text. Type it in words.")
    if len(value) > max_chars:
        raise ValidationError(
            field,
            f"This is {len(value):,} characters long; the limit here is "
            f"{max_chars:,}. Shorten it, or put the rest in a separate note.",
        )
    if required and not value.strip():
        raise ValidationError(field, "This cannot be left empty. Type an answer.")
    if _SURROGATE.search(value):
        raise ValidationError(
            field,
            "This contains characters the terminal could not read (broken "
            "UTF-8). Retype the text rather than pasting it.",
        )
    refuse_imagery(value, field)
    return value


def refuse_imagery(value: str, field: str) -> None:
    """Raise ValidationError if `value` carries imagery, a link to it, or a path to it.

    A file name mentioned in words ("a file called beach.jpg") is allowed:
    it tells a reader what was shared without pointing at a copy. A path, a
    URL, a data URI or base64 file content points at or is a copy.
    """
    if _DATA_URI.search(value):
        raise ValidationError(field, "This contains an embedded image or video. " + _IMAGERY_REASON)
    for token in value.split():
        if _is_media_location(token):
            raise ValidationError(
                field, f"This contains a path or link to an image or video. {_IMAGERY_REASON}"
            )
    for match in _QUOTED.finditer(value):
        quoted = next(group for group in match.groups() if group is not None)
        if ("/" in quoted or "\\" in quoted) and _ends_in_media_extension(quoted):
            raise ValidationError(
                field, f"This contains a path to an image or video. {_IMAGERY_REASON}"
            )
    if _contains_base64_media(value):
        raise ValidationError(
            field, "This looks like the content of an image or video file. " + _IMAGERY_REASON
        )


def _is_media_location(token: str) -> bool:
    """True for a whitespace-free token that locates an image or video file."""
    if not _ends_in_media_extension(token):
        return False
    bare = token.lstrip("\"'(<[")
    return (
        "/" in token
        or "\\" in token
        or bare.startswith("~")
        or bare.lower().startswith("file:")
        or _URL_SCHEME.match(token) is not None
    )


def _ends_in_media_extension(text: str) -> bool:
    """True if `text` ends in a media extension, ignoring trailing punctuation
    and a URL query or fragment ("https://x/a.jpg?w=200", "(~/a.png).").

    Done with plain string operations: a regular expression here could take
    quadratic time on a hostile megabyte of dots.
    """
    stem = text.rstrip(_TRAILING_PUNCTUATION)
    cut = min((i for i in (stem.find("?"), stem.find("#")) if i >= 0), default=len(stem))
    stem = stem[:cut].rstrip(_TRAILING_PUNCTUATION)
    _, dot, extension = stem.rpartition(".")
    return bool(dot) and extension.lower() in MEDIA_EXTENSIONS


def _contains_base64_media(value: str) -> bool:
    """True if a long base64 run begins (anywhere inside it) like a media file."""
    for run in _BASE64_RUN.finditer(value):
        text = run.group()
        for signature in _FILE_SIGNATURES_B64.finditer(text):
            start = signature.start()
            if len(text) - start < BASE64_MIN_RUN:
                break
            if _decodes_to_media(text[start : start + 16]):
                return True
    return False


def _decodes_to_media(chunk: str) -> bool:
    """Decode 16 base64 characters (12 bytes) and look for a file signature."""
    try:
        head = base64.b64decode(chunk, validate=True)
    except (binascii.Error, ValueError):
        return False
    return starts_like_media(head)


def starts_like_media(head: bytes) -> bool:
    """True if these first bytes (12 are enough) are an image or video file's signature.

    Also used on files named to the CLI (``--text-file``): a photo given where
    a description was wanted is refused, never read.
    """
    return (
        head.startswith(b"\xff\xd8\xff")  # JPEG
        or head.startswith(b"\x89PNG\r\n\x1a\n")  # PNG
        or head.startswith(b"GIF8")  # GIF
        or (head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"AVI "))
        or head[4:8] == b"ftyp"  # MP4, MOV, HEIC, 3GP
    )
