"""One incident: six panes (keys 1-6), the referral banner, and every way to add to it.

The banner is the one thing this screen will not let anyone miss: while the
policy requires an immediate referral that is not yet recorded, it sits
above every pane, in words and symbols as well as colour, and says what to
record. A note (n) and "refer now / harm concern" (r) are one key away from
every pane.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import ContentSwitcher, Footer, OptionList, Static

from ...model.events import Event
from ...model.referrals import AGENCY_WORDS, referrals_made
from ...model.schema import INCIDENT_SCHEMAS, KIND_ROLES
from ...model.summary import incident_status
from ...model.timeparse import format_local_short
from ...service.describe import KIND_LABELS
from ...service.register import NEW, PupilRegister
from ..commands import PaletteEntry, bindings
from ..formspec import (
    RISKS_FORM,
    TRIGGERS_FORM,
    correction_fixed,
    device_spec,
    entry_spec,
    risks_spec,
    trigger_field,
    triggers_spec,
    values_from_event,
)
from ..jobs import Reporter, call
from ..messages import (
    Failed,
    IncidentLoaded,
    LinkOffered,
    PupilsLinked,
    RegisterLinkChanged,
    Saved,
    VaultChanged,
)
from ..pupil_words import born_words, incidents_words
from ..text import join, plain, styled
from ..widgets.bars import PaneBar, TopBar
from ..widgets.panes import (
    PANES,
    CustodyPane,
    GuidePane,
    Pane,
    PeoplePane,
    TimelinePane,
    TriggersPane,
    ViewingPane,
    event_text,
    pupil_names,
)
from ..widgets.table import RecordTable
from ..words import STATUS_WORDS, flag_words
from .base import AppScreen

if TYPE_CHECKING:
    from datetime import date

    from textual.content import Content

    from ...service.casebook import IncidentView
    from ...service.devices import DeviceView
    from ...service.factory import Services
    from ...service.register import LinkedPupil, RegisterRow
    from ...vault.drafts import Draft

__all__ = ["ADD_BY_PANE", "STEP_FORMS", "IncidentScreen"]

#: The entries that belong to each step of the procedure (by the bundled policy's ids).
STEP_FORMS: dict[str, tuple[str, ...]] = {
    "disclosure": ("disclosure", "pupil.added", "adult.added", "staff.added"),
    "review_meeting": ("review.meeting", "content.described"),
    "decision": (
        TRIGGERS_FORM,
        "trigger.answered",
        "decision",
        "decision.reviewed",
        "concern.harm",
    ),
    "risks": (RISKS_FORM, "risk.answered"),
    "parents": ("parents.informed", "parents.not_informed"),
    "police": ("police.contact", "police.outcome"),
    "devices": ("device.seized",),
    "csc": ("csc.contact", "agency.meeting", "other_setting.contact"),
    "viewing": ("viewing", "sighting", "staff.support_offered", "viewing.acknowledged"),
    "deletion": (
        "deletion.police_agreed",
        "deletion.requested",
        "deletion.confirmed",
        "deletion.search",
        "discipline",
    ),
    "talking": ("conversation", "conversation.not_held", "support.route"),
    "closing": ("support.route", "support.not_offered", "incident.closed", "incident.reopened"),
}

#: Menu words for what is not an entry kind of its own.
_MENU_LABELS = {
    TRIGGERS_FORM: "All five triggers, in one form",
    RISKS_FORM: "The risk questions for one young person, in one form",
}
#: Whose the form is: the entry kind it saves.
_ROLES_OF = {TRIGGERS_FORM: "trigger.answered", RISKS_FORM: "risk.answered"}


def role_may(role: str, kind: str) -> bool:
    """Whether ``role`` may record ``kind`` (kinds without a list are anyone's)."""
    return role in KIND_ROLES.get(kind, (role,))


ADD_BY_PANE: dict[str, tuple[str, ...]] = {
    "triggers": (TRIGGERS_FORM, "trigger.answered", "concern.harm", "decision",
                 "decision.reviewed"),
    "viewing": ("viewing", "sighting", "staff.support_offered", "viewing.acknowledged"),
    "custody": ("device.seized",),
    "people": ("pupil.added", "pupil.updated", "adult.added", "staff.added",
               "parents.informed", "parents.not_informed"),
}  # fmt: skip

#: What may be recorded for one young person (Enter on the People pane).
PUPIL_FORMS = (
    RISKS_FORM,
    "parents.informed",
    "parents.not_informed",
    "deletion.requested",
    "deletion.confirmed",
    "deletion.search",
    "conversation",
    "conversation.not_held",
    "support.route",
    "support.not_offered",
    "discipline",
    "pupil.updated",
)

#: Entries nobody records through a form (made by their own commands; a report
#: from staff is taken in from the inbox, verbatim, never typed).
_NO_FORM = {
    "signoff",
    "incident.opened",
    "pupil.linked",
    "pupil.unlinked",
    "staff_report.taken_in",
}

#: What the register's workers do, in words (an error dialog's "Could not ...").
_FIND_MATCHES = "search the pupil register for this young person"
_LINK = "link the young person to the pupil register"
_UNLINK = "undo the link to the pupil register"


class IncidentScreen(AppScreen[None]):
    COMMAND_SCOPES = ("incident",)
    BINDINGS = bindings("incident")

    def __init__(self, ref: str, *, restore: Draft | None = None, step: str | None = None) -> None:
        """``step``: open on the Guide pane at this step (the inspection check's fix)."""
        super().__init__()
        self.ref = ref
        self._step = step
        self.view: IncidentView | None = None
        self.devices: list[DeviceView] = []
        #: The pupils linked to the register: their record and other incidents.
        self.linked: dict[str, LinkedPupil] = {}
        #: The register is being read for this incident's linked pupils (just after it).
        self.linked_pending = False
        #: The register is being searched for a young person just added (the dialog follows).
        self.offer_pending = False
        self.pane = "guide"
        self.record_id: str | None = None
        self._restore = restore
        self._generation = 0

    @property
    def holds_keys(self) -> bool:
        """Keys typed before the incident is first read wait for it (see YdsiApp): t or
        k typed on the heels of Enter found no record to build a form from, and the
        keys meant for that form went to this screen's own keys instead. Likewise p
        typed before the register's word on the young people (read just after), and
        keys typed while the register is searched for a young person just added (they
        are meant for the dialog that follows)."""
        return self.view is None or self.linked_pending or self.offer_pending

    def compose(self) -> ComposeResult:
        yield TopBar(f"Incident {self.ref}")
        yield Static(plain(f"{self.ref}: reading…"), id="incident-line")
        yield Static("", id="referral-banner")
        yield PaneBar(PANES, id="pane-bar")
        with ContentSwitcher(initial="guide", id="panes"):
            yield GuidePane(id="guide")
            yield TimelinePane(id="timeline")
            yield TriggersPane(id="triggers")
            yield ViewingPane(id="viewing")
            yield CustodyPane(id="custody")
            yield PeoplePane(id="people")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#referral-banner").display = False
        self.query_one(PaneBar).active = "guide"
        self.load(log=True)

    # ------------------------------------------------------------------
    # loading
    # ------------------------------------------------------------------
    def load(self, *, log: bool = False) -> None:
        self._generation += 1
        self._load(self._generation, log)

    @work(thread=True, exit_on_error=False, group="incident-load", description="open the incident")
    def _load(self, generation: int, log: bool) -> None:
        ref = self.ref

        def job(services: Services) -> IncidentLoaded:
            assert services.cases is not None
            view = services.cases.open(ref, log=log)
            devices = [
                services.devices.open(row.ref, log=log)
                for row in services.devices.rows(incident_ref=ref)
                if row.error is None
            ]
            self.record_id = services.session.record_id("case", ref)
            return IncidentLoaded(view, devices, generation)

        loaded = call(self.ydsi, "open the incident", job)
        self.post_message(loaded)
        if isinstance(loaded, IncidentLoaded) and _any_linked(loaded.view):
            # After the incident is shown: a pass over every summary (nothing opened).
            incident = loaded.view.incident

            def register(services: Services) -> PupilsLinked:
                assert services.cases is not None
                return PupilsLinked(PupilRegister(services.cases).linked(incident), generation)

            self.post_message(call(self.ydsi, _READ_REGISTER, register))

    def on_incident_loaded(self, message: IncidentLoaded) -> None:
        if message.generation != self._generation:
            return
        self.view = message.view
        self.devices = list(message.devices)
        self.linked_pending = _any_linked(message.view)
        if not self.linked_pending:
            self.linked = {}  # unlinked since: nothing of the register's to say
        self._show()
        if self._step is not None:
            step, self._step = self._step, None
            self.query_one(GuidePane).highlight(step)
        if self._restore is not None:
            draft, self._restore = self._restore, None
            self.restore(draft)

    def on_pupils_linked(self, message: PupilsLinked) -> None:
        if message.generation != self._generation or self.view is None:
            return
        self.linked = dict(message.linked)
        self.linked_pending = False
        people = self.query_one(PeoplePane)
        people.show_linked(self.linked)
        people.show(self.view, self.devices, self.ydsi.now())

    def on_failed(self, message: Failed) -> None:
        if message.what == _READ_REGISTER:
            self.linked_pending = False  # the incident stands; the register's word is missing
        if message.what == _FIND_MATCHES:
            self.offer_pending = False
        if message.error_type == "Locked":
            return
        self.ydsi.show_error(message)

    def on_vault_changed(self, message: VaultChanged) -> None:
        if (
            not message.changed
            or ("case", self.record_id) in message.changed
            or any(comp == "custody" for comp, _ in message.changed)
        ):
            self.load(log=bool(message.changed))

    def _show(self) -> None:
        view = self.view
        if view is None:
            return
        now = self.ydsi.now()
        incident = view.incident
        status = STATUS_WORDS.get((incident.closed and "closed") or _status(view), "open")
        next_title = view.next_step.title if view.next_step else "nothing left to record"
        overdue = (
            f"   ⚠ {len(view.overdue)} overdue: {flag_words(view.overdue)}" if view.overdue else ""
        )
        problems = f"   ✗ {len(view.problems)} problem(s) in the record" if view.problems else ""
        self.query_one("#incident-line", Static).update(
            join([(f"{self.ref}", "bold"), f" · {status} · Next: {next_title}{overdue}{problems}"])
        )
        self._banner(view)
        self.query_one(PeoplePane).show_linked(self.linked)
        for pane in self.query(Pane):
            pane.show(view, self.devices, now)

    def _banner(self, view: IncidentView) -> None:
        banner = self.query_one("#referral-banner", Static)
        if not view.referral.required:
            banner.display = False
            return
        outstanding = any(flag.code == "referral_required" for flag in view.obligations)
        yes = sorted(n for n, answer in view.incident.triggers.items() if answer.answer == "yes")
        why = []
        if yes:
            why.append(f"trigger {', '.join(str(n) for n in yes)} answered YES (pane 3)")
        if view.incident.harm_concerns:
            why.append("a concern of harm or risk of harm was recorded")
        reasons = "; ".join(why)
        banner.display = True
        banner.set_class(outstanding, "-urgent")
        if outstanding:
            banner.update(
                join(
                    [
                        ("‼ IMMEDIATE REFERRAL REQUIRED ‼ ", "bold"),
                        f"Why: {reasons}. Refer to the police and/or children's social care "
                        "now, then record the decision to refer, the contact made and every "
                        "crime reference (a: add).",
                    ]
                )
            )
        else:
            banner.update(join([("‼ Referral required by the policy: ", "bold"),
                                f"{self._referral_done(view)}. Why: {reasons}."]))  # fmt: skip

    @staticmethod
    def _referral_done(view: IncidentView) -> str:
        """What the record shows was done: the contacts made, never only a decision."""
        if view.referral.overridden:
            return "TRIGGER OVERRIDDEN: the decision is to respond in school"
        made = referrals_made(view.incident)
        if made:
            return "referred to " + "; ".join(
                f"{AGENCY_WORDS.get(m.agency, m.agency)} ({m.person}, {format_local_short(m.at)})"
                for m in made
            )
        return "decided otherwise, with the reason recorded"

    # ------------------------------------------------------------------
    # panes
    # ------------------------------------------------------------------
    def action_pane(self, pane: str) -> None:
        if pane not in dict(PANES):
            return
        self.pane = pane
        self.query_one("#panes", ContentSwitcher).current = pane
        self.query_one(PaneBar).active = pane
        focus = {
            "guide": "#steps",
            "timeline": "#timeline-table",
            "triggers": "#triggers-table",
            "viewing": "#viewing-table",
            "custody": "#custody-table",
            "people": "#people-table",
        }[pane]
        self.query_one(focus).focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "mark_step":
            return self.pane == "guide"
        if action == "correct":
            return self.pane == "timeline"
        if action == "sign_off":
            return self.ydsi.role == "headteacher"
        return True

    # ------------------------------------------------------------------
    # adding
    # ------------------------------------------------------------------
    def open_form(
        self,
        kind: str,
        *,
        preset: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        supersedes: str | None = None,
        fixed: dict[str, Any] | None = None,
        draft_id: str | None = None,
        notice: str | None = None,
        focus: str | None = None,
    ) -> None:
        from dataclasses import replace

        services = self.ydsi.services
        if services is None or self.view is None:
            return
        if kind == RISKS_FORM:
            pupil_id = (preset or {}).get("pupil_id") or (fixed or {}).get("pupil_id")
            if pupil_id not in self.view.incident.pupils:
                self._risks_for_whom(values=values, draft_id=draft_id)
                return
            form = risks_spec(services.policy, self.view, ref=self.ref, pupil_id=str(pupil_id))
        elif kind == TRIGGERS_FORM:
            form = triggers_spec(services.policy, self.view, ref=self.ref)
        elif kind.startswith("device."):
            pupils = {pid: pupil.name for pid, pupil in self.view.incident.pupils.items()}
            form = device_spec(kind, services.policy, ref=None, incident_ref=self.ref,
                               pupils=pupils)  # fmt: skip
        else:
            form = entry_spec(kind, services.policy, self.view, ref=self.ref,
                              supersedes=supersedes, preset=preset)  # fmt: skip
        if fixed:
            form = replace(form, fixed={**form.fixed, **fixed})
        self.ydsi.open_form(
            form, values, self._after_form, draft_id=draft_id, notice=notice, focus=focus
        )

    def _after_form(self, saved: Saved | None) -> None:
        if saved is None:
            return
        self.load()
        event = saved.result  # an entry's Event (a form of several entries: their count)
        if isinstance(event, Event) and event.kind == "pupil.added" and not event.supersedes:
            self._offer_for_added(event)

    def _offer_for_added(self, event: Event) -> None:
        """A young person just added: the register's records of them, offered at once."""
        from datetime import date

        data = event.data
        dob = data.get("dob")
        year = data.get("year_group")
        self.offer_link(
            str(data["pupil_id"]),
            str(data.get("name", "")),
            date.fromisoformat(dob) if isinstance(dob, str) and dob else None,
            year if isinstance(year, int) else None,
        )

    def _menu(self, title: str, kinds: Iterable[str], **preset: Any) -> None:
        from .dialogs import MenuDialog

        role = self.ydsi.role
        items = [
            (kind, _MENU_LABELS.get(kind) or KIND_LABELS.get(kind, kind))
            for kind in kinds
            if kind not in _NO_FORM and role in KIND_ROLES.get(_ROLES_OF.get(kind, kind), (role,))
        ]
        if not items:
            return

        def chosen(kind: str | None) -> None:
            if kind is not None:
                self.open_form(kind, preset={**preset, **self._follows(kind)} or None)

        self.app.push_screen(MenuDialog(title, items), chosen)

    def _follows(self, kind: str) -> dict[str, Any]:
        """Support or an acknowledgement opened on the Viewing pane follows its highlighted row."""
        if self.pane != "viewing" or kind not in ("staff.support_offered", "viewing.acknowledged"):
            return {}
        entry = self.query_one(ViewingPane).entry
        if entry is None:
            return {}
        if kind == "viewing.acknowledged":
            return {"viewing_id": entry.event_id} if entry.kind == "viewing" else {}
        who = entry.text("seen_by") if entry.kind == "sighting" else entry.text("viewer")
        return {"after_id": entry.event_id, "staff_name": who}

    def action_add(self) -> None:
        if self.view is None:
            return
        if self.pane == "guide":
            step_id = self.query_one(GuidePane).step_id or ""
            kinds = STEP_FORMS.get(step_id, tuple(INCIDENT_SCHEMAS))
            self._menu("Add an entry for this step", (*kinds, "note"))
        elif self.pane == "triggers":
            n = self.query_one(TriggersPane).trigger_n
            self._menu("Add", ADD_BY_PANE["triggers"], n=str(n) if n else None)
        elif self.pane in ADD_BY_PANE:
            self._menu("Add", ADD_BY_PANE[self.pane])
        else:
            self._menu("Add an entry", [k for k in INCIDENT_SCHEMAS if k not in _NO_FORM])

    def action_note(self) -> None:
        self.ydsi.open_quick_note(self.ref, after=self._after_form)

    def action_refer(self) -> None:
        """A referral counts once the contact is recorded: offer the two contacts."""
        from .dialogs import MenuDialog

        if self.view is None:
            return
        items = [
            ("police", "The police: 999, 101 or CEOP, and who you spoke to"),
            ("csc", "Children's social care: the referral, and who took it"),
            ("harm", "A harm concern: what was seen or said (h), before you refer"),
        ]

        def chosen(agency: str | None) -> None:
            if agency == "police":
                self.open_form("police.contact")
            elif agency == "csc":
                self.open_form("csc.contact", preset={"type": "referral"})
            elif agency == "harm":
                self.open_form("concern.harm")

        self.app.push_screen(MenuDialog("Refer now: record the contact", items), chosen)

    def action_triggers_all(self) -> None:
        """Every trigger in one form (the walk counted five forms of 8 to 10 keys each)."""
        if role_may(self.ydsi.role, "trigger.answered"):
            self.open_form(TRIGGERS_FORM)

    def action_risks(self) -> None:
        """The risk questions for one young person in one form (the walk counted seven
        forms, each with its question chosen from a dropdown): on the People pane for
        the highlighted one, elsewhere asked which, if there are several."""
        if not role_may(self.ydsi.role, "risk.answered"):
            return
        pupil_id = self.query_one(PeoplePane).pupil_id if self.pane == "people" else None
        self.open_form(RISKS_FORM, preset={"pupil_id": pupil_id} if pupil_id else None)

    def _risks_for_whom(self, **kwargs: Any) -> None:
        from .dialogs import MenuDialog

        if self.view is None:
            return
        pupils = [(pid, pupil.name or "(no name)")
                  for pid, pupil in self.view.incident.pupils.items()]  # fmt: skip
        if not pupils:
            self.notify("Record a young person first (6: People, then a).", markup=False)
            return
        if len(pupils) == 1:
            self.open_form(RISKS_FORM, preset={"pupil_id": pupils[0][0]}, **kwargs)
            return

        def chosen(pupil_id: str | None) -> None:
            if pupil_id is not None:
                self.open_form(RISKS_FORM, preset={"pupil_id": pupil_id}, **kwargs)

        self.app.push_screen(MenuDialog("The risk questions: for which young person?", pupils),
                             chosen)  # fmt: skip

    def action_harm(self) -> None:
        self.open_form("concern.harm")

    def action_mark_step(self) -> None:
        step_id = self.query_one(GuidePane).step_id
        if step_id is not None:
            self.open_form("step.status", preset={"step_id": step_id})

    def action_correct(self) -> None:
        event = self.query_one(TimelinePane).event
        if event is None or self.view is None:
            return
        if event.kind in _NO_FORM or event.kind not in INCIDENT_SCHEMAS:
            self.notify("This entry cannot be corrected with a form.", markup=False)
            return
        services = self.ydsi.services
        if services is None:
            return
        form = entry_spec(event.kind, services.policy, self.view, ref=self.ref,
                          supersedes=event.id)  # fmt: skip
        self.open_form(
            event.kind,
            values=values_from_event(form, event),
            supersedes=event.id,
            fixed=correction_fixed(form, event),
        )

    def action_sign_off(self) -> None:
        if self.view is not None:
            self.ydsi.open_signoff(self.view, self._after_form)

    def action_export(self) -> None:
        from ...service.reports.chronology import (
            chronology,
            chronology_document,
            chronology_json,
        )
        from ...service.reports.formats import render
        from .export import ExportDialog

        if self.view is None:
            return
        ref = self.ref

        def build(services: Services, fmt: str, reporter: Reporter) -> bytes:
            assert services.cases is not None
            reporter.stage(f"Reading {ref} and its devices")
            chrono = chronology(services.cases, services.devices, ref)
            reporter.stage(f"Rendering the {fmt.upper()}" if fmt == "pdf" else "Rendering")
            return render(fmt, chronology_document(chrono), chronology_json(chrono))

        self.app.push_screen(
            ExportDialog(
                f"Export the chronology of {ref}",
                f"the chronology of {ref}",
                f"{ref}-chronology",
                build,
                about="Every entry in time order with who recorded it and when, decisions "
                "with their reasons, sign-offs with their signatures checked, the devices' "
                "custody chains; marked OFFICIAL-SENSITIVE. The read is audited.",
            )
        )

    def _chosen_pupil(self) -> str | None:
        """The highlighted young person (People pane), or the incident's only one."""
        if self.view is None:
            return None
        pupils = self.view.incident.pupils
        pupil_id = self.query_one(PeoplePane).pupil_id if self.pane == "people" else None
        if pupil_id is None and len(pupils) == 1:
            pupil_id = next(iter(pupils))
        if pupil_id is None or pupil_id not in pupils:
            self.notify("Highlight the young person on the People pane (6) first.", markup=False)
            return None
        return pupil_id

    def action_child_chronology(self) -> None:
        pupil_id = self._chosen_pupil()
        if pupil_id is not None:
            self.ydsi.open_child_chronology(ref=self.ref, pupil_id=pupil_id)

    def action_pupil_record(self) -> None:
        """Their record in the pupil register (merges followed): facts and every incident;
        a young person not yet linked is offered the records that may be them."""
        pupil_id = self._chosen_pupil()
        if pupil_id is None or self.view is None:
            return
        linked = self.linked.get(pupil_id)
        if linked is not None:
            self.ydsi.open_pupil_record(linked.register_id)
            return
        pupil = self.view.incident.pupils[pupil_id]
        if pupil.register_id:  # the register's word did not come: the link itself is known
            self.ydsi.open_pupil_record(pupil.register_id)
            return
        self.offer_link(pupil_id, pupil.name, pupil.dob, pupil.year_group)

    # ------------------------------------------------------------------
    # the pupil register: link, undo a link
    # ------------------------------------------------------------------
    def offer_link(
        self, pupil_id: str, name: str, dob: date | None, year_group: int | None
    ) -> None:
        """Search the register for this young person, then ask which record is theirs."""
        if self.view is None or self.offer_pending:
            return
        self.offer_pending = True
        incident = self.view.incident
        # A year group is that of the incident's school year (as the link checks it).
        day = incident.incident_date or self.ydsi.now().date()
        # A record linked to another of this incident's young people is not theirs.
        taken = frozenset(p.register_id for p in incident.pupils.values() if p.register_id)
        self._find_matches(pupil_id, name, dob, year_group, day, taken)

    @work(thread=True, exit_on_error=False, group="register-link", description=_FIND_MATCHES)
    def _find_matches(
        self,
        pupil_id: str,
        name: str,
        dob: date | None,
        year_group: int | None,
        day: date,
        taken: frozenset[str],
    ) -> None:
        def job(services: Services) -> LinkOffered:
            assert services.cases is not None
            register = PupilRegister(services.cases)
            listing = register.listing()
            found = register.candidates(
                [name], dob=dob, year_group=year_group, as_of=day, listing=listing
            )
            rows = {row.register_id: row for row in register.rows(listing)}
            offered = [
                rows[m.register_id]
                for m in found
                if m.offered and m.register_id in rows and m.register_id not in taken
            ]
            others = sum(1 for m in found if not m.offered)
            return LinkOffered(pupil_id, name, born_words(dob, year_group), offered, others)

        self.post_message(call(self.ydsi, _FIND_MATCHES, job))

    def on_link_offered(self, message: LinkOffered) -> None:
        from .dialogs import MenuDialog

        self.offer_pending = False
        if self.app.screen is not self:
            return  # moved on meanwhile (past the keys' hold): p on them offers it again
        items: list[tuple[str, str | Content]] = [
            (row.register_id, _record_label(row)) for row in message.offered
        ]
        items.append((NEW, "A new pupil record for this young person"))
        who = f"{message.name or '(no name)'} ({message.born})"
        if message.offered:
            found = (
                f"{who} may be one of these pupil records, likeliest first. Link the same "
                "child, so their incidents are seen together:"
            )
        else:
            found = f"No pupil record matches {who}."
        if message.others:
            found += (
                f"\n{message.others} record(s) of the same name are another child (another "
                "date of birth or school year): not offered."
            )
        pupil_id = message.pupil_id

        def chosen(choice: str | None) -> None:
            if choice is not None:
                self._link(pupil_id, choice)

        self.app.push_screen(
            MenuDialog(
                "Link to the pupil register",
                items,
                prompt=found,
                hint="Enter: link   Esc: not now (they stay unlinked)",
            ),
            chosen,
        )

    @work(thread=True, exit_on_error=False, group="register-link", description=_LINK)
    def _link(self, pupil_id: str, choice: str) -> None:
        ref = self.ref

        def job(services: Services) -> RegisterLinkChanged:
            assert services.cases is not None
            register = PupilRegister(services.cases)
            if choice == NEW:
                register.register_incident_pupil(ref, pupil_id)
                return RegisterLinkChanged("✔ A new pupil record was made and linked.")
            register.link(ref, choice, pupil_id=pupil_id)
            return RegisterLinkChanged("✔ Linked to their pupil record.")

        self.post_message(call(self.ydsi, _LINK, job, write=True))

    def action_unlink_pupil(self) -> None:
        """A wrong link undone, with the reason (``ydsi pupil unlink REF ID --reason``)."""
        from .dialogs import FieldDef, FieldsDialog

        pupil_id = self._chosen_pupil()
        if pupil_id is None or self.view is None:
            return
        pupil = self.view.incident.pupils[pupil_id]
        register_id = pupil.register_id
        if not register_id:
            self.notify(
                "This young person is not linked to a pupil record: nothing to undo "
                "(p links them).",
                markup=False,
            )
            return
        name = pupil.name or "(no name)"

        def done(values: dict[str, str] | None) -> None:
            if values is not None:
                self._unlink(register_id, values["reason"])

        self.app.push_screen(
            FieldsDialog(
                "Undo the link to the pupil register",
                f"{name} is linked to a pupil record. If that record is another child, "
                "undo the link: this incident stops counting under it. The link and its "
                "undoing both stay in the timeline, with your reason.",
                [
                    FieldDef(
                        "reason",
                        "Why the link is wrong",
                        required=True,
                        hint="e.g. another child of the same name",
                    )
                ],
                done="Undo the link",
            ),
            done,
        )

    @work(thread=True, exit_on_error=False, group="register-link", description=_UNLINK)
    def _unlink(self, register_id: str, reason: str) -> None:
        ref = self.ref

        def job(services: Services) -> RegisterLinkChanged:
            assert services.cases is not None
            PupilRegister(services.cases).unlink(ref, register_id, reason)
            return RegisterLinkChanged("✔ The link to the pupil record was undone.")

        self.post_message(call(self.ydsi, _UNLINK, job, write=True))

    def on_register_link_changed(self, message: RegisterLinkChanged) -> None:
        self.notify(message.said, markup=False)
        self.load()

    def action_reads(self) -> None:
        self.ydsi.open_reads(self.ref)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.load(log=True)

    # ------------------------------------------------------------------
    # Enter on a row
    # ------------------------------------------------------------------
    @on(RecordTable.RowSelected, "#triggers-table")
    def _answer_trigger(self) -> None:
        """The five triggers' form, as t opens it, starting on the row Enter was on (it
        opened one trigger's form: five forms of 8 to 10 keys for what one form does)."""
        n = self.query_one(TriggersPane).trigger_n
        if n is not None and role_may(self.ydsi.role, "trigger.answered"):
            self.open_form(TRIGGERS_FORM, focus=trigger_field(n, "answer"))

    @on(RecordTable.RowSelected, "#timeline-table")
    def _read_entry(self) -> None:
        event = self.query_one(TimelinePane).event
        if event is None or self.view is None:
            return
        self.ydsi.open_reader("Entry", event_text(event, self.view.policy, pupil_names(self.view)))

    @on(RecordTable.RowSelected, "#custody-table")
    def _open_device(self) -> None:
        ref = self.query_one(CustodyPane).device_ref
        if ref is not None:
            self.ydsi.open_device(ref, self._after_form)

    @on(RecordTable.RowSelected, "#people-table")
    def _pupil_menu(self) -> None:
        pupil_id = self.query_one(PeoplePane).pupil_id
        if pupil_id is not None:
            self._menu("Record for this young person", PUPIL_FORMS, pupil_id=pupil_id)

    @on(OptionList.OptionSelected, "#steps")
    def _step_chosen(self) -> None:
        self.action_add()

    # ------------------------------------------------------------------
    # palette and drafts
    # ------------------------------------------------------------------
    def palette_entries(self) -> Iterable[PaletteEntry]:
        for kind in INCIDENT_SCHEMAS:
            if kind in _NO_FORM:
                continue
            yield PaletteEntry(
                f"Record: {KIND_LABELS.get(kind, kind)}",
                f"Add a {KIND_LABELS.get(kind, kind).lower()} entry to this incident",
                partial(self.open_form, kind),
            )
        yield PaletteEntry(
            "Record: Device seized",
            "Record a device seized for this incident",
            partial(self.open_form, "device.seized"),
        )
        for n in range(1, 6):
            yield PaletteEntry(
                f"Answer trigger {n}",
                "Answer an immediate-referral trigger yes, no or not yet known, with the basis",
                partial(self.open_form, "trigger.answered", preset={"n": str(n)}),
            )

    def restore(self, draft: Draft) -> None:
        """Open a draft's form again, showing every value it will save.

        The draft gives only the typed values. Hidden ids come from the form
        as it opens now; a correction's target must be an entry of the same
        kind in this incident, and the form says which one (else it is dropped
        with a notice and the draft opens as a new entry).
        """
        from ..words import DROPPED_CORRECTION, correction_notice

        content = draft.content
        kind = str(content.get("form", ""))
        values = content.get("values")
        typed = values if isinstance(values, dict) else {}
        if kind == "note":
            text = typed.get("text", "")
            if content.get("supersedes"):
                self.notify(DROPPED_CORRECTION, severity="warning", timeout=20, markup=False)
            self.ydsi.open_quick_note(
                self.ref, str(text), self._after_form, draft_id=draft.draft_id
            )
            return
        services = self.ydsi.services
        if services is None or self.view is None:
            return
        if kind in (TRIGGERS_FORM, RISKS_FORM):  # forms of several entries: no corrections
            fixed = content.get("fixed")
            pupil = fixed.get("pupil_id") if isinstance(fixed, dict) else None
            preset = {"pupil_id": pupil} if isinstance(pupil, str) else None
            self.open_form(kind, values=typed, draft_id=draft.draft_id, preset=preset)
            return
        if not kind.startswith("device.") and (kind not in INCIDENT_SCHEMAS or kind in _NO_FORM):
            self.notify("This draft is not a form this version knows.", markup=False)
            return
        supersedes = content.get("supersedes")
        target = None
        if isinstance(supersedes, str) and supersedes:
            target = self.view.incident.events_by_id.get(supersedes)
            if target is None or target.kind != kind:
                target = None
                self.notify(DROPPED_CORRECTION, severity="warning", timeout=20, markup=False)
        if target is None:
            self.open_form(kind, values=typed, draft_id=draft.draft_id)
            return
        form = entry_spec(kind, services.policy, self.view, ref=self.ref, supersedes=target.id)
        self.open_form(
            kind,
            values=typed,
            supersedes=target.id,
            fixed=correction_fixed(form, target),
            draft_id=draft.draft_id,
            notice=correction_notice(target),
        )


_READ_REGISTER = "read the pupil register for this incident's young people"


def _record_label(row: RegisterRow) -> Content:
    """One register record in the link dialog: their name(s) as typed, then in words
    their year or birth date and how many incidents they are in (nothing more)."""
    names = " / ".join(row.names) or "(no name)"
    facts = f"{born_words(row.dob, row.year_group)} · {incidents_words(len(row.incidents))}"
    return join([styled(names, "bold"), "\n  ", plain(facts)])


def _any_linked(view: IncidentView) -> bool:
    return any(pupil.register_id for pupil in view.incident.pupils.values())


def _status(view: IncidentView) -> str:
    """The model's status: "referred" only once the referral is recorded as made."""
    return incident_status(view.incident, view.policy)
