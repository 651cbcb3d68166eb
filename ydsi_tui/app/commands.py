"""Every command of the app, defined once.

Each :class:`Command` feeds four places: the screen's ``BINDINGS`` (through
:func:`bindings`), the footer (``show``), the help screen (``help``) and the
command palette (``palette.py``). Every binding carries the
command's ``id`` so that a school can remap a key without touching code
(``YDSI_KEYMAP="incident.note=m;app.lock=f11"``, applied with
``App.set_keymap``).

Keys are chosen to arrive over SSH, in tmux and in PuTTY: letters, digits,
F-keys, Enter and Escape. Keys that terminals swallow (ctrl+enter, ctrl+s,
ctrl+j) are only ever extra aliases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from .palette import PaletteCommands

__all__ = [
    "COMMANDS",
    "Command",
    "PaletteEntry",
    "bindings",
    "commands_for",
    "key_name",
    "palette_provider",
    "parse_keymap",
]


@dataclass(frozen=True)
class Command:
    """One action: its id, key(s), what it is called, and where it applies."""

    id: str
    scope: str
    action: str
    description: str
    help: str
    key: str | None = None
    show: bool = True
    key_display: str | None = None
    priority: bool = False

    def binding(self) -> Binding:
        assert self.key is not None
        return Binding(
            self.key,
            self.action,
            self.description,
            show=self.show,
            key_display=self.key_display,
            priority=self.priority,
            tooltip=self.help,
            id=self.id,
        )


def _c(
    id: str,
    key: str | None,
    action: str,
    description: str,
    help: str,
    *,
    show: bool = True,
    key_display: str | None = None,
    priority: bool = False,
) -> Command:
    scope = id.split(".", 1)[0]
    return Command(id, scope, action, description, help, key, show, key_display, priority)


COMMANDS: tuple[Command, ...] = (
    # -- everywhere ---------------------------------------------------------
    _c("app.help", "f1", "app.help", "Help",
       "List every key of this screen (F1 works everywhere; ? where nothing is typed)",
       key_display="F1", priority=True),
    _c("app.help_alt", "question_mark", "app.help", "Help",
       "List every key of this screen", show=False),
    _c("app.commands", "ctrl+p", "app.command_palette", "Commands",
       "Search every action by name", key_display="^p", priority=True),
    _c("app.lock", "f12", "app.lock", "Lock",
       "Lock now: cover the screen, drop the keys, ask for the passphrase again",
       key_display="F12", priority=True),
    _c("app.quit", "ctrl+q", "app.quit", "Quit",
       "Leave ydsi (asks first if a form holds unsaved text)", key_display="^q",
       priority=True, show=False),
    _c("app.passphrase", None, "app.change_passphrase", "Change my passphrase",
       "Change the passphrase you unlock with (your keys stay the same)"),
    _c("app.theme", None, "app.toggle_ansi_theme", "Colours: 16-colour theme on/off",
       "Switch between the full-colour theme and one using the terminal's own 16 colours"),
    # -- home: the incident list --------------------------------------------
    _c("home.open", "enter", "open_incident", "Open", "Open the highlighted incident"),
    _c("home.new", "n", "new_incident", "New", "Record a new incident"),
    _c("home.filter", "slash,f", "filter", "Filter",
       "Type to narrow the list (reference, status, step, summary)", key_display="/"),
    _c("home.sort", "s", "sort", "Sort",
       "Sort by the next column: opened, reference, status, next step, flags"),
    _c("home.attention", "a", "attention", "Attention",
       "Move to the list of what needs attention today", show=False),
    _c("home.devices", "d", "devices", "Devices", "The device custody log"),
    # Not in the footer, as Inbox and Attention are not: at 80 columns it holds no more.
    # F1 and Ctrl+P list it.
    _c("home.pupils", "p", "pupils", "Pupils",
       "The pupil register: each young person across incidents, their parts and repeat "
       "involvement; Enter opens one's record (the opening is logged)", show=False),
    # Not in the footer: the home's heading says "i" whenever a report waits.
    _c("home.inbox", "i", "inbox", "Inbox",
       "Reports from staff: open one, take it in, add it to an incident, or dismiss it",
       show=False),
    _c("home.refresh", "f5", "refresh", "Reload", "Read the list again from the vault",
       show=False),
    _c("home.reports", "r", "reports", "Reports",
       "Reports and records: inspection check, governors' figures, retention and legal "
       "holds, subject access, transfers, backup, users and keys"),
    _c("home.inspection", None, "tool('inspection')", "Inspection check",
       "Every incident against the inspectorate's questions: what is missing, and where"),
    _c("home.governors", None, "tool('governors')", "Governors' figures",
       "Counts by term for a school year, as a chart: no names, no references"),
    _c("home.retention", None, "tool('retention')", "Retention and legal holds",
       "Records due for review; set or lift a legal hold; keep longer; destroy"),
    _c("home.subject_access", None, "tool('subject_access')", "Subject access",
       "Everything the vault holds about one young person, marked for redaction"),
    _c("home.transfer", None, "tool('transfer')", "Transfers",
       "Send a pupil's records to their new school; record the receipt"),
    _c("home.backup", None, "tool('backup')", "Backup",
       "DSL: write the vault, still encrypted, to one new file, then verify it"),
    _c("home.users", None, "tool('users')", "Users and keys",
       "DSL: invite, endorse, reset and remove users; a removal rotates the keys they held"),
    _c("home.reads", None, "tool('reads')", "Who opened which record",
       "DSL: every read of an incident or pupil record, who and when, from the signed "
       "audit log"),
    # -- an incident --------------------------------------------------------
    _c("incident.back", "escape", "back", "Back", "Back to the list of incidents"),
    _c("incident.guide", "1", "pane('guide')", "Guide",
       "Pane 1: the procedure step by step", show=False),
    _c("incident.timeline", "2", "pane('timeline')", "Timeline",
       "Pane 2: every entry in time order, corrections beside what they correct", show=False),
    _c("incident.triggers", "3", "pane('triggers')", "Triggers",
       "Pane 3: the five immediate-referral triggers", show=False),
    _c("incident.viewing", "4", "pane('viewing')", "Viewing",
       "Pane 4: the imagery viewing log and the rules", show=False),
    _c("incident.custody", "5", "pane('custody')", "Devices",
       "Pane 5: the custody chain of each device", show=False),
    _c("incident.people", "6", "pane('people')", "People",
       "Pane 6: pupils, adults, staff, parents informed", show=False),
    _c("incident.note", "n", "note", "Note",
       "Quick note stamped now (type a time first to stamp it then: '10:30 spoke to mum')"),
    _c("incident.refer", "r", "refer", "Refer now",
       "Record the referral as it is made: the police contact, or the referral to "
       "children's social care"),
    _c("incident.harm", "h", "harm", "Harm concern",
       "A young person has been harmed or is at risk: record the concern (then refer with r)",
       show=False),
    _c("incident.add", "a", "add", "Add", "Add an entry for this pane or step"),
    _c("incident.triggers_all", "t", "triggers_all", "Triggers",
       "Answer the five immediate-referral triggers in one form, with the record's "
       "suggestions beside each", show=False),
    _c("incident.risks", "k", "risks", "Risks",
       "Answer the risk questions for one young person in one form (on pane 6, the "
       "highlighted one)", show=False),
    _c("incident.mark", "m", "mark_step", "Mark step",
       "Mark the highlighted step done, not applicable or for later (with a reason)"),
    _c("incident.correct", "c", "correct", "Correct",
       "Correct the highlighted entry (a new entry; the original stays)"),
    _c("incident.signoff", "o", "sign_off", "Sign off",
       "Headteacher: read and sign the decision not to refer out"),
    _c("incident.refresh", "f5", "refresh", "Reload", "Read this incident again",
       show=False),
    _c("incident.export", "e", "export", "Export",
       "Export this incident's chronology (PDF, Markdown or JSON) to a new file only you "
       "can read", show=False),
    _c("incident.reads", "w", "reads", "Who opened it",
       "DSL: who opened this incident and when, from the signed audit log", show=False),
    _c("incident.child_chronology", "y", "child_chronology", "Young person's chronology",
       "The highlighted young person (People pane, 6) across all their incidents, in the "
       "order things happened, other pupils shown as 'another pupil'", show=False),
    _c("incident.pupil_record", "p", "pupil_record", "Pupil record",
       "The highlighted young person's record in the pupil register (People pane, 6): "
       "every incident they are in and their part (the opening is logged); not yet in "
       "it: link them to a matching record, or a new one", show=False),
    _c("incident.unlink", "u", "unlink_pupil", "Undo link",
       "The highlighted young person was linked to the wrong pupil record: undo the link, "
       "with the reason (the link stays in the timeline)", show=False),
    # -- the device custody log ---------------------------------------------
    _c("devices.open", "enter", "open_device", "Open", "Open the highlighted device's chain"),
    _c("devices.seize", "s", "seize", "Seize", "Record a device seized"),
    _c("devices.back", "escape", "back", "Back", "Back"),
    _c("devices.refresh", "f5", "refresh", "Reload", "Read the log again", show=False),
    # -- one device ---------------------------------------------------------
    _c("device.back", "escape", "back", "Back", "Back to the device list"),
    _c("device.power", "p", "entry('device.powered_off')", "Power off",
       "Record that the device is powered off (and who confirmed it)"),
    _c("device.lock", "k", "entry('device.locked')", "Lock away",
       "Record where the device is locked away"),
    _c("device.access", "x", "entry('device.accessed')", "Access",
       "Record an access to the device: who and why"),
    _c("device.move", "v", "entry('device.moved')", "Move", "Record a move: where to and why"),
    _c("device.handover", "h", "entry('device.handover')", "Hand over",
       "Record the hand-over to the police: officer, id, crime reference"),
    _c("device.return", "t", "entry('device.returned')", "Return",
       "Record the device's return: to whom", show=False),
    _c("device.relink", "i", "entry('device.relinked')", "Re-link",
       "Correct the incident reference the device was logged against", show=False),
    _c("device.note", "n", "entry('device.note')", "Note", "Add a note to the chain",
       show=False),
    # -- the quick note -----------------------------------------------------
    _c("note.save", "f2", "save", "Save", "Save the note (Enter does too)", key_display="F2",
       show=False),
    _c("note.close", "escape", "close", "Close",
       "Close the note; if anything was typed, asks: keep a draft, discard, or go back",
       show=False),
    # -- sign-off -----------------------------------------------------------
    _c("signoff.sign", "f2", "sign", "Sign",
       "Sign the decision shown, with your own key (asks to confirm)", key_display="F2"),
    _c("signoff.decline", "f3", "decline", "Decline",
       "Decline to sign, saying why: the decision stays waiting and the DSL must revise it "
       "or refer", key_display="F3"),
    _c("signoff.back", "escape", "close", "Back", "Back to the incident, nothing signed"),
    # -- reports and records -----------------------------------------------
    # -- a report from a member of staff not in the vault (issue 13) ----------
    _c("disclose.file", "f2", "file", "File",
       "File the report: sealed for the DSL and the safeguarding team; you get a receipt, "
       "not a copy", key_display="F2", priority=True),
    _c("disclose.close", "escape", "close", "Leave",
       "Leave; if anything was typed and not filed, asks first (there are no drafts here: "
       "D, then D again, discards it)"),
    # -- inbox: reports from staff (issue 13) ---------------------------------
    _c("inbox.open", "enter", "open_report", "Open",
       "Open the highlighted report and read it (the opening is logged)"),
    _c("inbox.take", "t", "take_in", "Take in",
       "Open a new incident from the report: the disclosure filled in from it, the report "
       "kept word for word as its first-hand account"),
    _c("inbox.add", "a", "add_to_incident", "Add to incident",
       "Add the report to an incident already open, as its first-hand account"),
    _c("inbox.dismiss", "x", "dismiss_report", "Not ours",
       "Record why the report is not for this procedure (for example: recorded in the "
       "school's main safeguarding system, reference ...)"),
    _c("inbox.back", "escape", "back", "Back", "Back to the incidents"),
    _c("inbox.refresh", "f5", "refresh", "Reload", "Look for new reports again", show=False),
    _c("reports.open", "enter", "open", "Open", "Open the highlighted tool"),
    _c("reports.back", "escape", "back", "Back", "Back to the incidents"),
    _c("reports.inspection", "1", "tool('inspection')", "Inspection check",
       "1: every incident against the inspectorate's questions", show=False),
    _c("reports.governors", "2", "tool('governors')", "Governors' figures",
       "2: counts by term for a school year, no names", show=False),
    _c("reports.retention", "3", "tool('retention')", "Retention and legal holds",
       "3: records due for review, holds, destruction", show=False),
    _c("reports.subject_access", "4", "tool('subject_access')", "Subject access",
       "4: what the vault holds about one young person", show=False),
    _c("reports.transfer", "5", "tool('transfer')", "Transfers",
       "5: send a pupil's records to their new school; receipts", show=False),
    _c("reports.backup", "6", "tool('backup')", "Backup",
       "6: a verified backup of the vault (DSL only)", show=False),
    _c("reports.users", "7", "tool('users')", "Users and keys",
       "7: invite, endorse, reset and remove users (DSL only)", show=False),
    # -- the inspection check -----------------------------------------------
    _c("inspection.open", "enter", "open_item", "Open at step",
       "Open the incident on its Guide pane, at the step that fixes the highlighted item"),
    _c("inspection.back", "escape", "back", "Back", "Back to reports and records"),
    _c("inspection.refresh", "f5", "refresh", "Reload", "Run the check again", show=False),
    # -- governors' figures -------------------------------------------------
    _c("governors.previous", "left", "year(-1)", "Earlier",
       "The school year before", key_display="←"),
    _c("governors.next", "right", "year(1)", "Later", "The school year after",
       key_display="→"),
    _c("governors.year", "y", "choose_year", "Year", "Type a school year, such as 2025-26"),
    _c("governors.export", "e", "export", "Export",
       "Write these figures to a new PDF or Markdown file"),
    _c("governors.back", "escape", "back", "Back", "Back to reports and records"),
    # -- retention and legal holds ------------------------------------------
    _c("retention.open", "enter", "open_incident", "Open", "Open the highlighted incident",
       show=False),
    _c("retention.hold", "h", "hold", "Hold",
       "Set a legal hold on the highlighted incident: it cannot be destroyed until lifted"),
    _c("retention.lift", "l", "lift", "Lift",
       "Lift a legal hold on the highlighted incident, saying why"),
    _c("retention.review", "k", "review", "Keep longer",
       "DSL: keep the highlighted record until a later date, with the reason"),
    _c("retention.destroy", "x", "destroy", "Destroy",
       "DSL: destroy the highlighted record, due for review and not held (type its "
       "reference to confirm)"),
    _c("retention.back", "escape", "back", "Back", "Back to reports and records"),
    _c("retention.refresh", "f5", "refresh", "Reload", "Read the list again", show=False),
    # -- who opened which record (the read audit) ---------------------------
    _c("reads.open", "enter", "open_incident", "Open",
       "Open the highlighted incident (opening it is a read, and is audited)", show=False),
    _c("reads.back", "escape", "back", "Back", "Back to where you were"),
    _c("reads.refresh", "f5", "refresh", "Reload", "Read the audit log again"),
    # -- the pupil register (issue 15) ----------------------------------------
    _c("pupils.open", "enter", "open_record", "Open",
       "Open the highlighted young person's record (the opening is logged)"),
    _c("pupils.filter", "slash,f", "filter", "Filter",
       "Type to narrow the list (names, year, part, repeat)", key_display="/"),
    _c("pupils.back", "escape", "back", "Back",
       "Clear the filter; with none, back to the incidents"),
    _c("pupils.refresh", "f5", "refresh", "Reload", "Read the register again", show=False),
    _c("pupil.open", "enter", "open_incident", "Open",
       "Open the highlighted incident (opening it is a read, and is audited)", show=False),
    _c("pupil.chronology", "y", "child_chronology", "Chronology",
       "This young person across all their incidents, in the order things happened, "
       "other pupils shown as 'another pupil'"),
    _c("pupil.back", "escape", "back", "Back", "Back to where you were"),
    _c("pupil.refresh", "f5", "refresh", "Reload", "Read the record again", show=False),
    # -- one young person's chronology ---------------------------------------
    _c("childchron.export", "e", "export", "Export",
       "Write this chronology to a new PDF, Markdown or JSON file only you can read"),
    _c("childchron.back", "escape", "back", "Back", "Back to where you were"),
    _c("childchron.refresh", "f5", "refresh", "Reload", "Gather it again", show=False),
    # -- subject access -----------------------------------------------------
    _c("sar.gather", "f2", "gather", "Gather",
       "Gather what the vault holds about the young person named", key_display="F2"),
    _c("sar.export", "e", "export", "Export",
       "Write the report, marked for redaction, to a new PDF, Markdown or JSON file"),
    _c("sar.back", "escape", "back", "Back", "Back to reports and records"),
    # -- transfers ----------------------------------------------------------
    _c("transfer.new", "n", "new", "Send",
       "DSL: send a pupil's records to their new school, encrypted to a passphrase"),
    _c("transfer.receipt", "enter", "receipt", "Receipt",
       "DSL: record that the receiving school confirmed the highlighted transfer"),
    _c("transfer.back", "escape", "back", "Back", "Back to reports and records"),
    _c("transfer.refresh", "f5", "refresh", "Reload", "Read the list again", show=False),
    _c("send.send", "f2", "send", "Send",
       "Write the encrypted transfer file and record the transfer", key_display="F2",
       priority=True),
    _c("send.close", "escape", "close", "Back", "Back, nothing sent"),
    _c("passphrase.done", "enter", "done", "Done",
       "Close: the passphrase is not shown again", show=False),
    _c("passphrase.back", "escape", "ask_done", "Close",
       "Close (asks first: the passphrase is not shown again)", show=False),
    # -- backup -------------------------------------------------------------
    _c("backup.write", "f2", "write", "Back up",
       "Write the backup to a new file, then verify it. Restoring is command line only "
       "(ydsi restore FILE --vault DIR), never from inside the vault it replaces",
       key_display="F2", priority=True),
    _c("backup.back", "escape", "back", "Back", "Back to reports and records"),
    # -- users and keys (a DSL's) --------------------------------------------
    _c("users.add", "a", "add", "Add",
       "Invite a member of staff: a one-time enrolment code to hand over in person; they "
       "choose their own passphrase and make their own keys"),
    _c("users.endorse", "e", "endorse", "Endorse",
       "Endorse the waiting enrolment and new-key requests that verify (a DSL's unlock "
       "does it too)"),
    _c("users.reset", "r", "reset", "Reset",
       "Reset the highlighted user's forgotten passphrase, with the recovery code from the "
       "school safe"),
    _c("users.remove", "x", "remove", "Remove",
       "Remove the highlighted user and rotate the keys they held (asks for their login "
       "name and your passphrase)"),
    _c("users.rotate", "t", "rotate", "Rotate keys",
       "New data keys and authority key, every record re-encrypted; finishes a rotation "
       "that stopped part-way (asks for your passphrase)", show=False),
    _c("users.recovery", "c", "reissue", "New recovery code",
       "Re-issue the recovery code from the school safe: a new code shown once, every key "
       "rotated, so the old code opens nothing saved afterwards (asks for your passphrase)",
       show=False),
    _c("users.back", "escape", "back", "Back", "Back to where you were"),
    _c("users.refresh", "f5", "refresh", "Reload", "Read the list again", show=False),
    _c("reset.reset", "f2", "reset", "Reset",
       "Reset the passphrase, once the recovery code and the new passphrase are typed",
       key_display="F2"),
    _c("reset.back", "escape", "back", "Back", "Back, nothing changed (the fields are cleared)"),
    _c("keyconfirm.confirm", "f2", "confirm", "Confirm",
       "Go on, once what is asked is typed", key_display="F2"),
    _c("keyconfirm.back", "escape", "back", "Back", "Back, nothing changed", show=False),
    _c("code.done", "enter", "done", "Done",
       "Close: the enrolment code is not shown again", show=False),
    _c("code.back", "escape", "ask_done", "Close",
       "Close (asks first: the enrolment code is not shown again)", show=False),
    _c("recoverycode.done", "enter", "done", "Done",
       "Close: the recovery code is not shown again", show=False),
    _c("recoverycode.back", "escape", "ask_done", "Close",
       "Close (asks first: the recovery code is not shown again)", show=False),
    # -- my passphrase ------------------------------------------------------
    _c("passwd.change", "f2", "change", "Change", "Change the passphrase to the new one",
       key_display="F2"),
    _c("passwd.back", "escape", "back", "Back", "Back, nothing changed (the fields are cleared)"),
    # -- writing a file out of the vault ------------------------------------
    _c("export.write", "f2", "write", "Write",
       "Write the file (new, readable by you only)", key_display="F2", priority=True),
    _c("export.close", "escape", "close", "Back", "Back; nothing is written", show=False),
    # -- destroying a record ------------------------------------------------
    _c("destroy.confirm", "f2", "confirm", "Destroy",
       "Destroy the record, once its reference is typed", key_display="F2"),
    _c("destroy.back", "escape", "back", "Back", "Back, nothing destroyed", show=False),
    # -- dialogs ------------------------------------------------------------
    _c("fields.done", "f2", "done", "Done", "Done: use what was typed", key_display="F2",
       show=False),
    _c("fields.back", "escape", "back", "Back", "Back, nothing done", show=False),
    _c("dialog.yes", "y", "answer(True)", "Yes", "Answer the question yes", show=False),
    _c("dialog.no", "n", "answer(False)", "No", "Answer the question no", show=False),
    _c("dialog.back", "escape", "back", "Back", "Back, nothing done", show=False),
    _c("dialog.previous", "left", "app.focus_previous", "Previous", "Previous button",
       show=False),
    _c("dialog.next", "right", "app.focus_next", "Next", "Next button", show=False),
    _c("closing.keep", "y,k", "keep", "Keep", "Keep what was typed as an encrypted draft",
       show=False),
    _c("closing.back", "n,escape", "back", "Back", "No: back to the form, nothing lost",
       show=False),
    _c("closing.discard", "d", "discard", "Discard",
       "Discard what was typed (asks once more)", show=False),
    _c("discard.confirm", "d", "confirm", "Discard", "Yes: discard what was typed",
       show=False),
    _c("discard.back", "escape,n,y,enter", "back", "Back", "Back, nothing discarded",
       show=False),
    _c("message.close", "escape,enter,q", "close", "Close", "Close this message", show=False),
    _c("menu.back", "escape", "back", "Back", "Back, nothing chosen", show=False),
    _c("drafts.discard", "d,delete", "discard", "Discard", "Discard the highlighted draft",
       show=False),
    _c("drafts.later", "escape", "later", "Later", "Keep the drafts for later", show=False),
    _c("help.close", "escape,f1,question_mark,q", "close", "Close", "Close the help",
       show=False),
    _c("choices.tick", "space", "tick", "Tick", "Tick or untick the highlighted choice",
       show=False),
    _c("unlock.quit", "escape", "app.quit", "Quit", "Leave without unlocking", show=False),
    _c("unlock.next", "tab", "next_field", "Next field",
       "Move to the next field (just after choosing a user: stay in the passphrase)",
       show=False),
    # -- tables -------------------------------------------------------------
    _c("table.up", "up", "cursor_up", "Up", "Highlight the row above", show=False),
    _c("table.down", "down", "cursor_down", "Down", "Highlight the row below", show=False),
    _c("table.page_up", "pageup", "page_up", "Page up", "A screenful up", show=False),
    _c("table.page_down", "pagedown", "page_down", "Page down", "A screenful down",
       show=False),
    _c("table.first", "home", "first", "First", "The first row", show=False),
    _c("table.last", "end", "last", "Last", "The last row", show=False),
    _c("table.select", "enter", "select", "Open", "Open or answer the highlighted row",
       show=False),
    # -- a form -------------------------------------------------------------
    _c("form.save", "f2,ctrl+s", "save", "Save",
       "Save this entry (F2 works everywhere; ctrl+s where the terminal passes it)",
       key_display="F2", priority=True),
    _c("form.close", "escape", "close", "Close",
       "Close the form; if anything was typed, asks: keep a draft, discard, or go back"),
)  # fmt: skip


#: Textual's names for keys that are not what a person calls them.
_KEY_NAMES = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter"}


def key_name(key: str) -> str:
    """A key as the keyboard says it (``question_mark`` is ``?``, ``ctrl+p`` is ``^p``)."""
    if key in _KEY_NAMES:
        return _KEY_NAMES[key]
    if key.startswith("ctrl+"):
        return "^" + key[5:]
    if key[:1] == "f" and key[1:].isdigit():
        return key.upper()
    return key


def commands_for(*scopes: str) -> list[Command]:
    return [command for command in COMMANDS if command.scope in scopes]


def bindings(*scopes: str) -> list[BindingType]:
    """The bindings of these scopes, for a class's ``BINDINGS``."""
    return [command.binding() for command in commands_for(*scopes) if command.key]


def parse_keymap(text: str) -> dict[str, str]:
    """``"incident.note=m;app.lock=f11"`` -> ``{"incident.note": "m", ...}``.

    Unknown ids are ignored (an old keymap must not stop the app opening).
    """
    known = {command.id for command in COMMANDS}
    keymap: dict[str, str] = {}
    for item in text.replace(",", ";").split(";") if text else []:
        name, _, key = item.partition("=")
        name, key = name.strip(), key.strip()
        if name in known and key:
            keymap[name] = key
    return keymap


# ---------------------------------------------------------------- palette


@dataclass(frozen=True)
class PaletteEntry:
    """A palette line: what it is called, what it does, and how to run it."""

    title: str
    help: str
    callback: Callable[[], object]


class HasPaletteEntries(Protocol):
    def palette_entries(self) -> Iterable[PaletteEntry]: ...


def palette_provider() -> type[PaletteCommands]:
    """The palette's provider class, imported when the palette first opens."""
    from .palette import PaletteCommands

    return PaletteCommands
