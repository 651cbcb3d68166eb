"""Reports and records: one screen listing the hand-over and records-management tools.

Reached from home by ``r``; each tool opens its own screen (``Enter``, or its
number). The chronology of one incident is exported from the incident itself
(``e``), and restoring a backup stays in the command line: both are said here.
A technician never reaches this screen (their session holds no case key).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ..commands import bindings
from ..text import join, line
from ..widgets.bars import TopBar
from ..widgets.options import Options
from .base import AppScreen

__all__ = ["TOOLS", "ReportsScreen", "Tool"]


@dataclass(frozen=True)
class Tool:
    id: str
    title: str
    who: str
    about: str


TOOLS = (
    Tool("inspection", "Inspection check", "",
         "Every incident against the inspectorate's questions: per incident, what is "
         "missing and the step to fix it. Enter on an item opens the incident at that step."),
    Tool("governors", "Governors' figures", "",
         "A school year's counts as charts: by term, referred or handled in school, by "
         "kind, year group and sex, repeat involvement, median times. No names, no "
         "references, no count under 3; export to PDF or Markdown."),
    Tool("retention", "Retention and legal holds", "",
         "Until when each record is kept (date of birth + 25 years) and what is due for "
         "review. Set or lift a legal hold; a DSL keeps a record longer or destroys it."),
    Tool("subject_access", "Subject access", "",
         "Everything the vault holds about one young person, with other people's names and "
         "staff's notes marked for redaction; export it for review before release."),
    Tool("transfer", "Transfers to another school", "DSL",
         "Send a pupil's records to their new school, encrypted to a passphrase you give "
         "the receiving DSL by phone; record their receipt (chased after 5 school days)."),
    Tool("backup", "Backup of the vault", "DSL",
         "Write the vault, still encrypted and holding no key, to one new file with a "
         "signed manifest, then verify it. Restoring is done from the command line."),
    Tool("users", "Users and keys", "DSL",
         "Invite a member of staff (a one-time code), endorse their keys, reset a forgotten "
         "passphrase with the recovery code, remove someone and rotate the keys they held."),
)  # fmt: skip

_BY_ID = {tool.id: tool for tool in TOOLS}


class ReportsScreen(AppScreen[None]):
    COMMAND_SCOPES = ("reports",)
    BINDINGS = bindings("reports")

    def compose(self) -> ComposeResult:
        yield TopBar("Reports and records")
        tools = Options(
            *[
                Option(
                    line(
                        (f" {n}  ", "bold"),
                        tool.title,
                        (f"  ({tool.who} only)" if tool.who else ""),
                    ),
                    id=tool.id,
                )
                for n, tool in enumerate(TOOLS, start=1)
            ],
            id="tools",
        )
        tools.border_title = "Reports and records (Enter or the number opens one)"
        yield tools
        yield Static("", id="tool-about")
        yield Static(
            join(
                [
                    ("The chronology of one incident: ", "bold"),
                    "open the incident, then e.\n",
                    ("Every file written ", "bold"),
                    "is new, readable by you only, and outside the vault's protection once "
                    "written: keep it on an encrypted device and delete it when done.",
                ]
            ),
            id="tools-note",
        )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        options = self.query_one("#tools", OptionList)
        options.highlighted = 0
        options.focus()
        self._about()

    @on(OptionList.OptionHighlighted, "#tools")
    def _about(self) -> None:
        options = self.query_one("#tools", OptionList)
        index = options.highlighted
        if index is None:
            return
        tool = TOOLS[index]
        who = f" ({tool.who} only)" if tool.who else ""
        self.query_one("#tool-about", Static).update(
            join([(f"{tool.title}{who}\n", "bold"), tool.about])
        )

    @on(OptionList.OptionSelected, "#tools")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.action_tool(event.option.id)

    def action_open(self) -> None:
        index = self.query_one("#tools", OptionList).highlighted
        if index is not None:
            self.action_tool(TOOLS[index].id)

    def action_tool(self, tool_id: str) -> None:
        if tool_id in _BY_ID:
            self.ydsi.open_tool(tool_id)

    def action_back(self) -> None:
        self.dismiss(None)
