"""Issue 10, finding 7: timeliness from the policy, and an inspection check that does not mislead.

* Every time limit is a setting of the policy; the defaults read the text's
  words as school days: the DSL told the same school day ("as soon as
  possible"), parents the same or the next school day ("at an early stage")
  unless a reason why not is recorded.
* The inspection check states each limit and each incident's actual times.
* Every "fix at step" names the step that records the missing thing. The
  expected step is derived here from which step records each kind of entry
  (the app's menus: the kinds `a` offers at each step), never from the
  policy file's mapping under test.
* No inspection question is met by construction.
* The devices step reads the custody log's facts, passed in.

Expected answers are written from the policy's words, never read back from the
code under test.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from ydsi_tui.model.custody import with_custody
from ydsi_tui.model.events import Event
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import Incident
from ydsi_tui.model.policy import Policy, PolicyError
from ydsi_tui.model.predicates import DESCRIPTIONS, PREDICATES
from ydsi_tui.model.records import DeviceCustody
from ydsi_tui.model.rules import (
    InspectionFinding,
    flag_step,
    inspection,
    obligations,
    overdue,
    step_states,
)
from ydsi_tui.model.timelimits import time_limits
from ydsi_tui.model.timeparse import to_iso_utc

from .support import DSL, HEAD, START, Record, policy_with

# START is Monday 9 November 2026, 09:00 GMT.
MONDAY = START
FRIDAY_BEFORE = START - timedelta(days=3)  # Friday 6 November, 09:00


def met(incident: Incident, policy: Policy) -> dict[str, bool]:
    return {f.question.id: f.met for f in inspection(incident, policy)}


def fixes_of(finding: InspectionFinding) -> dict[str, str]:
    """Each thing the finding lacks, with the step it names to fix it.

    (Read so that it also runs against the program before per-check steps,
    where one step was named for a whole question.)
    """
    pairs = getattr(finding, "fixes", None) or [(m, finding.fix_step) for m in finding.missing]
    return dict(pairs)


def fixes(incident: Incident, policy: Policy) -> dict[str, str]:
    """Each unmet check's description, with the step the check says fixes it."""
    return {text: step for f in inspection(incident, policy) for text, step in fixes_of(f).items()}


# ------------------------------------------------------------ the scenarios


def base(record: Record, *, told: datetime | None = None) -> None:
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-03-14")
    record.pupil("p2", "Ben Smith", parts=["received", "shared"], year_group=11, sex="male")
    disclosed = record.now
    told = told or disclosed + timedelta(minutes=30)
    record.now = told + timedelta(minutes=30)  # written up after the DSL was told
    record.disclosure(disclosed_at=disclosed, dsl_told_at=told)
    record.review_meeting()


def parents_told(record: Record, at: datetime | None = None) -> None:
    for pid, who in (("p1", "Mrs Jones"), ("p2", "Mr Smith")):
        record.add(
            "parents.informed",
            {"pupil_id": pid, "who": who, "how": "By phone", "informed_by": DSL},
            at=at,
        )


def in_school(record: Record) -> None:
    """A complete incident handled in school: every inspection question is met."""
    base(record)
    record.content(sexual_acts="no")
    record.triggers({})
    decision = record.add(
        "decision",
        {"outcome": "in_school", "reason": "Consensual, no trigger applies.", "input_from": [HEAD]},
    )
    record.sign_off(decision)
    for pid in ("p1", "p2"):  # each young person's risks, answered for them
        for question in record.policy.risk_questions:
            record.add(
                "risk.answered",
                {"pupil_id": pid, "question_id": question.id, "answer": "Considered."},
            )
    parents_told(record)
    for pid in ("p1", "p2"):
        record.add(
            "deletion.requested",
            {"pupil_id": pid, "deadline": record.now + timedelta(days=1), "told_illegal": True},
        )
    record.tick(hours=2)
    for pid in ("p1", "p2"):
        record.add("deletion.confirmed", {"pupil_id": pid, "how": "Shown to the DSL"})
        record.add("conversation", {"pupil_id": pid, "by_whom": DSL, "note": "Talked it through."})


def referred(record: Record) -> None:
    """A complete incident referred to the police and CSC: every question is met."""
    base(record)
    record.content(sexual_acts="yes")
    record.triggers({4: "yes"})
    record.add(
        "decision",
        {"outcome": "refer", "refer_to": ["police", "csc"], "reason": "Trigger 4 applies."},
    )
    record.tick(minutes=20)
    record.add(
        "police.contact",
        {"route": "call_101", "spoken_to": "Call handler 4471", "crime_refs": ["CR/1/26"]},
    )
    record.add(
        "csc.contact", {"type": "referral", "spoken_to": "MASH duty worker", "reference": "M-9"}
    )
    parents_told(record)
    record.tick(days=2)
    record.add("police.outcome", {"outcome": "under_investigation", "crime_ref": "CR/1/26"})
    record.add("agency.meeting", {"who": "Strategy meeting: police, CSC, school"})
    # A deliberate viewing that broke a condition, acknowledged by the Headteacher.
    viewing = record.add(
        "viewing",
        {
            "viewer": DSL, "viewer_role": "dsl", "present": [HEAD], "where": "Head's office",
            "on_premises": True, "reason_id": "report_for_takedown", "head_consulted": False,
            "same_sex": "yes", "distress_considered": True, "not_copied": True,
            "actions": "Reported for removal", "pupil_id": "p1",
            "acknowledgements": {"head_consulted": "The Headteacher was off site"},
        },
    )  # fmt: skip
    record.add(
        "viewing.acknowledged",
        {"viewing_id": viewing.id, "note": "Seen; agreed it was needed"},
        by=HEAD,
        by_role="headteacher",
    )
    # Verified: saved with the Headteacher's own key (the vault checks; see Record.sign_off).
    record.events[-1] = dataclasses.replace(record.events[-1], verified=True)
    record.add(
        "transfer.sent",
        {
            "transfer_id": "t1",
            "pupil_id": "p2",
            "to_school": "Hill School",
            "file_sha256": "a" * 64,
        },
    )
    record.add("transfer.receipt", {"transfer_id": "t1", "received_by": "Ms Hill, DSL"})


SCENARIOS: dict[str, Callable[[Record], None]] = {"in_school": in_school, "referred": referred}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_complete_scenarios_meet_every_question(name: str, policy: Policy) -> None:
    record = Record(policy)
    SCENARIOS[name](record)
    assert met(record.incident, policy) == {q.id: True for q in policy.inspection_questions}


# ------------------------------------------------- item 1: limits from the text


def test_the_dsl_told_the_next_morning_is_late(policy: Policy) -> None:
    """23 hours passed the old 24-hour limit; "as soon as possible" is the same school day."""
    record = Record(policy)
    base(record, told=MONDAY + timedelta(hours=23))
    assert not PREDICATES["dsl_told_within_limit"](record.incident, policy)
    assert not met(record.incident, policy)["timely_action"]
    flags = [f for f in obligations(record.incident, policy) if f.code == "dsl_delay"]
    assert len(flags) == 1
    assert "the same school day (a setting of this policy file" in flags[0].text
    assert "as soon as possible" in flags[0].text


@pytest.mark.parametrize(
    ("disclosed", "told", "timely"),
    [
        (MONDAY, MONDAY + timedelta(hours=7), True),  # Monday 16:00
        (MONDAY, MONDAY + timedelta(hours=14, minutes=59), True),  # 23:59, still Monday
        (MONDAY, MONDAY + timedelta(hours=15, minutes=1), False),  # Tuesday 00:01
        (FRIDAY_BEFORE + timedelta(hours=6), MONDAY, False),  # Friday 15:00 to Monday
        (FRIDAY_BEFORE + timedelta(days=1), MONDAY + timedelta(hours=5), True),  # Saturday
        # Christmas 2026: Thursday 24th to Tuesday 29th (25th and 28th are bank holidays).
        (datetime(2026, 12, 25, 10, tzinfo=UTC), datetime(2026, 12, 29, 9, tzinfo=UTC), True),
        (datetime(2026, 12, 24, 10, tzinfo=UTC), datetime(2026, 12, 29, 9, tzinfo=UTC), False),
    ],
)
def test_the_same_school_day_follows_the_school_calendar(
    policy: Policy, disclosed: datetime, told: datetime, timely: bool
) -> None:
    record = Record(policy, start=told)
    record.open()
    record.disclosure(disclosed_at=disclosed, dsl_told_at=told)
    assert PREDICATES["dsl_told_within_limit"](record.incident, policy) is timely


def test_parents_told_on_the_third_school_day_is_not_timely(policy: Policy) -> None:
    """Any entry passed before; "at an early stage" is the same or the next school day."""
    record = Record(policy)
    in_school(record)
    late = Record(policy, start=MONDAY + timedelta(days=3))
    late.open()
    late.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-03-14")
    late.disclosure(disclosed_at=MONDAY, dsl_told_at=MONDAY)
    late.add(
        "parents.informed",
        {"pupil_id": "p1", "who": "Mrs Jones", "how": "Phone", "informed_by": DSL},
        at=MONDAY + timedelta(days=2, hours=1),  # Wednesday
    )
    assert not PREDICATES["parents_informed_within_limit"](late.incident, policy)
    assert not met(late.incident, policy)["timely_action"]
    on_time = Record(policy, start=late.now)
    on_time.events = [e for e in late.events if e.kind != "parents.informed"]
    on_time.add(
        "parents.informed",
        {"pupil_id": "p1", "who": "Mrs Jones", "how": "Phone", "informed_by": DSL},
        at=MONDAY + timedelta(days=1, hours=8),  # Tuesday 17:00: the next school day
    )
    on_time.meta = late.meta
    assert PREDICATES["parents_informed_within_limit"](on_time.incident, policy)


def test_a_reason_why_not_meets_the_parents_limit(policy: Policy) -> None:
    record = Record(policy)
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-03-14")
    record.disclosure(disclosed_at=MONDAY, dsl_told_at=MONDAY)
    record.tick(days=3)
    record.add(
        "parents.not_informed",
        {"pupil_id": "p1", "reason": "Risk of harm at home", "agreed_with": "csc"},
    )
    assert PREDICATES["parents_informed_within_limit"](record.incident, policy)


def test_the_parents_flag_states_the_limit_and_its_setting(policy: Policy) -> None:
    record = Record(policy)
    record.open()
    record.pupil("p1", "Amy Jones", parts=["pictured"], dob="2010-03-14")
    record.disclosure(disclosed_at=FRIDAY_BEFORE + timedelta(hours=6), dsl_told_at=None)
    flag = next(f for f in obligations(record.incident, policy) if f.code == "parents_not_informed")
    assert flag.due_at == datetime(2026, 11, 10, 0, 0, tzinfo=UTC)  # end of Monday
    assert "the same or the next school day (a setting of this policy file" in flag.text
    assert "at an early stage" in flag.text
    assert "48 hours" not in flag.text


def test_each_limit_is_a_setting(policy_text: str) -> None:
    loose = policy_with(
        policy_text, "dsl_told_within_school_days = 0", "dsl_told_within_school_days = 1"
    )
    record = Record(loose)
    base(record, told=MONDAY + timedelta(hours=23))
    assert PREDICATES["dsl_told_within_limit"](record.incident, loose)
    # A policy approved before school days names hours, and keeps them.
    hours = policy_with(
        policy_text, "dsl_told_within_school_days = 0", "disclosure_to_dsl_max_hours = 24"
    )
    assert PREDICATES["dsl_told_within_limit"](Record(hours).incident, hours) is False
    record = Record(hours)
    base(record, told=MONDAY + timedelta(hours=23))
    assert PREDICATES["dsl_told_within_limit"](record.incident, hours)
    with pytest.raises(PolicyError, match="not both"):
        policy_with(
            policy_text,
            "dsl_told_within_school_days = 0",
            "dsl_told_within_school_days = 0\ndisclosure_to_dsl_max_hours = 24",
        )


def test_every_limit_default_is_listed_where_the_program_reads_the_text(policy: Policy) -> None:
    """Each limit the text gives no number for says so in [[stricter_than_text]], at its step."""
    limits = time_limits(policy)
    assert {limit.setting for limit in limits} >= {
        "dsl_told_within_school_days",
        "parents_inform_within_school_days",
        "referral_max_hours",
        "decision_review_days",
        "device_collection_days",
        "deletion_deadline_default_hours",
        "transfer_receipt_school_days",
    }
    for limit in limits:
        notes = policy.notes_for(limit.step_id)
        assert notes, limit.id
    told = " ".join(note.text for note in policy.notes_for("disclosure"))
    assert "same school day" in told and "as soon as possible" in told
    parents = " ".join(note.text for note in policy.notes_for("parents"))
    assert "next school day" in parents and "at an early stage" in parents


# --------------------------------------------- item 3: every fix names its step

#: Which step records each kind of entry: the kinds the app offers at each
#: step (`a` on the Guide), read from the app, not from the inspection mapping.
#: Kinds no step's form offers are made by their own commands: the sign-off
#: belongs to the decision it signs, transfers to "Recording incidents".
OWN_COMMANDS = {
    "signoff": "decision",
    "signoff.declined": "decision",
    "transfer.sent": "closing",
    "transfer.receipt": "closing",
}


def recorded_at() -> dict[str, str]:
    from ydsi_tui.app.screens.incident import STEP_FORMS

    found = dict(OWN_COMMANDS)
    for step_id, kinds in STEP_FORMS.items():
        for kind in kinds:
            found.setdefault(kind, step_id)
    return found


@dataclasses.dataclass
class Mutation:
    """One way a complete record can lack something, and the kind of entry at fault."""

    name: str
    events: list[Event]
    #: The kind whose entry is missing, late or incomplete (None: something added).
    kind: str | None
    #: The checks this mutation speaks to (None: every check it breaks).
    judged: frozenset[str] | None = None


def late_copies(record: Record, kind: str, delay: timedelta) -> list[Event]:
    return [
        dataclasses.replace(e, at=e.at + delay, recorded_at=e.recorded_at + delay)
        if e.kind == kind
        else e
        for e in record.events
    ]


def mutations(name: str, record: Record, policy: Policy) -> list[Mutation]:
    found = [
        Mutation(f"{name} without {kind}", [e for e in record.events if e.kind != kind], kind)
        for kind in sorted({e.kind for e in record.events} - {"incident.opened", "pupil.added"})
    ]
    # No young person at all: every "for each" check fails, but what is missing
    # is the young people themselves (what each other check lacks is tried above).
    found.append(
        Mutation(
            f"{name} without any young person",
            [e for e in record.events if e.kind != "pupil.added"],
            "pupil.added",
            frozenset({"pupils_recorded"}),
        )
    )
    # A young person recorded with no age: how long to keep the record is unknown.
    found.append(
        Mutation(
            f"{name}, a pupil with no age",
            [_without_age(e) for e in record.events],
            "pupil.added",
        )
    )
    found.append(
        Mutation(
            f"{name}, parents told late",
            late_copies(record, "parents.informed", timedelta(days=3)),
            "parents.informed",
        )
    )
    disclosure = next(e for e in record.events if e.kind == "disclosure")
    told_late = dataclasses.replace(
        disclosure,
        data={**disclosure.data, "dsl_told_at": to_iso_utc(disclosure.at + timedelta(days=1))},
    )
    found.append(
        Mutation(
            f"{name}, the DSL told the next day",
            [told_late if e is disclosure else e for e in record.events],
            "disclosure",
        )
    )
    for kind in ("police.contact", "csc.contact"):
        if any(e.kind == kind for e in record.events):
            found.append(
                Mutation(
                    f"{name}, {kind} late", late_copies(record, kind, timedelta(hours=3)), kind
                )
            )
    if name == "in_school":
        extra = Record(policy)
        extra.now = record.now
        yes = extra.add("trigger.answered", {"n": 5, "answer": "yes", "basis": "Self-harm"})
        found.append(Mutation(f"{name}, then trigger 5 yes", [*record.events, yes], None))
        first_decision = next(i for i, e in enumerate(record.events) if e.kind == "decision")
        earlier = record.events[first_decision].at - timedelta(minutes=1)
        yes_first = dataclasses.replace(yes, id="t5-yes-first", at=earlier)
        before = [*record.events[:first_decision], yes_first, *record.events[first_decision:]]
        found.append(Mutation(f"{name} with trigger 5 yes", before, None))
        decision = next(e for e in record.events if e.kind == "decision")
        declined = extra.add(
            "signoff.declined",
            {"decision_id": decision.id, "reason": "Tell the parents first"},
            by=HEAD,
            by_role="headteacher",
        )
        declined = dataclasses.replace(declined, verified=True)  # the Headteacher's own save
        unsigned = [e for e in record.events if e.kind != "signoff"]
        found.append(Mutation(f"{name}, sign-off declined", [*unsigned, declined], None))
        known = extra.add("pupil.updated", {"pupil_id": "p1", "cp_plan": True})
        found.append(Mutation(f"{name}, a pupil known to CSC", [*record.events, known], None))
        adult = extra.add("adult.added", {"adult_id": "a1", "name": "Unknown adult online"})
        found.append(Mutation(f"{name}, an adult recorded", [*record.events, adult], None))
    return found


def _without_age(event: Event) -> Event:
    if event.kind != "pupil.added" or event.data.get("pupil_id") != "p2":
        return event
    data = {k: v for k, v in event.data.items() if k not in ("dob", "year_group")}
    return dataclasses.replace(event, data=data)


def donors(policy: Policy) -> list[Event]:
    """Entries that could be added to mend a record, from both complete scenarios."""
    pool: list[Event] = []
    for build in SCENARIOS.values():
        record = Record(policy)
        build(record)
        pool.extend(record.events)
    extra = Record(policy, start=START + timedelta(hours=1, minutes=5))
    pool.append(
        extra.add(
            "trigger.answered",
            {"n": 1, "answer": "no", "basis": "Online name only",
             "reason_against_suggestion": "The 'adult' is a Year 11 pupil's alias."},
        )
    )  # fmt: skip
    return pool


def test_every_fix_at_step_names_the_step_that_records_the_missing_thing(policy: Policy) -> None:
    steps = recorded_at()
    pool = donors(policy)
    names = {c for q in policy.inspection_questions for c in q.checks}
    question_of = {c: q for q in policy.inspection_questions for c in q.checks}
    broken_somewhere: set[str] = set()
    wrong: list[str] = []
    for name, build in SCENARIOS.items():
        record = Record(policy)
        build(record)
        for mutation in mutations(name, record, policy):
            incident = fold(record.meta, mutation.events)
            for check in sorted(names):
                if PREDICATES[check](incident, policy):
                    continue
                if mutation.judged is not None and check not in mutation.judged:
                    continue
                broken_somewhere.add(check)
                expected = {steps[mutation.kind]} if mutation.kind else set()
                present = {e.id for e in mutation.events}
                for kind in {e.kind for e in pool}:
                    added = [e for e in pool if e.kind == kind and e.id not in present]
                    if added and PREDICATES[check](
                        fold(record.meta, [*mutation.events, *added]), policy
                    ):
                        expected.add(steps[kind])
                finding = next(
                    f for f in inspection(incident, policy) if f.question is question_of[check]
                )
                step = fixes_of(finding)[DESCRIPTIONS[check]]
                if not expected or step not in expected:
                    wrong.append(f"{mutation.name}: {check} -> {step}, expected {expected}")
    assert wrong == []
    assert broken_somewhere == names  # every inspection check was tried


def test_every_overdue_obligation_names_the_step_that_records_what_it_waits_for(
    policy: Policy,
) -> None:
    """The same derivation for the dated obligations the inspection check lists as overdue."""
    steps = recorded_at()
    pool = donors(policy)
    tried: set[str] = set()
    wrong: list[str] = []

    def codes(incident: Incident, now: datetime) -> set[str]:
        return {flag.code for flag in overdue(incident, policy, now)}

    for name, build in SCENARIOS.items():
        record = Record(policy)
        build(record)
        later = record.now + timedelta(days=30)
        before = codes(record.incident, later)
        for mutation in mutations(name, record, policy):
            incident = fold(record.meta, mutation.events)
            for code in sorted(codes(incident, later) - before):
                tried.add(code)
                expected = {steps[mutation.kind]} if mutation.kind else set()
                present = {e.id for e in mutation.events}
                for kind in {e.kind for e in pool}:
                    added = [e for e in pool if e.kind == kind and e.id not in present]
                    mended = fold(record.meta, [*mutation.events, *added])
                    if added and code not in codes(mended, later):
                        expected.add(steps[kind])
                step = flag_step(code, incident, policy)
                if step not in expected:
                    wrong.append(f"{mutation.name}: {code} -> {step}, expected {expected}")
    assert wrong == []
    assert tried >= {
        "dsl_delay",
        "referral_required",
        "referral_overdue",
        "signoff_waiting",
        "signoff_declined",
        "viewing_breach",
        "parents_not_informed",
        "deletion_overdue",
        "transfer_receipt_missing",
    }


def test_the_audits_wrong_links(policy: Policy) -> None:
    """A deletion gap went to parents; CSC follow-up went to the police."""
    record = Record(policy)
    in_school(record)
    record.events = [e for e in record.events if e.kind != "deletion.confirmed"]
    assert "deletion" in fixes(record.incident, policy).values()
    assert set(fixes(record.incident, policy).values()) == {"deletion"}
    csc_only = Record(policy)
    base(csc_only)
    csc_only.content()
    csc_only.triggers({})
    csc_only.add("decision", {"outcome": "refer", "refer_to": ["csc"], "reason": "Known to CSC"})
    csc_only.add("csc.contact", {"type": "referral", "spoken_to": "MASH duty worker"})
    parents_told(csc_only)
    found = fixes(csc_only.incident, policy)
    follow_up = [step for text, step in found.items() if "social care" in text]
    assert follow_up and set(follow_up) == {"csc"}
    assert "police" not in found.values()


# ------------------------------------------- item 4: nothing met by construction


def _no_meeting(r: Record) -> None:
    in_school(r)
    r.events = [e for e in r.events if e.kind != "review.meeting"]


def _trigger_unanswered(r: Record) -> None:
    in_school(r)
    r.events = [e for e in r.events if not (e.kind == "trigger.answered" and e.data["n"] == 3)]


def _decided_not_referred(r: Record) -> None:
    referred(r)
    r.events = [e for e in r.events if e.kind not in ("police.contact", "csc.contact")]


def _parents_late(r: Record) -> None:
    r.events = late_copies(_built(r, in_school), "parents.informed", timedelta(days=3))


def _one_csc_contact(r: Record) -> None:
    base(r)
    r.content()
    r.triggers({})
    r.add("decision", {"outcome": "refer", "refer_to": ["csc"], "reason": "Known to CSC"})
    r.add("csc.contact", {"type": "referral", "spoken_to": "MASH duty worker"})


def _no_police_contact(r: Record) -> None:
    referred(r)
    r.events = [e for e in r.events if e.kind not in ("police.contact", "police.outcome")]


def _no_meeting_with_agencies(r: Record) -> None:
    referred(r)
    r.events = [e for e in r.events if e.kind != "agency.meeting"]


def _transfer_without_receipt(r: Record) -> None:
    referred(r)
    r.events = [e for e in r.events if e.kind != "transfer.receipt"]


def _pupil_of_unknown_age(r: Record) -> None:
    in_school(r)
    r.events = [_without_age(e) for e in r.events]


def _built(r: Record, build: Callable[[Record], None]) -> Record:
    build(r)
    return r


NOT_MET: dict[str, list[Callable[[Record], None]]] = {
    "up_to_date": [_no_meeting],
    "risk_of_harm": [_trigger_unanswered],
    "sound_decisions": [_decided_not_referred],
    "timely_action": [_parents_late],
    "tenacity": [_one_csc_contact],
    "partnership": [_no_police_contact],
    "inter_agency_meetings": [_no_meeting_with_agencies],
    "sharing_and_transfer": [_transfer_without_receipt, _pupil_of_unknown_age],
}


def test_every_question_has_a_record_that_does_not_meet_it(policy: Policy) -> None:
    assert set(NOT_MET) == {q.id for q in policy.inspection_questions}


@pytest.mark.parametrize(
    ("question", "build"),
    [(q, b) for q, builds in NOT_MET.items() for b in builds],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_no_question_is_met_by_construction(
    policy: Policy, question: str, build: Callable[[Record], None]
) -> None:
    record = Record(policy)
    build(record)
    assert met(record.incident, policy)[question] is False


def test_an_optional_outcome_never_recorded_is_not_ticked(policy: Policy) -> None:
    record = Record(policy)
    referred(record)
    record.events = [e for e in record.events if e.kind != "police.outcome"]
    police = next(s for s in step_states(record.incident, policy) if s.step.id == "police")
    outcome = next(item for item in police.step.checklist if item.id == "outcome")
    assert not outcome.required
    assert not police.met(outcome)
    contact = next(item for item in police.step.checklist if item.id == "contact")
    assert police.met(contact)


# ------------------------------------------ item 5: the devices step reads custody


def devices_state(incident: Incident, policy: Policy) -> str:
    return next(s.state for s in step_states(incident, policy) if s.step.id == "devices")


@pytest.mark.parametrize(
    ("custody", "done"),
    [
        (None, False),  # the log was not read: not known here
        ((), False),  # no device logged: the DSL marks the step not applicable
        ((DeviceCustody("D-2026-001", "locked"),), False),
        ((DeviceCustody("D-2026-001", "seized"),), False),
        ((DeviceCustody("D-2026-001", "handed_over"),), True),
        ((DeviceCustody("D-2026-001", "returned"),), True),
        (
            (DeviceCustody("D-2026-001", "handed_over"), DeviceCustody("D-2026-002", "locked")),
            False,
        ),
        (
            (DeviceCustody("D-2026-001", "handed_over"), DeviceCustody("D-2026-002", "returned")),
            True,
        ),
    ],
)
def test_the_devices_step_is_done_when_every_device_is_handed_over_or_returned(
    policy: Policy, custody: tuple[DeviceCustody, ...] | None, done: bool
) -> None:
    record = Record(policy)
    referred(record)
    incident = record.incident if custody is None else with_custody(record.incident, custody)
    assert (devices_state(incident, policy) == "done") is done


def test_the_dsl_can_still_mark_the_devices_step_not_applicable(policy: Policy) -> None:
    record = Record(policy)
    referred(record)
    record.add(
        "step.status", {"step_id": "devices", "status": "not_applicable", "reason": "None seized"}
    )
    assert devices_state(with_custody(record.incident, ()), policy) == "not_applicable"
