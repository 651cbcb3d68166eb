"""UK time entry: day first, clock changes refused unless the zone is said."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ydsi_tui.model.errors import ValidationError
from ydsi_tui.model.timeparse import (
    FUTURE_TOLERANCE,
    LONDON,
    date_from_iso,
    date_to_iso,
    format_local,
    format_local_short,
    from_iso,
    local_offset,
    parse_date,
    parse_deadline,
    parse_dob,
    parse_when,
    to_iso_utc,
)

# Saturday 14 November 2026, 12:00 GMT (UK time equals UTC in winter).
NOW = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
# Tuesday 14 July 2026, 12:00 BST (11:00 UTC).
SUMMER = datetime(2026, 7, 14, 11, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", utc(2026, 11, 14, 12, 0)),
        ("NOW", utc(2026, 11, 14, 12, 0)),
        ("10:30", utc(2026, 11, 14, 10, 30)),
        ("11am", utc(2026, 11, 14, 11, 0)),
        ("9.15am", utc(2026, 11, 14, 9, 15)),
        ("today 10:30", utc(2026, 11, 14, 10, 30)),
        ("yesterday 3pm", utc(2026, 11, 13, 15, 0)),
        ("yesterday 3.15pm", utc(2026, 11, 13, 15, 15)),
        ("yesterday at 3pm", utc(2026, 11, 13, 15, 0)),
        ("14/11 10:30", utc(2026, 11, 14, 10, 30)),
        ("14/11/2026 10:30", utc(2026, 11, 14, 10, 30)),
        ("14/11/26 10:30", utc(2026, 11, 14, 10, 30)),
        ("14 Nov 10:30", utc(2026, 11, 14, 10, 30)),
        ("13 November 2026 3pm", utc(2026, 11, 13, 15, 0)),
        ("2026-11-14T10:30", utc(2026, 11, 14, 10, 30)),
        ("2026-11-14T10:30Z", utc(2026, 11, 14, 10, 30)),
        ("2026-11-14T10:30+01:00", utc(2026, 11, 14, 9, 30)),
        ("Sat 14/11/2026 10:30 GMT", utc(2026, 11, 14, 10, 30)),
        ("friday 3pm", utc(2026, 11, 13, 15, 0)),
        ("noon", utc(2026, 11, 14, 12, 0)),
        ("12am", utc(2026, 11, 14, 0, 0)),
    ],
)
def test_accepted_forms(text: str, expected: datetime) -> None:
    result = parse_when(text, now=NOW)
    assert result == expected
    assert result.tzinfo is UTC


def test_summer_times_are_read_as_bst() -> None:
    assert parse_when("10:30", now=SUMMER) == utc(2026, 7, 14, 9, 30)
    assert parse_when("14/07/2026 10:30 BST", now=SUMMER) == utc(2026, 7, 14, 9, 30)


def test_a_date_without_a_year_is_the_most_recent_such_date() -> None:
    # 15 November has not come yet this year, so it means last year.
    assert parse_when("15/11 10:30", now=NOW) == utc(2025, 11, 15, 10, 30)
    assert parse_when("1 Jan 09:00", now=NOW) == utc(2026, 1, 1, 9, 0)
    assert parse_when("29/02 10:00", now=NOW) == utc(2024, 2, 29, 10, 0)


@pytest.mark.parametrize("text", ["14/11", "yesterday", "14 November 2026", "2026-11-14", "friday"])
def test_a_bare_date_is_refused_asking_for_a_time(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_when(text, now=NOW, field="disclosed_at")
    assert info.value.field == "disclosed_at"
    assert "time" in info.value.message
    assert text in info.value.message


def test_future_times_are_refused_beyond_the_tolerance() -> None:
    just_inside = NOW + FUTURE_TOLERANCE - timedelta(seconds=1)
    assert parse_when(to_iso_utc(just_inside), now=NOW) == just_inside
    with pytest.raises(ValidationError) as info:
        parse_when("3pm", now=NOW)
    assert "future" in info.value.message
    assert "'3pm'" in info.value.message
    with pytest.raises(ValidationError):
        parse_when(to_iso_utc(NOW + FUTURE_TOLERANCE + timedelta(seconds=1)), now=NOW)


def test_spring_forward_gap_is_refused_unless_zone_given() -> None:
    now = utc(2026, 4, 1, 12, 0)
    with pytest.raises(ValidationError) as info:
        parse_when("29/03/2026 01:30", now=now)
    assert "GMT" in info.value.message
    assert "BST" in info.value.message
    assert parse_when("29/03/2026 01:30 GMT", now=now) == utc(2026, 3, 29, 1, 30)
    assert parse_when("29/03/2026 01:30 BST", now=now) == utc(2026, 3, 29, 0, 30)


def test_autumn_fold_is_refused_unless_zone_given() -> None:
    with pytest.raises(ValidationError) as info:
        parse_when("25/10/2026 01:30", now=NOW)
    assert "twice" in info.value.message
    assert "BST" in info.value.message
    first = parse_when("25/10/2026 01:30 BST", now=NOW)
    second = parse_when("25/10/2026 01:30 gmt", now=NOW)
    assert second - first == timedelta(hours=1)
    assert format_local(first) == "Sun 25/10/2026 01:30 BST"
    assert format_local(second) == "Sun 25/10/2026 01:30 GMT"


def test_a_zone_that_the_clocks_did_not_show_is_refused() -> None:
    with pytest.raises(ValidationError) as info:
        parse_when("14/07/2026 10:30 GMT", now=SUMMER)
    assert "BST" in info.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("31/02/2026 10:00", "28 days"),
        ("29/02/2026 10:00", "28 days"),
        ("14/13/2026 10:00", "no month 13"),
        ("25:00", "clock"),
        ("13pm", "1 to 12"),
        ("fri 14/11/2026 10:30", "Saturday"),
        ("14.11", "date or a time"),
    ],
)
def test_impossible_input_is_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_when(text, now=NOW)
    assert words in info.value.message


@pytest.mark.parametrize("text", ["", "   ", "hello", "1 2 3", "x" * 500, "10:30 UTC+9", "??"])
def test_garbage_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_when(text, now=NOW)
    assert "for example" in info.value.message or "for example" in info.value.message.lower()


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("now", now=datetime(2026, 11, 14, 12, 0))


@pytest.mark.slow  # 400 generated texts
@settings(deadline=None, max_examples=400)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.from_regex(
            r"(today |yesterday |[0-3]?[0-9]/[01]?[0-9](/[0-9]{2,4})? |[0-9]{1,2} "
            r"(jan|feb|mar|oct|nov|dec)[a-z]* ([0-9]{4} )?)?[0-2]?[0-9]([:.][0-5][0-9])?"
            r"(am|pm)?( bst| gmt)?",
            fullmatch=True,
        ),
    ),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1),
        max_value=datetime(2090, 1, 1),
        timezones=st.just(UTC),
    ),
)
def test_any_text_gives_past_aware_utc_or_validation_error(text: str, now: datetime) -> None:
    try:
        result = parse_when(text, now=now)
    except ValidationError:
        return
    assert result.tzinfo is UTC
    assert result <= now + FUTURE_TOLERANCE


@settings(deadline=None, max_examples=300)
@given(text=st.text(max_size=40))
def test_deadline_and_date_parsers_only_raise_validation_error(text: str) -> None:
    for parse in (parse_deadline, parse_date, parse_dob):
        with contextlib.suppress(ValidationError):
            parse(text, now=NOW)


@settings(deadline=None, max_examples=300)
@given(
    st.datetimes(
        min_value=datetime(1900, 1, 2),
        max_value=datetime(2999, 12, 30),
        timezones=st.just(UTC),
    ),
    st.sampled_from([UTC, LONDON, timezone(timedelta(hours=-5, minutes=-30))]),
)
@example(datetime(2000, 10, 29, 0, 0, tzinfo=UTC), LONDON)  # the ambiguous hour Hypothesis found
def test_iso_round_trip(instant: datetime, zone: tzinfo) -> None:
    # Built by conversion so that every value is a real instant: a wall time
    # inside a clock-change gap names no instant and has nothing to round-trip.
    dt = instant.astimezone(zone)
    text = to_iso_utc(dt)
    assert text.endswith("Z")
    back = from_iso(text)
    # The instant, compared in UTC: by PEP 495 an ambiguous wall time (the hour
    # clocks go back, 2000-10-29 01:00 in London) never compares equal to a time
    # in another zone, even when it is the same instant.
    assert back == instant
    assert back.tzinfo is UTC
    assert to_iso_utc(back) == text


@pytest.mark.parametrize(
    "text", ["", "garbage", "2026-11-14", "2026-11-14T10:30:00", "2026-02-30T10:00Z", "1e9"]
)
def test_from_iso_refuses_anything_but_a_zoned_time(text: str) -> None:
    with pytest.raises(ValidationError):
        from_iso(text, field="at")


def test_iso_text_shapes() -> None:
    assert to_iso_utc(utc(2026, 11, 14, 10, 30)) == "2026-11-14T10:30:00Z"
    assert from_iso("2026-11-14T11:30:00+01:00") == utc(2026, 11, 14, 10, 30)
    assert date_from_iso(date_to_iso(date(2009, 11, 14))) == date(2009, 11, 14)
    with pytest.raises(ValidationError):
        date_from_iso("14/11/2009")


def test_formatting_names_the_zone() -> None:
    assert format_local(utc(2026, 11, 14, 10, 30)) == "Sat 14/11/2026 10:30 GMT"
    assert format_local(utc(2026, 7, 14, 9, 30)) == "Tue 14/07/2026 10:30 BST"
    assert format_local_short(utc(2026, 11, 14, 10, 30)) == "14/11 10:30"
    assert format_local_short(utc(2025, 11, 14, 10, 30), now=NOW) == "14/11/2025 10:30"
    assert format_local_short(utc(2026, 1, 2, 10, 30), now=NOW) == "02/01 10:30"
    assert local_offset(utc(2026, 7, 14, 9, 30)) == "+01:00"
    assert local_offset(NOW) == "+00:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+2d", utc(2026, 11, 16, 12, 0)),
        ("+48h", utc(2026, 11, 16, 12, 0)),
        ("+1w", utc(2026, 11, 21, 12, 0)),
        ("tomorrow 3pm", utc(2026, 11, 15, 15, 0)),
        ("tomorrow", utc(2026, 11, 15, 23, 59)),
        ("today", utc(2026, 11, 14, 23, 59)),
        ("friday", utc(2026, 11, 20, 23, 59)),
        ("saturday 11am", utc(2026, 11, 21, 11, 0)),
        ("saturday 1pm", utc(2026, 11, 14, 13, 0)),
        ("20/11/2026", utc(2026, 11, 20, 23, 59)),
        ("20/11", utc(2026, 11, 20, 23, 59)),
        ("13/11", utc(2027, 11, 13, 23, 59)),
        ("2026-11-20", utc(2026, 11, 20, 23, 59)),
        ("14/11/2026 15:00", utc(2026, 11, 14, 15, 0)),
    ],
)
def test_deadlines(text: str, expected: datetime) -> None:
    assert parse_deadline(text, now=NOW) == expected


def test_deadline_end_of_day_is_uk_time_in_summer() -> None:
    assert parse_deadline("tomorrow", now=SUMMER) == utc(2026, 7, 15, 22, 59)


@pytest.mark.parametrize("text", ["now", "yesterday", "13/11/2026", "10:00", "+0d", "+900d", "x"])
def test_past_or_unreadable_deadlines_are_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_deadline(text, now=NOW)
    assert info.value.field == "deadline"


def test_dates_of_birth() -> None:
    assert parse_dob("14/11/2009", now=NOW) == date(2009, 11, 14)
    assert parse_dob("2009-11-14", now=NOW) == date(2009, 11, 14)
    assert parse_dob("14 November 2009", now=NOW) == date(2009, 11, 14)
    for text, words in [
        ("14/11/09", "four digits"),
        ("14/11/2030", "future"),
        ("14/11/1990", "36 years"),
        ("31/02/2009", "28 days"),
    ]:
        with pytest.raises(ValidationError) as info:
            parse_dob(text, now=NOW)
        assert words in info.value.message
        assert info.value.field == "dob"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("31/02 10:00", "February has no 31st"),
        ("30/02 10:00", "February has no 30th"),
        ("31/04 10:00", "April has no 31st"),
        ("32/01 10:00", "there is no day 32 in any month"),
    ],
)
def test_an_impossible_day_without_a_year_names_no_placeholder_year(text: str, words: str) -> None:
    """The check uses a leap year internally; the message must not mention it."""
    with pytest.raises(ValidationError) as caught:
        parse_when(text, now=NOW)
    message = str(caught.value)
    assert words in message
    assert "2000" not in message and "2024" not in message and "2023" not in message


def test_an_impossible_day_with_a_year_names_that_year() -> None:
    with pytest.raises(ValidationError, match="February 2026 has 28 days"):
        parse_when("29/02/2026 10:00", now=NOW)


def test_the_29th_of_february_without_a_year_is_still_the_last_leap_day() -> None:
    assert parse_when("29/02 10:00", now=NOW) == utc(2024, 2, 29, 10, 0)
