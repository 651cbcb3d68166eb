"""The school's procedure, loaded from a TOML file and checked before use.

The procedure is data so that the wording on screen is the school's own, and
so that a school whose policy differs (a national age threshold of 13 rather
than this school's 17, say) changes a file and not the program. Because a
mistake in that file would silently change what the DSL is told to do, every
key is checked on load and an error names the file and the exact key.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from ydsi_tui.model.predicates import PREDICATES
from ydsi_tui.model.schoolyear import SchoolCalendar
from ydsi_tui.model.suggestions import ASK_FACTS, YES_FACTS
from ydsi_tui.model.viewing_rules import VIEWING_PREDICATES

#: When a step is part of an incident's procedure (see the bundled file's header).
APPLIES = frozenset({"always", "if_in_school", "if_police", "if_csc", "if_viewed"})

#: The check that only the DSL's "done" satisfies (evidence held elsewhere).
CONFIRMED_BY_DSL = "confirmed_by_dsl"

#: Vocabularies an event payload may be checked against, by name.
VOCABULARIES = (
    "incident_kinds",
    "pupil_parts",
    "discloser_types",
    "police_routes",
    "police_outcomes",
    "support_routes",
)

#: Whom a trigger (or a harm concern) requires a referral to: one agency, either
#: (the policy's "police and/or children's social care"), or both.
REFERRAL_RULES = frozenset({"police", "csc", "police_or_csc", "police_and_csc"})

BUNDLED_POLICY = "hindley-2016.toml"
#: Every policy shipped with the program, by short name; the first is the default
#: (this school's own). A DSL chooses another at ``ydsi init --policy NAME`` or
#: with ``ydsi policy approve --bundled NAME``.
BUNDLED_POLICIES: dict[str, str] = {
    "hindley-2016": BUNDLED_POLICY,
    "ukcis-2024": "ukcis-2024.toml",
}
DEFAULT_BUNDLED = "hindley-2016"

_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
T = TypeVar("T")


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Choice:
    """One entry of a vocabulary: a stable id stored in records, and its label."""

    id: str
    label: str


@dataclass(frozen=True)
class Question:
    """A consideration, risk question or viewing reason, in the policy's words."""

    id: str
    text: str


@dataclass(frozen=True)
class TextNote:
    """Where this program is stricter or looser than the policy's text, in words for the DSL.

    `where` names the screens that must show it (step ids, or ``signoff``), so
    a difference from the text is read where it bites, not only in the file.
    """

    id: str
    text: str
    where: tuple[str, ...] = ()


#: Places a note may name besides the policy's own step ids: the Headteacher's
#: sign-off, and the DSL's inbox of reports from staff (the drop).
NOTE_PLACES = frozenset({"signoff", "inbox"})


@dataclass(frozen=True)
class Trigger:
    """An immediate-referral trigger; `text` may hold ``{age}`` for the threshold."""

    n: int
    id: str
    text: str
    #: Whom this trigger requires a referral to (one of `REFERRAL_RULES`).
    refer_to: str = "police_or_csc"
    #: Facts of the record that suggest YES (names in `suggestions.YES_FACTS`).
    suggest_yes: tuple[str, ...] = ()
    #: Facts that mean the DSL must be asked about it (`suggestions.ASK_FACTS`).
    ask_when: tuple[str, ...] = ()

    def wording(self, age_threshold: int) -> str:
        """The trigger as shown, with the age threshold in force written in."""
        return self.text.replace("{age}", str(age_threshold))


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    text: str
    check: str
    required: bool


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    policy_heading: str
    applies: str
    guidance: str
    checklist: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class ViewingRule:
    id: str
    text: str
    check: str


@dataclass(frozen=True)
class InspectionQuestion:
    id: str
    text: str
    checks: tuple[str, ...]
    fix_step: str
    #: The step that records what each check reads, where it is not `fix_step`
    #: (a question's checks often read entries made at different steps).
    fix_steps: tuple[tuple[str, str], ...] = ()

    def step_for(self, check: str) -> str:
        """The step at which the thing `check` looks for is recorded."""
        return dict(self.fix_steps).get(check, self.fix_step)


@dataclass(frozen=True)
class KindAdvice:
    """Current national advice for one kind of incident, shown on every such incident.

    Data, not a label: the points are shown on the incident, and
    `deletion_needs_police_agreement` makes the program refuse any deletion
    entry until the police's agreement is recorded (sextortion: the evidence
    must be kept).
    """

    kind: str
    title: str
    points: tuple[str, ...]
    deletion_needs_police_agreement: bool = False


@dataclass(frozen=True)
class PolicySettings:
    trigger4_age_threshold: int
    decision_review_days: int
    device_collection_days: int
    deletion_deadline_default_hours: int
    transfer_receipt_school_days: int
    closure_needs_reason_for_gaps: bool
    #: "Immediately": the hours (by the clock, at any hour) from a trigger
    #: answered YES or a harm concern to the referral being recorded.
    referral_max_hours: int = 1
    #: Whether an in-school response may override a trigger answered YES
    #: (then only with the Headteacher's own verified sign-off). The text
    #: allows an in-school response only "if none of the above apply".
    allow_trigger_override: bool = False
    #: "As soon as possible": the DSL told by the end of this many school days
    #: after the disclosure's (0: the same school day). None where the policy
    #: gives hours instead (`disclosure_to_dsl_max_hours`, as before 2026-12).
    dsl_told_within_school_days: int | None = 0
    disclosure_to_dsl_max_hours: int | None = None
    #: "At an early stage": each pupil's parents informed (or a reason why not
    #: recorded) by the end of this many school days after the disclosure's (1:
    #: the same or the next school day). None where the policy gives hours.
    parents_inform_within_school_days: int | None = 1
    parents_inform_within_hours: int | None = None
    #: "As soon as possible", for a report a member of staff filed in the drop:
    #: minutes by the clock, at any hour, until a DSL or team member opens it;
    #: after that the Headteacher is told too (``ydsi attention --notify``).
    staff_report_unopened_minutes: int = 30


@dataclass(frozen=True)
class Policy:
    """A loaded, checked procedure. `digest` identifies the exact file bytes."""

    name: str
    version: str
    school: str
    source: str
    digest: str
    origin: str
    settings: PolicySettings
    harm_concern_text: str
    steps: tuple[Step, ...]
    triggers: tuple[Trigger, ...]
    review_considerations: tuple[Question, ...]
    risk_questions: tuple[Question, ...]
    viewing_reasons: tuple[Question, ...]
    viewing_rules: tuple[ViewingRule, ...]
    inspection_questions: tuple[InspectionQuestion, ...]
    incident_kinds: tuple[Choice, ...]
    pupil_parts: tuple[Choice, ...]
    discloser_types: tuple[Choice, ...]
    police_routes: tuple[Choice, ...]
    police_outcomes: tuple[Choice, ...]
    support_routes: tuple[Choice, ...]
    #: Whom a harm concern requires a referral to (one of `REFERRAL_RULES`).
    harm_concern_refer_to: str = "police_or_csc"
    #: The school's own term and INSET dates, a vault setting a DSL approved
    #: (not part of the procedure's text or digest): attached by the service
    #: layer so that school-day deadlines count them.
    calendar: SchoolCalendar | None = None
    #: Where this program is stricter or looser than the policy's text, in words
    #: shown to the DSL (the file says so, so that nobody mistakes it for the text).
    stricter_than_text: tuple[TextNote, ...] = ()
    #: Advice for particular kinds of incident (sextortion, AI-made imagery).
    kind_advice: tuple[KindAdvice, ...] = ()

    def notes_for(self, place: str) -> tuple[TextNote, ...]:
        """The differences from the text that the screen for `place` must show."""
        return tuple(note for note in self.stricter_than_text if place in note.where)

    def advice_for(self, kind: str | None) -> KindAdvice | None:
        """The advice for this kind of incident, or None if the policy has none."""
        for advice in self.kind_advice:
            if advice.kind == kind:
                return advice
        return None

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError if the policy has none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def trigger(self, n: int) -> Trigger:
        for trigger in self.triggers:
            if trigger.n == n:
                return trigger
        raise KeyError(n)

    def trigger_text(self, n: int) -> str:
        """Trigger `n` as shown, with this policy's age threshold written in."""
        return self.trigger(n).wording(self.settings.trigger4_age_threshold)

    def vocabulary(self, name: str) -> tuple[Choice, ...]:
        """A vocabulary by name, one of `VOCABULARIES`."""
        if name not in VOCABULARIES:
            raise KeyError(name)
        result: tuple[Choice, ...] = getattr(self, name)
        return result

    def label(self, vocabulary: str, choice_id: str) -> str:
        """The label for a stored id; an unknown id is shown as itself."""
        for choice in self.vocabulary(vocabulary):
            if choice.id == choice_id:
                return choice.label
        return choice_id


# ------------------------------------------------------------------ loading


def bundled_policy_bytes(name: str = DEFAULT_BUNDLED) -> tuple[str, bytes]:
    """(origin, bytes) of a shipped policy by short name (KeyError for an unknown name)."""
    filename = BUNDLED_POLICIES[name]
    resource = importlib.resources.files("ydsi_tui.model").joinpath("policies", filename)
    origin = f"<bundled>/{filename}"
    try:
        return origin, resource.read_bytes()
    except OSError as exc:  # pragma: no cover - a broken installation
        raise PolicyError(f"{origin}: cannot be read ({exc})") from None


def load_bundled(name: str) -> Policy:
    """A shipped policy by short name (one of `BUNDLED_POLICIES`)."""
    origin, raw = bundled_policy_bytes(name)
    return parse_policy(raw, origin=origin)


def load_policy(path: Path | None = None) -> Policy:
    """Read and check a policy file; None means the one shipped with the program."""
    if path is None:
        origin, raw = bundled_policy_bytes()
    else:
        origin = str(path)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise PolicyError(f"{origin}: cannot be read ({exc.strerror or exc})") from None
    return parse_policy(raw, origin=origin)


@cache
def bundled_policy() -> Policy:
    """The shipped policy, loaded once: forms ask for its vocabularies on every keystroke."""
    return load_policy()


def parse_policy(raw: bytes, *, origin: str = "<policy>") -> Policy:
    """Check and build a policy from the bytes of a TOML file."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{origin}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{origin}: {_describe_toml_error(exc)}") from None
    reader = _Reader(origin)
    return reader.policy(data, hashlib.sha256(raw).hexdigest())


def _describe_toml_error(exc: tomllib.TOMLDecodeError) -> str:
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if match:
        reason = message[: match.start()].strip()
        return f"TOML syntax error at line {match.group(1)}, column {match.group(2)}: {reason}"
    return f"TOML syntax error: {message}"


def _known_checks() -> tuple[frozenset[str], frozenset[str]]:
    """Check names a policy may use: the incident predicates and the viewing rules."""
    return frozenset(PREDICATES) | {CONFIRMED_BY_DSL}, frozenset(VIEWING_PREDICATES)


class _Reader:
    """Walks the parsed TOML, keeping the key path for error messages."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.checks, self.viewing_checks = _known_checks()

    def fail(self, path: str, message: str) -> PolicyError:
        return PolicyError(f"{self.origin}: {path}: {message}")

    # -- primitive readers

    def table(self, parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = parent.get(key)
        where = _join(path, key)
        if value is None:
            raise self.fail(where, "missing table")
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, not {_kind(value)}")
        return value

    def string(self, parent: Mapping[str, Any], key: str, path: str) -> str:
        value = parent.get(key)
        where = _join(path, key)
        if value is None:
            raise self.fail(where, "missing")
        if not isinstance(value, str):
            raise self.fail(where, f"must be a string, not {_kind(value)}")
        if not value.strip():
            raise self.fail(where, "must not be empty")
        return value

    def identifier(self, parent: Mapping[str, Any], key: str, path: str) -> str:
        value = self.string(parent, key, path)
        if not _ID.match(value):
            raise self.fail(
                _join(path, key),
                f"{value!r} is not an id: use lower-case letters, digits and _, "
                "starting with a letter",
            )
        return value

    def integer(self, parent: Mapping[str, Any], key: str, path: str, low: int, high: int) -> int:
        value = parent.get(key)
        where = _join(path, key)
        if value is None:
            raise self.fail(where, "missing")
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"must be a whole number, not {_kind(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"{value} is out of range; it must be {low} to {high}")
        return value

    def boolean(self, parent: Mapping[str, Any], key: str, path: str) -> bool:
        value = parent.get(key)
        where = _join(path, key)
        if value is None:
            raise self.fail(where, "missing")
        if not isinstance(value, bool):
            raise self.fail(where, f"must be true or false, not {_kind(value)}")
        return value

    def array(self, parent: Mapping[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        where = _join(path, key)
        if value is None:
            raise self.fail(where, "missing")
        if not isinstance(value, list):
            raise self.fail(where, f"must be an array, not {_kind(value)}")
        if not value:
            raise self.fail(where, "must not be empty")
        return value

    def only_keys(self, table: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(_join(path, key), "unknown key (check the spelling)")

    def entries(
        self,
        parent: Mapping[str, Any],
        key: str,
        path: str,
        build: Callable[[Mapping[str, Any], str], T],
    ) -> tuple[T, ...]:
        """An array of tables, each built by `build`, ids unique."""
        items: list[T] = []
        seen: set[str] = set()
        for index, entry in enumerate(self.array(parent, key, path)):
            where = f"{_join(path, key)}[{index}]"
            if not isinstance(entry, dict):
                raise self.fail(where, f"must be a table, not {_kind(entry)}")
            item = build(entry, where)
            item_id = getattr(item, "id", None)
            if isinstance(item_id, str):
                if item_id in seen:
                    raise self.fail(f"{where}.id", f"duplicate id {item_id!r}")
                seen.add(item_id)
            items.append(item)
        return tuple(items)

    # -- the policy

    def policy(self, data: Mapping[str, Any], digest: str) -> Policy:
        self.only_keys(
            data,
            {
                "policy", "settings", "harm_concern", "steps", "triggers",
                "review_considerations", "risk_questions", "viewing_reasons",
                "viewing_rules", "inspection_questions", "stricter_than_text",
                "kind_advice", *VOCABULARIES,
            },
            "",
        )  # fmt: skip
        head = self.table(data, "policy", "")
        self.only_keys(head, {"name", "version", "school", "source"}, "policy")
        harm = self.table(data, "harm_concern", "")
        self.only_keys(harm, {"text", "refer_to"}, "harm_concern")
        settings = self.settings(self.table(data, "settings", ""))
        steps = self.entries(data, "steps", "", self.step)
        triggers = self.entries(data, "triggers", "", self.trigger)
        self.check_triggers(triggers)
        step_ids = {step.id for step in steps}
        inspection = self.entries(
            data,
            "inspection_questions",
            "",
            lambda entry, where: self.inspection(entry, where, step_ids),
        )
        vocabularies = {name: self.entries(data, name, "", self.choice) for name in VOCABULARIES}
        kinds = {choice.id for choice in vocabularies["incident_kinds"]}
        kind_advice = (
            self.entries(
                data, "kind_advice", "", lambda entry, where: self.kind_advice(entry, where, kinds)
            )
            if "kind_advice" in data
            else ()
        )
        if len({advice.kind for advice in kind_advice}) != len(kind_advice):
            raise self.fail("kind_advice", "each kind of incident may have one advice table")
        return Policy(
            name=self.string(head, "name", "policy"),
            version=self.string(head, "version", "policy"),
            school=self.string(head, "school", "policy"),
            source=self.string(head, "source", "policy"),
            digest=digest,
            origin=self.origin,
            settings=settings,
            harm_concern_text=self.string(harm, "text", "harm_concern"),
            steps=steps,
            triggers=triggers,
            review_considerations=self.entries(data, "review_considerations", "", self.question),
            risk_questions=self.entries(data, "risk_questions", "", self.question),
            viewing_reasons=self.entries(data, "viewing_reasons", "", self.question),
            viewing_rules=self.entries(data, "viewing_rules", "", self.viewing_rule),
            inspection_questions=inspection,
            incident_kinds=vocabularies["incident_kinds"],
            pupil_parts=vocabularies["pupil_parts"],
            discloser_types=vocabularies["discloser_types"],
            police_routes=vocabularies["police_routes"],
            police_outcomes=vocabularies["police_outcomes"],
            support_routes=vocabularies["support_routes"],
            harm_concern_refer_to=self.referral_rule(harm, "harm_concern"),
            stricter_than_text=(
                self.entries(
                    data,
                    "stricter_than_text",
                    "",
                    lambda entry, where: self.note(entry, where, step_ids),
                )
                if "stricter_than_text" in data
                else ()
            ),
            kind_advice=kind_advice,
        )

    def kind_advice(self, entry: Mapping[str, Any], where: str, kinds: set[str]) -> KindAdvice:
        """One ``[[kind_advice]]`` table; its kind must be one of the incident kinds."""
        self.only_keys(entry, {"kind", "title", "points", "deletion_needs_police_agreement"}, where)
        kind = self.identifier(entry, "kind", where)
        if kind not in kinds:
            raise self.fail(f"{where}.kind", f"{kind!r} is not one of the incident_kinds")
        points: list[str] = []
        for index, point in enumerate(self.array(entry, "points", where)):
            if not isinstance(point, str) or not point.strip():
                raise self.fail(f"{where}.points[{index}]", "must be a sentence of advice")
            points.append(point)
        return KindAdvice(
            kind=kind,
            title=self.string(entry, "title", where),
            points=tuple(points),
            deletion_needs_police_agreement=(
                self.boolean(entry, "deletion_needs_police_agreement", where)
                if "deletion_needs_police_agreement" in entry
                else False
            ),
        )

    def referral_rule(self, entry: Mapping[str, Any], where: str) -> str:
        """`refer_to`, optional: a file without it means "police and/or CSC" (the text)."""
        if "refer_to" not in entry:
            return "police_or_csc"
        rule = self.string(entry, "refer_to", where)
        if rule not in REFERRAL_RULES:
            raise self.fail(
                _join(where, "refer_to"),
                f"unknown value {rule!r}; use one of {', '.join(sorted(REFERRAL_RULES))}",
            )
        return rule

    def names(
        self, entry: Mapping[str, Any], key: str, where: str, known: frozenset[str]
    ) -> tuple[str, ...]:
        """An optional array of names from a registry; an unknown name is refused."""
        if key not in entry:
            return ()
        values = entry[key]
        if not isinstance(values, list):
            raise self.fail(_join(where, key), f"must be an array, not {_kind(values)}")
        for index, name in enumerate(values):
            if not isinstance(name, str) or name not in known:
                raise self.fail(f"{_join(where, key)}[{index}]", f"unknown fact {name!r}")
        return tuple(values)

    def settings(self, table: Mapping[str, Any]) -> PolicySettings:
        path = "settings"
        self.only_keys(table, set(PolicySettings.__dataclass_fields__), path)
        dsl_days, dsl_hours = self.limit(
            table, "dsl_told_within_school_days", "disclosure_to_dsl_max_hours", 0, 24 * 14
        )
        parents_days, parents_hours = self.limit(
            table, "parents_inform_within_school_days", "parents_inform_within_hours", 1, 24 * 28
        )
        return PolicySettings(
            trigger4_age_threshold=self.integer(table, "trigger4_age_threshold", path, 10, 18),
            dsl_told_within_school_days=dsl_days,
            disclosure_to_dsl_max_hours=dsl_hours,
            parents_inform_within_school_days=parents_days,
            parents_inform_within_hours=parents_hours,
            decision_review_days=self.integer(table, "decision_review_days", path, 1, 365),
            device_collection_days=self.integer(table, "device_collection_days", path, 1, 60),
            deletion_deadline_default_hours=self.integer(
                table, "deletion_deadline_default_hours", path, 1, 24 * 28
            ),
            transfer_receipt_school_days=self.integer(
                table, "transfer_receipt_school_days", path, 1, 60
            ),
            closure_needs_reason_for_gaps=self.boolean(
                table, "closure_needs_reason_for_gaps", path
            ),
            # Optional, so that a policy approved before these settings existed
            # still loads (and then gets the text's reading: 1 hour, no override).
            referral_max_hours=(
                self.integer(table, "referral_max_hours", path, 1, 72)
                if "referral_max_hours" in table
                else 1
            ),
            allow_trigger_override=(
                self.boolean(table, "allow_trigger_override", path)
                if "allow_trigger_override" in table
                else False
            ),
            staff_report_unopened_minutes=(
                self.integer(table, "staff_report_unopened_minutes", path, 1, 24 * 60)
                if "staff_report_unopened_minutes" in table
                else 30
            ),
        )

    def limit(
        self, table: Mapping[str, Any], days_key: str, hours_key: str, default: int, hours_max: int
    ) -> tuple[int | None, int | None]:
        """A limit given in school days (the text's reading) or, as older files do, in hours.

        A policy approved before school days existed names hours only and
        keeps them; naming both would leave the reader guessing, so it is refused.
        """
        if days_key in table and hours_key in table:
            raise self.fail(
                f"settings.{hours_key}", f"give either {days_key} or {hours_key}, not both"
            )
        if hours_key in table:
            return None, self.integer(table, hours_key, "settings", 1, hours_max)
        if days_key in table:
            return self.integer(table, days_key, "settings", 0, 20), None
        return default, None

    def step(self, entry: Mapping[str, Any], where: str) -> Step:
        self.only_keys(
            entry, {"id", "title", "policy_heading", "applies", "guidance", "checklist"}, where
        )
        applies = self.string(entry, "applies", where)
        if applies not in APPLIES:
            raise self.fail(
                f"{where}.applies",
                f"unknown value {applies!r}; use one of {', '.join(sorted(APPLIES))}",
            )
        return Step(
            id=self.identifier(entry, "id", where),
            title=self.string(entry, "title", where),
            policy_heading=self.string(entry, "policy_heading", where),
            applies=applies,
            guidance=self.string(entry, "guidance", where),
            checklist=self.entries(entry, "checklist", where, self.checklist_item),
        )

    def checklist_item(self, entry: Mapping[str, Any], where: str) -> ChecklistItem:
        self.only_keys(entry, {"id", "text", "check", "required"}, where)
        return ChecklistItem(
            id=self.identifier(entry, "id", where),
            text=self.string(entry, "text", where),
            check=self.check_name(entry, "check", where, self.checks),
            required=self.boolean(entry, "required", where),
        )

    def check_name(
        self, entry: Mapping[str, Any], key: str, where: str, known: frozenset[str]
    ) -> str:
        name = self.string(entry, key, where)
        if name not in known:
            raise self.fail(_join(where, key), f"unknown check {name!r}")
        return name

    def trigger(self, entry: Mapping[str, Any], where: str) -> Trigger:
        self.only_keys(entry, {"n", "id", "text", "refer_to", "suggest_yes", "ask_when"}, where)
        return Trigger(
            n=self.integer(entry, "n", where, 1, 99),
            id=self.identifier(entry, "id", where),
            text=self.string(entry, "text", where),
            refer_to=self.referral_rule(entry, where),
            suggest_yes=self.names(entry, "suggest_yes", where, frozenset(YES_FACTS)),
            ask_when=self.names(entry, "ask_when", where, frozenset(ASK_FACTS)),
        )

    def check_triggers(self, triggers: tuple[Trigger, ...]) -> None:
        for index, trigger in enumerate(triggers):
            if trigger.n != index + 1:
                raise self.fail(
                    f"triggers[{index}].n",
                    f"is {trigger.n}; triggers must be numbered 1, 2, 3... in order "
                    "as the policy numbers them",
                )
        if len(triggers) < 4:
            raise self.fail("triggers", "the policy has at least four triggers; trigger 4 is age")
        for index, trigger in enumerate(triggers):
            has_age = "{age}" in trigger.text
            if trigger.n == 4 and not has_age:
                raise self.fail(
                    f"triggers[{index}].text",
                    "trigger 4 must show the age threshold in force: write {age} where it goes",
                )
            if trigger.n != 4 and has_age:
                raise self.fail(f"triggers[{index}].text", "only trigger 4 is about age")

    def question(self, entry: Mapping[str, Any], where: str) -> Question:
        self.only_keys(entry, {"id", "text"}, where)
        return Question(
            id=self.identifier(entry, "id", where), text=self.string(entry, "text", where)
        )

    def note(self, entry: Mapping[str, Any], where: str, step_ids: set[str]) -> TextNote:
        self.only_keys(entry, {"id", "text", "where"}, where)
        places: tuple[str, ...] = ()
        if "where" in entry:
            raw = entry["where"]
            if not isinstance(raw, list) or not all(isinstance(p, str) for p in raw):
                raise self.fail(
                    f"{where}.where", "must be a list of step ids, 'signoff' or 'inbox'"
                )
            unknown = [p for p in raw if p not in step_ids and p not in NOTE_PLACES]
            if unknown:
                raise self.fail(
                    f"{where}.where", f"{unknown[0]!r} is not a step id, 'signoff' or 'inbox'"
                )
            places = tuple(raw)
        return TextNote(
            id=self.identifier(entry, "id", where),
            text=self.string(entry, "text", where),
            where=places,
        )

    def viewing_rule(self, entry: Mapping[str, Any], where: str) -> ViewingRule:
        self.only_keys(entry, {"id", "text", "check"}, where)
        return ViewingRule(
            id=self.identifier(entry, "id", where),
            text=self.string(entry, "text", where),
            check=self.check_name(entry, "check", where, self.viewing_checks),
        )

    def inspection(
        self, entry: Mapping[str, Any], where: str, step_ids: set[str]
    ) -> InspectionQuestion:
        self.only_keys(entry, {"id", "text", "checks", "fix_step", "fix_steps"}, where)
        checks = self.array(entry, "checks", where)
        names: list[str] = []
        for index, name in enumerate(checks):
            item_where = f"{where}.checks[{index}]"
            if not isinstance(name, str):
                raise self.fail(item_where, f"must be a string, not {_kind(name)}")
            if name not in self.checks or name == CONFIRMED_BY_DSL:
                raise self.fail(item_where, f"unknown check {name!r}")
            names.append(name)
        fix_step = self.string(entry, "fix_step", where)
        if fix_step not in step_ids:
            raise self.fail(f"{where}.fix_step", f"no step has the id {fix_step!r}")
        fix_steps: dict[str, str] = {}
        if "fix_steps" in entry:
            table = self.table(entry, "fix_steps", where)
            for check, step_id in table.items():
                key = f"{where}.fix_steps.{check}"
                if check not in names:
                    raise self.fail(key, f"{check!r} is not one of this question's checks")
                if not isinstance(step_id, str) or step_id not in step_ids:
                    raise self.fail(key, f"no step has the id {step_id!r}")
                fix_steps[check] = step_id
        return InspectionQuestion(
            id=self.identifier(entry, "id", where),
            text=self.string(entry, "text", where),
            checks=tuple(names),
            fix_step=fix_step,
            fix_steps=tuple(fix_steps.items()),
        )

    def choice(self, entry: Mapping[str, Any], where: str) -> Choice:
        self.only_keys(entry, {"id", "label"}, where)
        return Choice(
            id=self.identifier(entry, "id", where), label=self.string(entry, "label", where)
        )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: object) -> str:
    names = {str: "a string", bool: "true/false", int: "a number", float: "a number",
             list: "an array", dict: "a table"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def iter_checks(policy: Policy) -> Iterator[str]:
    """Every check name the policy uses, for tests and diagnostics."""
    for step in policy.steps:
        for item in step.checklist:
            yield item.check
    for question in policy.inspection_questions:
        yield from question.checks
