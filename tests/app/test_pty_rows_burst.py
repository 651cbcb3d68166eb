"""The forms of several entries, each written whole in ONE write to the real ``ydsi``.

Issue 11, finding 1's done-when, for the two forms that replaced five and
seven: from the home screen, Enter on the incident, ``t`` and the five
triggers' answers (a letter each) and bases, F2; then ``k``, ``b`` for Ben
in the menu of young people, his seven risk answers (one a bracketed paste
of two lines), F2, all in one burst into a pseudo-terminal of 80x24; then
every saved answer is read back through the service, character for
character.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.app.test_pty_burst import ENTER, F2, PASS, TAB, launch, poll, read_vault
from ydsi_tui.app.formspec import triggers_spec
from ydsi_tui.model.events import new_id
from ydsi_tui.service.factory import services_for
from ydsi_tui.service.policies import approve_policy_file
from ydsi_tui.vault.crypto import KdfParams
from ydsi_tui.vault.vault import Vault

pytestmark = pytest.mark.terminal

TRIGGERS = {
    1: ("n", "no", "no adult involved: both are 15 [b]checked[/b]"),
    2: ("n", "no", "no coercion \\ no blackmail described"),
    3: ("u", "unknown", ""),
    4: ("n", "no", "both pupils are 15; nobody under 13"),
    5: ("y", "yes", "Ann says she is frightened to come in"),
}
RISKS = {
    "why_shared": "sent when asked; no pressure described",
    "who_where": "Ben shared it in the Year 10 chat [i]Friday[/i]",
    "adults": "none known",
    "impact": "PASTE",  # replaced by the paste below
    "vulnerabilities": "none known to the school",
    "consent": "yes, explained in his own words",
    "before": "not that the school knows",
}
PASTED = "upset, off school on Monday\nsaw the school nurse on Tuesday"


def _vault(path: Path) -> str:
    """A vault with one incident and two young people (so k asks which)."""
    session, _ = Vault.create(path, user="dsl", passphrase=PASS, full_name="Dana Lead",
                              kdf=KdfParams.new(64 * 1024, 3, 1))  # fmt: skip
    approve_policy_file(session)
    services = services_for(session)
    cases = services.cases
    assert cases is not None
    ref = cases.create("Image shared in a Year 10 group chat", "peer_sharing",
                       disclosed_at=datetime.now(UTC) - timedelta(hours=2))  # fmt: skip
    for name, sex in (("Ann Example", "female"), ("Ben Example", "male")):
        pupil = {"pupil_id": new_id(), "name": name, "year_group": 10, "sex": sex,
                 "parts": ["pictured"], "sen": False}  # fmt: skip
        cases.record(ref, "pupil.added", pupil)
    view = cases.open(ref, log=False)
    form = triggers_spec(services.policy, view, ref=ref)
    rows = [f"t{n}.{part}" for n in TRIGGERS for part in ("answer", "basis")]
    assert [f.name for f in form.fields] == rows, "no reason rows: the burst is these"
    session.close()
    return ref


def test_the_triggers_and_risk_forms_written_in_one_burst_are_saved_exactly(
    tmp_path: Path,
) -> None:
    path = tmp_path / "vault"
    ref = _vault(path)
    term = launch(tmp_path, path)
    try:
        term.wait_for("Type your passphrase")
        term.write(PASS + ENTER)
        term.wait_for("Incidents (1)")
        rows = [letter + TAB + basis for letter, _, basis in TRIGGERS.values()]
        answers = [
            "\x1b[200~" + PASTED + "\x1b[201~" if text == "PASTE" else text
            for text in RISKS.values()
        ]
        burst = (
            ENTER  # the incident
            + "t" + TAB.join(rows) + F2  # the five triggers, one form
            + "k" + "b" + ENTER  # the risk questions: for Ben
            + TAB.join(answers) + F2
        )  # fmt: skip
        term.write(burst)

        def saved() -> bool:
            (incident,) = read_vault(path)
            return len(incident.triggers) == 5 and any(incident.risk_answers.values())

        poll(saved, "the triggers and the risk answers saved", 90, lambda: term.text()[-2000:])
    finally:
        term.close()
    (incident,) = read_vault(path)
    assert incident.meta.ref == ref
    got: dict[int, Any] = {n: (a.answer, a.basis) for n, a in incident.triggers.items()}
    assert got == {n: (answer, basis) for n, (_, answer, basis) in TRIGGERS.items()}
    ben = next(pid for pid, p in incident.pupils.items() if p.name == "Ben Example")
    assert list(incident.risk_answers) == [ben], "for Ben, nobody else"
    typed = {q: e.text("answer") for q, e in incident.risk_answers[ben].items()}
    assert typed == {**RISKS, "impact": PASTED}
    assert len([e for e in incident.effective if e.kind == "trigger.answered"]) == 5
    assert len([e for e in incident.effective if e.kind == "risk.answered"]) == 7
