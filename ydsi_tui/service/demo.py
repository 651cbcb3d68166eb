"""The demo vault: made-up people and incidents, so a newcomer sees everything at once.

Everything in it is synthetic and says so (every summary starts with DEMO).
Its passphrase is printed on start and is not a secret: the vault lives in its
own directory, apart from any real one, at the lowest accepted key-derivation
cost so that it opens quickly on any laptop.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import platformdirs

from ..model.events import new_id
from ..model.timeparse import to_iso_utc
from ..vault.crypto import MIN_ITERATIONS, MIN_MEMORY_KIB, KdfParams
from ..vault.errors import VaultNotFound
from ..vault.session import Session
from ..vault.vault import Vault
from .clock import FixedClock, SystemClock
from .factory import services_for
from .policies import approve_policy_file, read_policy_file
from .register import PupilRegister

__all__ = ["DEMO_PASSPHRASE", "DEMO_USERS", "demo_vault_path", "ensure_demo_vault"]

DEMO_PASSPHRASE = "demo passphrase (not secret)"  # noqa: S105 - printed on purpose
#: login, role, name in full
DEMO_USERS = (
    ("dsl", "dsl", "Alex Morgan (DEMO DSL)"),
    ("head", "headteacher", "Sam Patel (DEMO Headteacher)"),
    ("tech", "technician", "Jo Reid (DEMO IT technician)"),
)


def demo_vault_path() -> Path:
    return platformdirs.user_data_path("ydsi") / "demo-vault"


def ensure_demo_vault(path: Path | None = None, *, now: datetime | None = None) -> Path:
    """Create and fill the demo vault unless it already exists.

    Its incidents are dated relative to `now` (the clock, unless a test fixes it,
    so that what is late in it does not depend on the hour the test runs).
    """
    path = path or demo_vault_path()
    try:
        Vault.open(path).users()
        return path
    except VaultNotFound:
        pass
    kdf = KdfParams.new(MIN_MEMORY_KIB, MIN_ITERATIONS, 1)
    session, _code = Vault.create(
        path, user="dsl", passphrase=DEMO_PASSPHRASE, full_name=DEMO_USERS[0][2], kdf=kdf
    )
    # Like 'ydsi init': the policy in force at creation is approved by the first DSL.
    approve_policy_file(session, read_policy_file())
    for login, role, name in DEMO_USERS[1:]:
        if role == "headteacher":
            # The demo Headteacher signs off, so their keys are made the real way: an
            # enrolment code, their own client's keys, the DSL's endorsement.
            code = session.issue_enrolment(login, role, name)
            Vault.open(path).enrol(login, code, DEMO_PASSPHRASE, kdf=kdf.fresh())
            session.endorse_requests()
        else:
            session.add_user(login, role, DEMO_PASSPHRASE, full_name=name, kdf=kdf)
    now = now or SystemClock().now()
    to_sign = _seed(session, now)
    session.close()
    head = Vault.open(path).unlock("head", DEMO_PASSPHRASE)
    cases = services_for(head, clock=FixedClock(now)).cases
    assert cases is not None
    cases.sign_off(to_sign, "DEMO: I agree with this decision and its reasons.")
    head.close()
    return path


def _seed(session: Session, now: datetime) -> str:
    """Fill the vault; returns the reference the demo Headteacher signs off."""
    # 1. A consensual exchange between two 16-year-olds, handled in school, awaiting sign-off.
    services = services_for(session, clock=FixedClock(now - timedelta(days=6)))
    cases = services.cases
    assert cases is not None
    day = now - timedelta(days=6)
    ref = cases.create(
        "DEMO: two Year 11 pupils exchanged images; one shared on",
        "peer_sharing",
        disclosed_at=day - timedelta(hours=3),
    )
    ava, ben = new_id(), new_id()
    cases.record(ref, "disclosure", {
        "discloser_type": "young_person", "discloser_name": "Ava Example (DEMO)",
        "to_whom": "Form tutor Ms K. Demo", "how": "Told her form tutor after registration",
        "disclosed_at": to_iso_utc(day - timedelta(hours=3)),
        "dsl_told_at": to_iso_utc(day - timedelta(hours=2)),
    }, at=day - timedelta(hours=3))  # fmt: skip
    cases.record(ref, "pupil.added", {
        "pupil_id": ava, "name": "Ava Example (DEMO)", "year_group": 11, "sex": "female",
        "parts": ["pictured", "sent"], "sen": False, "vulnerabilities": "",
    })  # fmt: skip
    cases.record(ref, "pupil.added", {
        "pupil_id": ben, "name": "Ben Sample (DEMO)", "year_group": 11, "sex": "male",
        "parts": ["received", "shared"], "sen": False, "vulnerabilities": "",
        # Known to CSC before: the policy says contact them, even for an in-school response.
        "previously_known": True,
    })  # fmt: skip
    cases.record(ref, "content.described", {
        "description": "DEMO: described by the pupil as a topless image; no sexual acts",
        "sexual_acts": "no", "violent": "no",
    })  # fmt: skip
    for n, basis in enumerate(
        [
            "No adult involved: both pupils say so and messages were only between them",
            "No coercion or pressure described; both have capacity to consent",
            "Content described as not unusual for their stage, not violent",
            "No sexual acts depicted",
            "Neither pupil presents at immediate risk; pastoral check-ins arranged",
        ],
        start=1,
    ):
        cases.record(ref, "trigger.answered", {"n": n, "answer": "no", "basis": basis})
    cases.record(ref, "decision", {
        "outcome": "in_school", "reason": "DEMO: no trigger applies; risks manageable in school",
        "input_from": ["Sam Patel (DEMO Headteacher)"],
        "review_by": to_iso_utc(now + timedelta(days=3)),
    })  # fmt: skip
    cases.record(ref, "parents.informed", {
        "pupil_id": ava, "who": "Mrs Example (mother)", "how": "Phone call",
        "informed_by": "Alex Morgan (DEMO DSL)",
    })  # fmt: skip
    cases.record(ref, "deletion.requested", {
        "pupil_id": ben, "deadline": to_iso_utc(day + timedelta(days=1)), "told_illegal": True,
    })  # fmt: skip
    cases.note(ref, "DEMO: Ben says the image went to one friend only; friend spoken to.")
    # Each young person's own answers: the pictured pupil and the one who shared it on.
    for pupil, answer in (
        (ava, "DEMO: sent to one pupil she trusted; no pressure described"),
        (ben, "DEMO: shared it on to one friend to show off; regrets it"),
    ):
        cases.record(ref, "risk.answered", {
            "pupil_id": pupil, "question_id": "why_shared", "answer": answer,
        })  # fmt: skip
    cases.record(ref, "conversation", {
        "pupil_id": ava, "by_whom": "Alex Morgan (DEMO DSL)",
        "note": "DEMO: talked about consent and trust; she wants it deleted everywhere",
    })  # fmt: skip

    # 2. Sextortion: a trigger applies, so the program says refer now.
    services = services_for(session, clock=FixedClock(now - timedelta(days=2)))
    cases = services.cases
    assert cases is not None
    ref2 = cases.create(
        "DEMO: Year 9 pupil threatened online unless they pay", "sextortion",
        disclosed_at=now - timedelta(days=2, hours=1),
    )  # fmt: skip
    cara = new_id()
    cases.record(ref2, "pupil.added", {
        "pupil_id": cara, "name": "Cara Testpupil (DEMO)", "year_group": 9, "sex": "female",
        "parts": ["pictured"], "sen": True, "vulnerabilities": "DEMO: anxious; new to school",
    })  # fmt: skip
    cases.record(ref2, "trigger.answered", {
        "n": 2, "answer": "yes", "basis": "DEMO: demands for money; threats to share",
    })  # fmt: skip
    cases.record(ref2, "police.contact", {
        "route": "call_101", "spoken_to": "Call handler (DEMO)", "crime_refs": ["DEMO/0001/26"],
        "note": "Advised: do not pay, do not delete evidence",
    })  # fmt: skip
    # Cara showed her form tutor the messages, the image among them: an unavoidable
    # sighting (no decision to view), and the support offered to him afterwards.
    seen = cases.record(ref2, "sighting", {
        "seen_by": "Mr Owen Demo (form tutor)", "pupil_id": cara,
        "how": "Cara held up her phone to show him the threats; the image was among them",
        "actions": "Told Cara she had done the right thing; took her straight to the DSL",
    }, at=now - timedelta(days=2, hours=1))  # fmt: skip
    cases.record(ref2, "staff.support_offered", {
        "after_id": seen.id, "staff_name": "Owen Demo",
        "what": "Talked it through with the DSL; the staff wellbeing line offered",
    })  # fmt: skip
    services.devices.seize(ref2, {
        "description": "DEMO: black phone in a blue case", "owner": "CT-DEMO",
        "seized_by": "Jo Reid (DEMO IT technician)", "powered_off": True,
        "locked_where": "Safeguarding office cabinet B",
    })  # fmt: skip

    # 3. Just disclosed: the guide starts here.
    cases = services_for(session, clock=FixedClock(now)).cases
    assert cases is not None
    cases.create("DEMO: a parent reports an image of their child being shared", "peer_sharing")

    # 4. An older incident, handled in school (the Headteacher signs it off below).
    services = services_for(session, clock=FixedClock(now - timedelta(days=30)))
    cases = services.cases
    assert cases is not None
    ref4 = cases.create(
        "DEMO: AI-altered image of a pupil circulated in a group chat", "ai_generated",
        disclosed_at=now - timedelta(days=30, hours=2),
    )  # fmt: skip
    # Ben shared this one on too, a month before incident 1: repeat involvement.
    ben4 = new_id()
    cases.record(ref4, "pupil.added", {
        "pupil_id": ben4, "name": "Ben Sample (DEMO)", "year_group": 11, "sex": "male",
        "parts": ["shared"], "sen": False, "vulnerabilities": "",
    })  # fmt: skip
    for n in range(1, 6):
        cases.record(ref4, "trigger.answered", {
            "n": n, "answer": "no", "basis": "DEMO: established at the initial review meeting",
        })  # fmt: skip
    cases.record(ref4, "decision", {
        "outcome": "in_school",
        "reason": "DEMO: image removed from the chat within the hour; no trigger applies",
        "input_from": ["Sam Patel (DEMO Headteacher)"],
    })  # fmt: skip

    # The pupil register: one record per child, Ben's linked to both his incidents,
    # so incident 1 carries "2nd incident for a pupil; earlier: shared on".
    register = PupilRegister(cases)
    ben_record = register.register_incident_pupil(ref4, ben4)
    register.link(ref, ben_record, pupil_id=ben)
    register.register_incident_pupil(ref, ava)
    register.register_incident_pupil(ref2, cara)
    return ref4
