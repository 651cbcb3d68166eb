"""A report from any member of staff, filed through the write-only drop (issue 13).

Almost every incident starts with a tutor, a teaching assistant or a lunchtime
supervisor, not the DSL. What they file is kept as they typed it: it is the
first-hand account. The reporter's typed name is *not* proof of who filed it;
the file's owner (the kernel's word, ``owner_uid``/``owner_login``) is.

Pure: the vault seals and opens these documents, the CLI and the app ask for
the fields; this module only says what a report is and what may be in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import ValidationError
from .text import LONG_TEXT_MAX_CHARS, NAME_MAX_CHARS, TEXT_MAX_CHARS, check_text

__all__ = [
    "MAX_YOUNG_PEOPLE",
    "REPORT_FIELDS",
    "StaffReport",
    "report_doc",
]

#: How many young people one report may name (a class of them is a lot).
MAX_YOUNG_PEOPLE = 40
#: The reporter's fields, in the order a form asks for them, with their labels.
REPORT_FIELDS: tuple[tuple[str, str], ...] = (
    ("words", "What was disclosed, in the young person's words as far as you remember them"),
    ("disclosed_by", "Who disclosed it (a pupil, a parent, ...)"),
    ("disclosed_at", "When it was disclosed (as you remember it, e.g. 'today 3:20pm')"),
    ("how", "How it came to light"),
    ("young_people", "The young people involved"),
    ("already_done", "What you have done already"),
)


@dataclass(frozen=True)
class StaffReport:
    """One opened report: what was typed, and what the kernel and the vault attest."""

    report_id: str
    reporter_name: str  # as typed: NOT proof of identity
    job_title: str
    words: str  # what was disclosed, in the young person's words
    disclosed_by: str  # who disclosed (a pupil, a parent, ...) as typed
    disclosed_at: datetime | None
    how: str  # how it came to light
    young_people: tuple[str, ...]
    already_done: str
    about_staff: bool  # an allegation against an adult: sealed to the HT only
    filed_at: datetime
    owner_uid: int
    owner_login: str  # pwd name of owner_uid, "" if unknown
    #: When the reporter's words for "when" were not a time, kept as typed.
    disclosed_when_text: str = ""
    #: A report about the Headteacher (sealed to the key the school names).
    about_headteacher: bool = False

    @classmethod
    def from_doc(cls, doc: dict[str, Any], *, owner_uid: int, owner_login: str) -> StaffReport:
        """The opened document, checked again: a reporter's client is not trusted."""
        fields = report_fields(doc)
        filed = _aware(doc.get("filed_at"))
        if filed is None:
            raise ValidationError("filed_at", "The report carries no time it was filed.")
        return cls(
            report_id=_str(doc.get("report_id")),
            reporter_name=fields["reporter_name"],
            job_title=fields["job_title"],
            words=fields["words"],
            disclosed_by=fields["disclosed_by"],
            disclosed_at=_aware(doc.get("disclosed_at")),
            how=fields["how"],
            young_people=tuple(fields["young_people"]),
            already_done=fields["already_done"],
            about_staff=bool(doc.get("about_staff") is True),
            filed_at=filed,
            owner_uid=owner_uid,
            owner_login=owner_login,
            disclosed_when_text=fields["disclosed_when_text"],
            about_headteacher=bool(doc.get("about_headteacher") is True),
        )


def report_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The typed fields of a report document, each checked (imagery refused, lengths)."""
    out: dict[str, Any] = {
        "reporter_name": check_text(
            _str(doc.get("reporter_name")), "reporter_name", max_chars=NAME_MAX_CHARS
        ),
        "job_title": check_text(_str(doc.get("job_title")), "job_title", max_chars=NAME_MAX_CHARS),
        "words": check_text(_str(doc.get("words")), "words", max_chars=LONG_TEXT_MAX_CHARS),
        "disclosed_by": check_text(
            _str(doc.get("disclosed_by")), "disclosed_by", required=False, max_chars=NAME_MAX_CHARS
        ),
        "how": check_text(_str(doc.get("how")), "how", required=False, max_chars=TEXT_MAX_CHARS),
        "already_done": check_text(
            _str(doc.get("already_done")), "already_done", required=False, max_chars=TEXT_MAX_CHARS
        ),
        "disclosed_when_text": check_text(
            _str(doc.get("disclosed_when_text")),
            "disclosed_at",
            required=False,
            max_chars=NAME_MAX_CHARS,
        ),
    }
    people = doc.get("young_people", [])
    if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
        raise ValidationError("young_people", "The young people must be a list of names.")
    if len(people) > MAX_YOUNG_PEOPLE:
        raise ValidationError(
            "young_people", f"At most {MAX_YOUNG_PEOPLE} young people in one report."
        )
    out["young_people"] = [
        check_text(p, "young_people", max_chars=NAME_MAX_CHARS) for p in people if p.strip()
    ]
    return out


def report_doc(
    *,
    report_id: str,
    reporter_name: str,
    job_title: str,
    words: str,
    filed_at: datetime,
    disclosed_by: str = "",
    disclosed_at: datetime | None = None,
    disclosed_when_text: str = "",
    how: str = "",
    young_people: tuple[str, ...] | list[str] = (),
    already_done: str = "",
    about_staff: bool = False,
    about_headteacher: bool = False,
) -> dict[str, Any]:
    """The document a reporter's client seals: every field checked before it leaves."""
    if filed_at.tzinfo is None:
        raise ValueError("filed_at must be an aware time")
    if about_headteacher and not about_staff:
        raise ValidationError("about_headteacher", "A report about the Headteacher is about staff.")
    doc: dict[str, Any] = {
        "report_id": report_id,
        "reporter_name": reporter_name,
        "job_title": job_title,
        "words": words,
        "disclosed_by": disclosed_by,
        "disclosed_at": disclosed_at.astimezone(UTC).isoformat() if disclosed_at else None,
        "disclosed_when_text": disclosed_when_text,
        "how": how,
        "young_people": list(young_people),
        "already_done": already_done,
        "about_staff": about_staff,
        "about_headteacher": about_headteacher,
        "filed_at": filed_at.astimezone(UTC).isoformat(),
    }
    report_fields(doc)
    return doc


def _str(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("report", "A report field is not text.")
    return value


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
