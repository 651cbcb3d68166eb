"""Helpers shared by the model tests: policy copies and a record builder."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ydsi_tui.model.events import Event, make_event
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import Incident, IncidentMeta, new_incident_meta
from ydsi_tui.model.policy import Policy, parse_policy
from ydsi_tui.model.signoff import signoff_digest

#: Monday 9 November 2026, 09:00 GMT: the start of most scenarios.
START = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
DSL = "Dana Lee"
HEAD = "Sam Patel"


def policy_with(policy_text: str, old: str, new: str) -> Policy:
    """A copy of the bundled policy with one piece of text changed."""
    assert old in policy_text, old
    return parse_policy(policy_text.replace(old, new, 1).encode("utf-8"), origin="copy.toml")


def write_policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_bytes(text.encode("utf-8"))
    return path


class Record:
    """Builds an incident's events the way the service layer will: one entry at a time.

    The clock moves forward as entries are made; `at` may be given to
    record something after the fact.
    """

    def __init__(self, policy: Policy, *, ref: str = "2026-007", start: datetime = START) -> None:
        self.policy = policy
        self.now = start
        self.meta: IncidentMeta = new_incident_meta(ref, policy, now=start, by=DSL)
        self.events: list[Event] = []

    def tick(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def add(
        self,
        kind: str,
        data: Mapping[str, Any],
        *,
        at: datetime | None = None,
        by: str = DSL,
        by_role: str = "dsl",
        supersedes: str | None = None,
    ) -> Event:
        event = make_event(
            kind,
            data,
            at=at or self.now,
            now=self.now,
            by=by,
            by_role=by_role,
            supersedes=supersedes,
            policy=self.policy,
        )
        self.events.append(event)
        return event

    @property
    def incident(self) -> Incident:
        return fold(self.meta, self.events)

    def sign_off(
        self,
        decision: Event,
        *,
        by: str = HEAD,
        statement: str = "I agree.",
        verified: bool = True,
    ) -> Event:
        """A sign-off; ``verified`` stands for the vault having checked its signature.

        The model cannot check a signature (it has no keys): the reader marks
        the events it verified, and the model counts only those.
        """
        digest = signoff_digest(
            self.meta, decision, signer=by, signed_at=self.now, statement=statement
        )
        event = self.add(
            "signoff",
            {
                "decision_id": decision.id,
                "statement": statement,
                "signature": base64.b64encode(b"signature made by the vault").decode(),
                "key_id": "head-2026",
                "payload_sha256": digest,
            },
            by=by,
            by_role="headteacher",
        )
        if verified:
            event = dataclasses.replace(event, verified=True)
            self.events[-1] = event
        return event

    # -- common entries

    def open(self, kind: str = "peer_sharing", summary: str = "Image shared in Year 11") -> Event:
        return self.add("incident.opened", {"summary": summary, "kind": kind})

    def pupil(
        self,
        pupil_id: str,
        name: str,
        *,
        parts: list[str],
        dob: str | None = None,
        year_group: int | None = None,
        sex: str = "female",
        sen: bool = False,
    ) -> Event:
        data: dict[str, Any] = {
            "pupil_id": pupil_id,
            "name": name,
            "sex": sex,
            "parts": parts,
            "sen": sen,
            "vulnerabilities": "",
        }
        if dob is not None:
            data["dob"] = dob
        if year_group is not None:
            data["year_group"] = year_group
        return self.add("pupil.added", data)

    def disclosure(self, *, disclosed_at: datetime, dsl_told_at: datetime | None) -> Event:
        data: dict[str, Any] = {
            "discloser_type": "young_person",
            "discloser_name": "Amy Jones",
            "to_whom": "Mr Brown, form tutor",
            "how": "Told him after registration",
            "disclosed_at": disclosed_at,
        }
        if dsl_told_at is not None:
            data["dsl_told_at"] = dsl_told_at
        return self.add("disclosure", data, at=disclosed_at)

    def content(self, sexual_acts: str = "no", violent: str = "no") -> Event:
        return self.add(
            "content.described",
            {
                "description": "A topless photo, as described by the pupil; not viewed.",
                "sexual_acts": sexual_acts,
                "violent": violent,
            },
        )

    def review_meeting(self) -> Event:
        return self.add(
            "review.meeting",
            {
                "held_at": self.now,
                "attendees": [DSL, HEAD],
                "answers": {c.id: f"Considered: {c.id}" for c in self.policy.review_considerations},
            },
        )

    def triggers(self, answers: Mapping[int, str]) -> list[Event]:
        return [
            self.add(
                "trigger.answered",
                {"n": n, "answer": answers.get(n, "no"), "basis": f"What we know about {n}"},
            )
            for n in range(1, len(self.policy.triggers) + 1)
        ]


def bundled_policy_text() -> str:
    import importlib.resources

    resource = importlib.resources.files("ydsi_tui.model").joinpath("policies", "hindley-2016.toml")
    return resource.read_text(encoding="utf-8")
