"""The six panes of an incident. Each draws an :class:`IncidentView` and nothing else.

Panes hold no state of their own beyond what is highlighted: the incident
screen loads the view in a worker and hands it to every pane's ``show``.
Everything typed by people reaches the screen through ``text.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...model.advice import advice_for, deletion_withheld, police_deletion_agreement
from ...model.schema import SCHEMAS
from ...model.timelimits import step_limits
from ...model.timeparse import format_local, format_local_date, format_local_short
from ...model.viewing_rules import (
    acknowledgement_of,
    check_viewing,
    seen_imagery,
    stands_for,
    support_missing,
)
from ...model.wording import choice_words, value_words
from ...service.describe import KIND_LABELS, describe
from ..formspec import field_label
from ..pupil_words import REPEAT
from ..text import cell, join, plain, styled
from .options import Options
from .table import RecordTable, Row

if TYPE_CHECKING:
    from textual.content import Content

    from ...model.events import Event
    from ...model.policy import Policy, TextNote
    from ...model.records import Entry, Pupil, TimelineEntry
    from ...model.steps import StepState
    from ...service.casebook import IncidentView
    from ...service.devices import DeviceView
    from ...service.register import LinkedPupil

__all__ = [
    "PANES",
    "STATE_WORDS",
    "CustodyPane",
    "GuidePane",
    "Pane",
    "PeoplePane",
    "TimelinePane",
    "TriggersPane",
    "ViewingPane",
    "answer_words",
    "timeline_rows",
]

#: (id, title) in key order: key 1 shows the first.
PANES = (
    ("guide", "Guide"),
    ("timeline", "Timeline"),
    ("triggers", "Triggers"),
    ("viewing", "Viewing"),
    ("custody", "Devices"),
    ("people", "People"),
)

#: Step states in symbols and words (never colour alone). ``▶`` is not among
#: them: it marks the highlighted line of every list (widgets/options.py).
STATE_WORDS = {
    "done": ("✔", "done"),
    "not_applicable": ("–", "not applicable"),
    "later": ("…", "left for later"),
    "current": ("●", "CURRENT STEP"),
    "to_do": ("○", "to do"),
    "skipped_by_rule": ("·", "not needed (the decision rules it out)"),
}


def answer_words(answer: str | None) -> tuple[str, str]:
    """(symbol and word, style) for a trigger answer."""
    if answer == "yes":
        return "✖ YES", "bold reverse"
    if answer == "no":
        return "✔ no", ""
    if answer == "unknown":
        return "? not yet known", "bold"
    return "— not answered", "bold"


class Pane(Vertical):
    """A pane: ``show`` draws the view; ``current`` names what is highlighted."""

    def show(self, view: IncidentView, devices: Sequence[DeviceView], now: datetime) -> None:
        raise NotImplementedError


# ------------------------------------------------------------------ 1. guide


class GuidePane(Pane):
    """The procedure in order: each step's state, checklist and the policy's guidance."""

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="steps-column"):
                yield Options(id="steps")
                yield Static(
                    plain("✔ done ● now ○ to do\n– n/a … later · not needed", multiline=True),
                    id="steps-legend",
                )
            with VerticalScroll(id="step-detail"):
                yield Static("", id="step-text")

    def on_mount(self) -> None:
        self.view: IncidentView | None = None
        self._selected: str | None = None

    @property
    def step_id(self) -> str | None:
        options = self.query_one("#steps", OptionList)
        if options.highlighted is None or self.view is None:
            return None
        return self.view.steps[options.highlighted].step.id

    def show(self, view: IncidentView, devices: Sequence[DeviceView], now: datetime) -> None:
        first = self.view is None
        self.view = view
        options = self.query_one("#steps", OptionList)
        keep = options.highlighted
        prompts = []
        for number, state in enumerate(view.steps, start=1):
            symbol, _ = STATE_WORDS.get(state.state, ("?", state.state))
            style = "bold" if state.state == "current" else ""
            prompts.append(Option(styled(f"{symbol} {number:>2}. {state.step.title}", style)))
        options.set_options(prompts)
        if first or keep is None:
            current = next((i for i, s in enumerate(view.steps) if s.state == "current"), 0)
            options.highlighted = current
        else:
            options.highlighted = min(keep, len(prompts) - 1)
        self._detail()

    def highlight(self, step_id: str) -> None:
        """Move to a step by its id (from the inspection check); unknown ids are ignored."""
        if self.view is None:
            return
        index = next((i for i, s in enumerate(self.view.steps) if s.step.id == step_id), None)
        if index is not None:
            self.query_one("#steps", OptionList).highlighted = index
            self._detail()

    @on(OptionList.OptionHighlighted, "#steps")
    def _moved(self) -> None:
        self._detail()

    def _detail(self) -> None:
        view = self.view
        options = self.query_one("#steps", OptionList)
        if view is None or options.highlighted is None:
            return
        state = view.steps[options.highlighted]
        self.query_one("#step-text", Static).update(step_detail(view, state))


def advice_lines(view: IncidentView, step_id: str) -> list[Content | str | tuple[str, str]]:
    """The current advice for this kind of incident, on every step (it changes them)."""
    incident, policy = view.incident, view.policy
    advice = advice_for(incident, policy)
    if advice is None:
        return []
    parts: list[Content | str | tuple[str, str]] = [(f"⚠ Current advice: {advice.title}\n", "bold")]
    parts.extend(f"  • {point}\n" for point in advice.points)
    if deletion_withheld(incident, policy) is not None:
        parts.append(("  ✗ No deletion unless the police agree", "bold"))
        parts.append(": record who agreed, and when, first.\n")
    elif advice.deletion_needs_police_agreement:
        agreed = police_deletion_agreement(incident)
        if agreed is not None:
            who, when = agreed.text("officer"), format_local_short(agreed.at)
            parts.append(f"  The police agreed to deletion: {who}, {when}.\n")
    parts.append("\n")
    return parts


def step_detail(view: IncidentView, state: StepState) -> Content:
    step = state.step
    symbol, word = STATE_WORDS.get(state.state, ("?", state.state))
    parts: list[Content | str | tuple[str, str]] = []
    if view.overdue:
        parts.append(("⚠ Overdue now:\n", "bold"))
        parts.extend(f"  ⚠ {flag.text}\n" for flag in view.overdue)
        parts.append("\n")
    parts.append((f"{step.title}\n", "bold underline"))
    parts.append((f"{symbol} {word}", "bold"))
    if state.status is not None and state.status.reason:
        parts.append(f": {state.status.reason}")
    parts.append("\n")
    if view.next_step is not None and view.next_step.id != step.id:
        parts.append(f"Suggested next: {view.next_step.title}\n")
    parts.append("\nChecklist:\n")
    for item in step.checklist:
        met = state.met(item)
        mark = "✔" if met else ("✗" if item.required else "○")
        optional = "" if item.required else " (optional)"
        parts.append((f" {mark} ", "bold"))
        parts.append(f"{item.text}{optional}\n")
    limits = step_limits(view.policy, step.id)
    if limits:
        parts.append(("\nTime limits:\n", "bold"))
        for limit in limits:
            parts.append(plain(f" ⌛ {limit.what}: {limit.shown}"))
            parts.append("\n")
    parts.append("\n")
    # After the step and its checklist (they stay in view at 80x24), before the text.
    parts.extend(advice_lines(view, step.id))
    parts.append(("The policy says:\n", "bold"))
    parts.append(plain(step.guidance.strip(), multiline=True))
    parts.extend(differences_from_text(view.policy.notes_for(step.id)))
    parts.append("\n\na: add an entry for this step   m: mark done / not applicable / later")
    return join(parts)


def differences_from_text(notes: Sequence[TextNote]) -> list[Content | str | tuple[str, str]]:
    """The policy file's notes where this program differs from the text, marked as such."""
    if not notes:
        return []
    parts: list[Content | str | tuple[str, str]] = [
        ("\n\nWhere this program differs from the policy's text:\n", "bold")
    ]
    for note in notes:
        parts += ["  ! ", plain(note.text), "\n"]
    return parts


# ------------------------------------------------------------------ 2. timeline


@dataclass(frozen=True)
class TimelineLine:
    key: str
    event: Event
    depth: int
    superseded: bool


def timeline_rows(entries: Sequence[TimelineEntry]) -> list[TimelineLine]:
    """Time order, each correction placed right under what it corrects."""
    by_id = {entry.event.id: entry for entry in entries}
    children: dict[str, list[TimelineEntry]] = {}
    for entry in entries:
        if entry.corrects and entry.corrects in by_id and entry.corrects != entry.event.id:
            children.setdefault(entry.corrects, []).append(entry)
    lines: list[TimelineLine] = []
    seen: set[str] = set()

    def add(entry: TimelineEntry, depth: int) -> None:
        if entry.event.id in seen:
            return
        seen.add(entry.event.id)
        lines.append(TimelineLine(entry.event.id, entry.event, depth, entry.superseded))
        for child in children.get(entry.event.id, []):
            add(child, depth + 1)

    for entry in entries:
        if entry.corrects and entry.corrects in by_id and entry.corrects != entry.event.id:
            continue
        add(entry, 0)
    for entry in entries:  # anything left (a cycle of corrections): still shown
        add(entry, 0)
    return lines


def pupil_names(view: IncidentView) -> dict[str, str]:
    return {pid: pupil.name for pid, pupil in view.incident.pupils.items()}


class TimelinePane(Pane):
    def compose(self) -> ComposeResult:
        yield RecordTable(
            [("when", "When", 11), ("what", "Entry", 24), ("details", "Details", None)],
            id="timeline-table",
        )
        yield Static("", id="timeline-detail")

    def on_mount(self) -> None:
        self.view: IncidentView | None = None
        self.lines: dict[str, TimelineLine] = {}

    def show(self, view: IncidentView, devices: Sequence[DeviceView], now: datetime) -> None:
        self.view = view
        names = pupil_names(view)
        rows: list[Row] = []
        self.lines = {}
        for line in timeline_rows(view.incident.timeline):
            self.lines[line.key] = line
            label = KIND_LABELS.get(line.event.kind, line.event.kind)
            prefix = "  " * line.depth + ("↳ correction: " if line.depth else "")
            if line.superseded:
                label = f"{label} ✗ corrected"
            style = "bold" if line.event.kind == "concern.harm" else ""
            rows.append(
                (
                    line.key,
                    [
                        cell(format_local_short(line.event.at, now=now)),
                        cell(prefix + label, style),
                        cell(describe(line.event, view.policy, names)),
                    ],
                )
            )
        table = self.query_one("#timeline-table", RecordTable)
        table.show_rows(rows)
        table.border_title = f"{len(rows)} entries, in the order things happened"
        self._detail()

    @property
    def event(self) -> Event | None:
        key = self.query_one("#timeline-table", RecordTable).current_key
        line = self.lines.get(key or "")
        return line.event if line is not None else None

    @on(RecordTable.RowHighlighted, "#timeline-table")
    def _moved(self) -> None:
        self._detail()

    def _detail(self) -> None:
        event = self.event
        detail = self.query_one("#timeline-detail", Static)
        if event is None or self.view is None:
            detail.update(plain("Nothing recorded yet. n: quick note   a: add an entry"))
            return
        line = self.lines[event.id]
        extra = " (corrected: the correction is shown under it)" if line.superseded else ""
        if event.supersedes:
            extra = " (this corrects an earlier entry)"
        if event.kind in ("signoff", "viewing.acknowledged") and not event.verified:
            extra += " NOT VERIFIED: it does not count"
        detail.update(
            join(
                [
                    (KIND_LABELS.get(event.kind, event.kind), "bold"),
                    f" at {format_local(event.at)}, recorded {format_local(event.recorded_at)}"
                    f" by {event.by}{extra}. Enter: read it all   c: correct it",
                ]
            )
        )


def event_text(event: Event, policy: Policy, names: dict[str, str]) -> Content:
    """Every field of an entry, for reading in full: under its form's label, in words.

    Each stored code is shown as the words for it (``model/wording.py``): the
    route as "101", never ``call_101``; a date of birth as 14/03/2010. The
    timeline's one-line summary is not repeated above the fields (a note
    would otherwise show its text twice); ids no person typed are left out.
    """
    parts: list[Content | str | tuple[str, str]] = [
        (f"{KIND_LABELS.get(event.kind, event.kind)}\n", "bold underline"),
        f"Happened: {format_local(event.at)}\n",
        f"Recorded: {format_local(event.recorded_at)} by {event.by} "
        f"({choice_words(event.by_role)})"
        + (f" - author {event.authorship}" if event.authorship.startswith("as ") else "")
        + "\n",
    ]
    if event.kind == "signoff":
        parts.append(
            ("Signature: verified (the Headteacher's own key)\n", "bold")
            if event.verified
            else ("Signature: NOT VERIFIED - this sign-off does not count\n", "bold")
        )
    if event.supersedes:
        parts.append("This entry corrects an earlier one.\n")
        parts += [("Why: ", "bold"), event.correction_reason or "(no reason recorded)", "\n"]
    parts.append("\n")
    schema = SCHEMAS.get(event.kind, {})
    for key, value in event.data.items():
        spec = schema.get(key)
        if key in ("signature", "payload_sha256", "key_id") or (
            spec is not None and spec.type in _NOT_TYPED
        ):
            continue
        if key == "pupil_id" and event.kind == "pupil.added":
            continue  # the name follows
        if key == "pupil_id" and isinstance(value, str):
            text = names.get(value, "a young person not named in this record")
        elif spec is None:
            text = _value_text(value)
        else:
            text = value_words(spec, value, policy)
        label = field_label(event.kind, key)
        parts.append((label if label.endswith("?") else f"{label}:", "bold"))
        if "\n" in text:
            parts.append(plain("\n" + "\n".join(f"  {row}" for row in text.splitlines()),
                               multiline=True))  # fmt: skip
        else:
            parts.append(plain(f" {text}", multiline=True))
        parts.append("\n")
    return join(parts)


#: Fields no person typed (event ids, digests, signatures): not shown when reading.
_NOT_TYPED = frozenset({"event_id", "sha256", "base64"})


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return "\n".join(f"{k}: {v}" for k, v in value.items())
    return "" if value is None else str(value)


# ------------------------------------------------------------------ 3. triggers


class TriggersPane(Pane):
    def compose(self) -> ComposeResult:
        yield RecordTable(
            [("n", "#", 2), ("answer", "Answer", 15), ("trigger", "Trigger", None)],
            id="triggers-table",
        )
        with VerticalScroll(id="trigger-scroll"):
            yield Static("", id="trigger-detail")

    def on_mount(self) -> None:
        self.view: IncidentView | None = None

    def show(self, view: IncidentView, devices: Sequence[DeviceView], now: datetime) -> None:
        self.view = view
        threshold = view.policy.settings.trigger4_age_threshold
        rows: list[Row] = []
        for trigger in view.policy.triggers:
            answer = view.incident.triggers.get(trigger.n)
            words, style = answer_words(answer.answer if answer else None)
            rows.append(
                (
                    str(trigger.n),
                    [cell(str(trigger.n)), cell(words, style), cell(trigger.wording(threshold))],
                )
            )
        table = self.query_one("#triggers-table", RecordTable)
        table.show_rows(rows)
        table.border_title = "Any YES means refer immediately. Enter answers all five, in one form"
        self._detail()

    @property
    def trigger_n(self) -> int | None:
        key = self.query_one("#triggers-table", RecordTable).current_key
        return int(key) if key else None

    @on(RecordTable.RowHighlighted, "#triggers-table")
    def _moved(self) -> None:
        self._detail()

    def _detail(self) -> None:
        view, n = self.view, self.trigger_n
        if view is None or n is None:
            return
        threshold = view.policy.settings.trigger4_age_threshold
        trigger = view.policy.trigger(n)
        answer = view.incident.triggers.get(n)
        words, style = answer_words(answer.answer if answer else None)
        parts: list[Content | str | tuple[str, str]] = [
            (f"Trigger {n}: ", "bold"),
            trigger.wording(threshold),
            "\n",
            ("Answer: ", "bold"),
            (words, style),
        ]
        if answer is not None:
            parts += [f" ({answer.by}, {format_local(answer.at)})\n", ("Basis: ", "bold"),
                      answer.basis or "(none given)"]  # fmt: skip
        parts.append("\n")
        if n == 4:
            suggestion = view.trigger4
            parts += [
                ("\nSuggested from the record: ", "bold"),
                (suggestion.answer.upper(), "bold"),
                f". {suggestion.basis}\n",
                f"(This school's policy sets the age threshold at {threshold}; the national "
                "guidance says 13.)\n",
            ]
        self.query_one("#trigger-detail", Static).update(join(parts))


# ------------------------------------------------------------------ 4. viewing


#: Where a viewing's conditions begin in its detail (support is shown above them).
_CONDITIONS = ("\n\nThe policy's conditions:\n", "bold")


class ViewingPane(Pane):
    """Each viewing and sighting: what it broke, the Headteacher's word on it, support.

    A sighting (imagery a pupil showed a member of staff) has no conditions to
    break and says so; a deliberate viewing that broke one says whether the
    Headteacher has acknowledged it.
    """

    def compose(self) -> ComposeResult:
        yield RecordTable(
            [("when", "When", 11), ("viewer", "Seen by", 22),
             ("rules", "Conditions and support", None)],
            id="viewing-table",
        )  # fmt: skip
        with VerticalScroll(id="viewing-scroll"):
            yield Static("", id="viewing-detail")

    def on_mount(self) -> None:
        self.view: IncidentView | None = None

    @property
    def entry(self) -> Entry | None:
        """The highlighted viewing or sighting."""
        if self.view is None:
            return None
        key = self.query_one("#viewing-table", RecordTable).current_key
        return next((e for e in seen_imagery(self.view.incident) if e.event_id == key), None)

    def show(self, view: IncidentView, devices: Sequence[DeviceView], now: datetime) -> None:
        self.view = view
        incident = view.incident
        unsupported = {e.event_id for e in support_missing(incident)}
        rows: list[Row] = []
        for entry in seen_imagery(incident):
            support = "support ✗ due" if entry.event_id in unsupported else "support ✔"
            alarm = entry.event_id in unsupported
            if entry.kind == "sighting":
                who = entry.text("seen_by")
                words = f"seen unavoidably: no conditions apply; {support}"
            else:
                who = entry.text("viewer")
                unmet = check_viewing(entry.data, incident, view.policy)
                total = len(view.policy.viewing_rules)
                ack = acknowledgement_of(incident, entry.event_id) if unmet else None
                if not unmet:
                    words = f"✔ all {total} conditions met; {support}"
                elif ack is None:
                    words = f"‼ broke {len(unmet)} of {total}: FOR THE HEADTEACHER; {support}"
                    alarm = True
                else:
                    words = f"✗ broke {len(unmet)} of {total}: acknowledged by the Head; {support}"
            rows.append(
                (
                    entry.event_id,
                    [
                        cell(format_local_short(entry.at, now=now)),
                        cell(who),
                        cell(words, "bold" if alarm else ""),
                    ],
                )
            )
        table = self.query_one("#viewing-table", RecordTable)
        table.show_rows(rows)
        table.border_title = f"Viewings and sightings of the imagery ({len(rows)})"
        self._detail()

    @on(RecordTable.RowHighlighted, "#viewing-table")
    def _moved(self) -> None:
        self._detail()

    def _detail(self) -> None:
        view = self.view
        if view is None:
            return
        detail = self.query_one("#viewing-detail", Static)
        entry = self.entry
        if entry is None:
            detail.update(
                plain(
                    "No viewing of the imagery is recorded. The policy: imagery is not viewed "
                    "unless there is good and clear reason, and then only under its rules. "
                    "a: record a viewing, or an unavoidable sighting (shown by a pupil).",
                    multiline=True,
                )
            )
            return
        support = self._support(view, entry)
        if entry.kind == "sighting":
            detail.update(join([*self._sighting(entry), *support]))
            return
        parts = self._viewing(view, entry)
        at = parts.index(_CONDITIONS)
        # Support before the nine conditions: on a small screen it is still in view.
        detail.update(join([*parts[:at], *support, *parts[at:]]))

    def _sighting(self, entry: Entry) -> list[Content | str | tuple[str, str]]:
        return [
            ("Seen unavoidably by ", "bold"),
            entry.text("seen_by"),
            f" at {format_local(entry.at)}\nHow: ",
            entry.text("how"),
            "\nWhat was done: ",
            entry.text("actions"),
            "\n\nNobody decided to view it, so the policy's conditions for viewing do not "
            "apply. The policy: staff who see imagery unavoidably are given support.",
        ]

    def _viewing(self, view: IncidentView, entry: Entry) -> list[Content | str | tuple[str, str]]:
        incident = view.incident
        unmet = {f.rule_id: f for f in check_viewing(entry.data, incident, view.policy)}
        raw_acks = entry.data.get("acknowledgements")
        acks = raw_acks if isinstance(raw_acks, Mapping) else {}
        parts: list[Content | str | tuple[str, str]] = []
        if unmet:
            ack = acknowledgement_of(incident, entry.event_id)
            if ack is None:
                parts += [
                    (f"‼ This viewing broke {len(unmet)} of the policy's conditions.", "bold"),
                    " It stays on the Headteacher's home and in Needs attention until the "
                    "Headteacher acknowledges it (a: Headteacher acknowledged a viewing).\n\n",
                ]
            else:
                parts += [
                    ("Acknowledged by ", "bold"),
                    ack.by,
                    f" at {format_local(ack.at)}: ",
                    ack.text("note"),
                    "\n\n",
                ]
        parts += [
            ("Viewed by ", "bold"),
            entry.text("viewer"),
            f" at {format_local(entry.at)}; where: ",
            entry.text("where"),
            "; present: ",
            "; ".join(str(p) for p in entry.data.get("present") or ()) or "nobody else",
            "\nWhat happened next: ",
            entry.text("actions"),
            _CONDITIONS,
        ]
        rules = sorted(view.policy.viewing_rules, key=lambda rule: rule.id not in unmet)
        for rule in rules:  # the unmet ones first
            finding = unmet.get(rule.id)
            if finding is None:
                parts += [(" ✔ met: ", "bold"), f"{rule.text}\n"]
            else:
                reason = str(acks.get(rule.id, "(no reason)"))
                parts += [(" ✗ NOT MET: ", "bold reverse"), f"{finding.text}\n"]
                parts += ["     the DSL's reason: ", reason, "\n"]
        return parts

    def _support(self, view: IncidentView, entry: Entry) -> list[Content | str | tuple[str, str]]:
        ids = stands_for(view.incident, entry.event_id)
        given = [s for s in view.incident.staff_support if s.text("after_id") in ids]
        if not given:
            return [
                ("\n✗ Support: not recorded yet. ", "bold"),
                "a: Support offered to staff (it follows this entry).",
            ]
        parts: list[Content | str | tuple[str, str]] = [("\nSupport:", "bold")]
        for support in given:
            parts += [
                f"\n ✔ {format_local(support.at)}: ",
                support.text("staff_name"),
                ": ",
                support.text("what"),
            ]
        return parts


# ------------------------------------------------------------------ 5. custody


class CustodyPane(Pane):
    def compose(self) -> ComposeResult:
        yield RecordTable(
            [("when", "When", 11), ("what", "Device / entry", 26), ("details", "Details", None)],
            id="custody-table",
        )
        yield Static(
            plain("Enter: open the device's chain   a: record a device seized"),
            id="custody-hint",
        )

    def on_mount(self) -> None:
        self.devices: dict[str, str] = {}

    def show(self, view: IncidentView, devices: Sequence[DeviceView], now: datetime) -> None:
        rows: list[Row] = []
        self.devices = {}
        for device_view in devices:
            device = device_view.device
            ref = device.meta.ref
            self.devices[ref] = ref
            status = (device.status or "?").replace("_", " ")
            off = "off ✔" if device.powered_off_confirmed else "✗ NOT confirmed off"
            seized = format_local_short(device.seized_at, now=now) if device.seized_at else "—"
            rows.append(
                (
                    ref,
                    [
                        cell(seized),
                        cell(f"{ref} ({status})", "bold"),
                        cell(f"{device.description}; {off}; at: {device.location or '?'}"),
                    ],
                )
            )
            for line in timeline_rows(device.chain):
                key = f"{ref}/{line.key}"
                self.devices[key] = ref
                label = KIND_LABELS.get(line.event.kind, line.event.kind)
                prefix = "    ↳ correction: " if line.depth else "  ↳ "
                suffix = " ✗ corrected" if line.superseded else ""
                rows.append(
                    (
                        key,
                        [
                            cell(format_local_short(line.event.at, now=now)),
                            cell(prefix + label + suffix),
                            cell(describe(line.event, view.policy, {})),
                        ],
                    )
                )
        table = self.query_one("#custody-table", RecordTable)
        table.show_rows(rows)
        table.border_title = f"Devices seized for this incident ({len(devices)})"

    @property
    def device_ref(self) -> str | None:
        key = self.query_one("#custody-table", RecordTable).current_key
        return self.devices.get(key or "")


# ------------------------------------------------------------------ 6. people


class PeoplePane(Pane):
    """Everyone involved; a young person linked to the pupil register says whether this
    is their only incident or which came before (``p`` opens their record)."""

    def compose(self) -> ComposeResult:
        yield RecordTable(
            [
                ("who", "Who", 26),
                ("part", "Part", 18),
                ("parents", "Parents", None),
                ("register", "Pupil register", None),
            ],
            id="people-table",
            shown_from={"register": 100},
            shares={"parents": (0.45, 32)},  # who was told comes first; the register's
            # line is said whole below the table
        )
        yield Static("", id="people-detail")

    def on_mount(self) -> None:
        self.view: IncidentView | None = None
        self.linked: Mapping[str, LinkedPupil] = {}

    def show_linked(self, linked: Mapping[str, LinkedPupil]) -> None:
        """The register's word on each linked pupil (read with the incident, drawn by show)."""
        self.linked = linked

    def show(self, view: IncidentView, devices: Sequence[DeviceView], now: datetime) -> None:
        self.view = view
        policy = view.policy
        rows: list[Row] = []
        for pid, pupil in view.incident.pupils.items():
            parts = ", ".join(policy.label("pupil_parts", p) for p in pupil.parts)
            linked = self.linked.get(pid)
            mark = f"{REPEAT} " if linked is not None and linked.repeat else ""
            rows.append((f"pupil:{pid}", [cell(mark + pupil.name, "bold"), cell(parts),
                                          cell(*_parents(view, pid)),
                                          cell(*_register(linked))]))  # fmt: skip
        for aid, adult in view.incident.adults.items():
            rows.append((f"adult:{aid}", [cell(f"{adult.name} (adult)", "bold"),
                                          cell(adult.description), cell(""),
                                          cell("")]))  # fmt: skip
        for index, staff in enumerate(view.incident.staff):
            rows.append((f"staff:{index}", [cell(f"{staff.name} (staff)"), cell(staff.role),
                                            cell(staff.involvement), cell("")]))  # fmt: skip
        table = self.query_one("#people-table", RecordTable)
        table.show_rows(rows)
        table.border_title = "Young people, adults and staff involved"
        self._detail()

    @property
    def pupil_id(self) -> str | None:
        key = self.query_one("#people-table", RecordTable).current_key or ""
        return key.split(":", 1)[1] if key.startswith("pupil:") else None

    @on(RecordTable.RowHighlighted, "#people-table")
    def _moved(self) -> None:
        self._detail()

    def _detail(self) -> None:
        view = self.view
        detail = self.query_one("#people-detail", Static)
        if view is None:
            return
        pid = self.pupil_id
        pupil = view.incident.pupils.get(pid or "")
        if pupil is None:
            if not view.incident.pupils:
                detail.update(plain("No young person recorded yet. a: add a pupil"))
            else:
                detail.update(plain("a: add a pupil, adult or member of staff"))
            return
        age = (
            f"born {format_local_date(pupil.dob)}"
            if pupil.dob
            else (f"Year {pupil.year_group}" if pupil.year_group else "age not known")
        )
        detail.update(
            join(
                [
                    (pupil.name, "bold"),
                    f": {age}; {pupil.sex}; SEN: {'yes' if pupil.special_needs else 'no'}",
                    f"; vulnerabilities: {pupil.vulnerabilities}" if pupil.vulnerabilities else "",
                    (
                        f"\nChildren's social care: {'; '.join(pupil.csc_facts)}"
                        if pupil.known_to_csc
                        else ""
                    ),
                    _register_line(self.linked.get(pid or ""), pupil),
                    "\nEnter: record for this young person (parents, deletion, conversation…)",
                ]
            )
        )


def _register(linked: LinkedPupil | None) -> tuple[str, str]:
    """The People pane's register cell: another incident before or after this one?"""
    if linked is None:
        return "no pupil record", ""
    if linked.repeat:
        return f"{REPEAT} {linked.repeat}", "bold"
    return "only incident", ""


def _register_line(linked: LinkedPupil | None, pupil: Pupil) -> Content | str:
    if linked is None:
        if pupil.register_id:
            return f"\nIn the pupil register. {_RECORD_KEYS}"
        return "\nNot in the pupil register yet. p: link them to it"
    if linked.repeat:
        return join(["\n", (f"{REPEAT} {linked.repeat}", "bold"), f". {_RECORD_KEYS}"])
    return f"\nIn the pupil register (their only incident there). {_RECORD_KEYS}"


#: The keys of a linked young person's register record (People pane).
_RECORD_KEYS = "p: their pupil record  u: undo a wrong link"


def _parents(view: IncidentView, pupil_id: str) -> tuple[str, str]:
    entries = view.incident.parents.get(pupil_id) or ()
    if not entries:
        return "⚠ not yet informed", "bold"
    last = entries[-1]
    if last.informed:
        return f"✔ told: {last.who} ({format_local_short(last.at)})", ""
    return f"✗ not told: {last.reason} (agreed with {last.agreed_with})", ""
