"""Text is validated, never altered; imagery is refused in every form."""

from __future__ import annotations

import base64
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.text import (
    BASE64_MIN_RUN,
    LONG_TEXT_MAX_CHARS,
    MEDIA_EXTENSIONS,
    check_text,
    refuse_imagery,
)


def test_validation_error_names_field_and_message() -> None:
    err = ValidationError("dob", "Type the date of birth as 14/11/2009.")
    assert err.field == "dob"
    assert err.message == "Type the date of birth as 14/11/2009."
    assert str(err) == "dob: Type the date of birth as 14/11/2009."
    assert isinstance(err, ValueError)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.field, copy.message) == (err.field, err.message)


HOSTILE = [
    "[b]Ann[/b] [red]x[/red] [link=http://x]y[/link]",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[2J",
    "nul\x00inside",
    "مرحبا بالعالم \u202eevil\u202c",
    "  leading and trailing spaces  \n\n",
    "line one\r\nline two\ttabbed",
    "emoji 👩‍👩‍👧 and combining e\u0301",
    "{braces} {age} %s %(x)s \\n backslash",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_check_text_returns_value_unchanged(value: str) -> None:
    result = check_text(value, "note")
    assert result is value


def test_required_text_refuses_empty_and_whitespace() -> None:
    for value in ("", "   ", "\n\t"):
        with pytest.raises(ValidationError) as info:
            check_text(value, "summary")
        assert info.value.field == "summary"
    assert check_text("", "vulnerabilities", required=False) == ""


def test_over_length_is_refused_with_the_limit_named() -> None:
    with pytest.raises(ValidationError) as info:
        check_text("x" * 21, "name", max_chars=20)
    assert "20" in info.value.message
    assert check_text("x" * 20, "name", max_chars=20) == "x" * 20


def test_a_megabyte_is_refused_not_crashed_on() -> None:
    huge = "a" * 1_000_000
    with pytest.raises(ValidationError):
        check_text(huge, "note", max_chars=LONG_TEXT_MAX_CHARS)


def test_non_text_is_refused() -> None:
    with pytest.raises(ValidationError):
        check_text(42, "note")  # type: ignore[arg-type]


def test_broken_utf8_surrogates_are_refused() -> None:
    with pytest.raises(ValidationError):
        check_text("name\udcff", "name")


@pytest.mark.parametrize(
    "value",
    [
        "see /home/ann/Pictures/beach.jpg",
        "it was C:\\Users\\ann\\DCIM\\IMG_0001.HEIC on her laptop",
        "~/Downloads/clip.mp4",
        "file:///tmp/x.png",
        "https://cdn.example.com/a/b/photo.jpeg?w=200&h=100",
        "link (https://example.com/v.MOV).",
        "http://example.com/x.webm#t=10",
        "s3://bucket/key.gif",
        'saved as "/Users/ann/My Pictures/beach 1.jpg" apparently',
        "a data:image/png;base64,iVBORw0KGgo= uri",
        "DATA:VIDEO/mp4;base64,AAAA",
    ],
)
def test_paths_links_and_data_uris_of_imagery_are_refused(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_text(value, "description")
    assert info.value.field == "description"
    assert "illegal" in info.value.message
    assert "words" in info.value.message


@pytest.mark.parametrize("extension", sorted(MEDIA_EXTENSIONS))
def test_every_listed_extension_is_refused_in_a_path(extension: str) -> None:
    with pytest.raises(ValidationError):
        refuse_imagery(f"/tmp/x.{extension.upper()}", "note")


@pytest.mark.parametrize(
    "value",
    [
        "a file called beach.jpg was sent on Snapchat",
        "She said the photo (IMG_2041.HEIC) was deleted.",
        "the video was on TikTok and Instagram",
        "Year 9/10 pupils shared it; and/or the police",
        "see /home/ann/notes.txt",
        "https://www.iwf.org.uk/ report remove",
        "ratio 3/4.",
    ],
)
def test_words_about_files_are_allowed(value: str) -> None:
    assert check_text(value, "description") == value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    "header",
    [
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"GIF89a\x01\x00\x01\x00",
        b"\x00\x00\x00\x18ftypmp42",
        b"\x00\x00\x00\x20ftypqt  ",
        b"RIFF\x00\x00\x00\x00WEBPVP8 ",
    ],
)
def test_base64_media_is_refused_even_inside_other_text(header: bytes) -> None:
    blob = _b64(header + bytes(range(256)) * 2)
    assert len(blob) > BASE64_MIN_RUN
    for value in (blob, f"pasted: {blob} end", f'{{"img":"{blob}"}}'):
        with pytest.raises(ValidationError):
            check_text(value, "note")


def test_short_or_non_media_base64_is_allowed() -> None:
    text_blob = _b64(b"just some ordinary words, nothing to see here " * 4)
    assert check_text(text_blob, "note") == text_blob
    short = _b64(b"\xff\xd8\xff\xe0abc")
    assert len(short) < BASE64_MIN_RUN
    assert check_text(short, "note") == short


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=500))
def test_check_text_only_ever_accepts_unchanged_or_raises_validation_error(value: str) -> None:
    try:
        result = check_text(value, "note")
    except ValidationError as err:
        field = err.field
        assert field == "note"
        return
    assert result == value
