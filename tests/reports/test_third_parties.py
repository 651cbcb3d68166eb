"""Other young people and their families in a transfer or a subject access about one pupil.

The audit (finding 9): a transfer about Ava carried Ben's date of birth and
"parents not informed: father violent"; Ben's own subject-access report did
not mark that entry for review against the serious-harm exemption.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import pypdf
import pytest

from ydsi_tui.model.events import Event, new_id
from ydsi_tui.model.folding import fold
from ydsi_tui.model.incident import new_incident_meta
from ydsi_tui.model.policy import Policy, load_policy
from ydsi_tui.model.schema import INCIDENT_SCHEMAS, SCHEMAS, policy_ids
from ydsi_tui.service.reports.subject_access import subject_access, subject_access_json
from ydsi_tui.service.reports.third_parties import ENTRY_RULES, transfer_events
from ydsi_tui.service.transfers import TransferDesk
from ydsi_tui.vault.transfer import open_transfer

from .conftest import NOW, World, add_pupil

PASSPHRASE = "a passphrase read out over the phone"
BEN_DOB = "2010-10-10"
#: How an entry marked for the DSL's review against the serious-harm exemption starts.
HARM_REVIEW = "review against the serious-harm exemption"


@pytest.fixture
def ava_and_ben(world: World) -> tuple[str, str, str]:
    """The audit's incident: Ava pictured, Ben received it; Ben's parents not told."""
    dsl = world.cases()
    ref = dsl.create("Ava's image forwarded by Ben Stays")
    dsl.record(ref, "disclosure", {
        "discloser_type": "friend", "discloser_name": "Cara Friend",
        "to_whom": "Mr Hugh, form tutor", "how": "in person",
        "disclosed_at": NOW.isoformat(),
    })  # fmt: skip
    ava = add_pupil(dsl, ref, "Ava Leaver", dob="2011-01-02")
    ben = add_pupil(dsl, ref, "Ben Stays", parts=["received"], dob=BEN_DOB, sex="male",
                    vulnerabilities="known to CAMHS")  # fmt: skip
    dsl.record(ref, "parents.not_informed", {
        "pupil_id": ben, "reason": "father violent", "agreed_with": "csc",
    })  # fmt: skip
    dsl.record(ref, "parents.informed", {
        "pupil_id": ava, "who": "Mrs Leaver", "how": "phone", "informed_by": "Dana Lead",
    })  # fmt: skip
    dsl.record(ref, "conversation", {
        "pupil_id": ben, "by_whom": "Dana Lead", "note": "Ben scared of his dad",
    })  # fmt: skip
    dsl.note(ref, "Ava says BEN sent it on; Cara Friend saw it; ben's mum phoned")
    dsl.record(ref, "trigger.answered", {"n": 1, "answer": "no", "basis": "Ben Stays is 16"})
    return ref, ava, ben


def test_a_transfer_about_ava_carries_nothing_of_ben_or_his_family(
    world: World, ava_and_ben: tuple[str, str, str], tmp_path: Path
) -> None:
    out = tmp_path / "ava.ydsi-transfer"
    services = world.services()
    assert services.cases is not None
    TransferDesk(services.cases, services.devices).send(
        "Ava Leaver", out, PASSPHRASE, to_school="Ash Grove Academy"
    )
    contents = json.loads(open_transfer(out.read_bytes(), PASSPHRASE).plaintext)
    pdf = base64.b64decode(contents.pop("pdf_base64"))
    pages = " ".join(p.extract_text() or "" for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for where, text in (("json and markdown", json.dumps(contents)), ("pdf", pages)):
        lowered = text.lower()
        for leak in ("ben", "stays", BEN_DOB, "10/10/2010", "father violent", "scared",
                     "camhs", "cara"):  # fmt: skip
            assert not re.search(rf"\b{re.escape(leak)}\b", lowered), (
                f"{leak!r} in the transfer's {where}"
            )
        assert "another pupil" in lowered, where
    # Ava's own record goes whole: her details, her parents, the decision's basis.
    (incident,) = contents["incidents"]
    pupils = {p["name"]: p for p in incident["incident"]["pupils"]}
    assert set(pupils) == {"Ava Leaver", "another pupil"}
    assert pupils["another pupil"]["parts"] == ["received"]
    assert pupils["another pupil"].get("dob") in (None, "")
    assert "Mrs Leaver" in contents["markdown"]
    assert "entries about them or their families" in contents["markdown"]


def test_bens_subject_access_marks_his_parents_not_told_for_serious_harm_review(
    world: World, ava_and_ben: tuple[str, str, str]
) -> None:
    data = subject_access_json(subject_access(world.cases(), world.devices(), "Ben Stays"))
    (incident,) = data["incidents"]
    by_kind = {e["kind"]: e for e in incident["entries"]}
    not_told = by_kind["parents.not_informed"]
    assert "father violent" in not_told["text"]  # his own record: kept, for the DSL to weigh
    assert not_told["redact"].startswith(HARM_REVIEW)
    assert by_kind["conversation"]["redact"].startswith(HARM_REVIEW)
    # Ava's entries are withheld; her name and her parent's appear nowhere.
    assert by_kind["parents.informed"]["redact"] == "about another pupil"
    text = json.dumps(data).lower()
    assert "mrs leaver" not in text and "2011-01-02" not in text
    assert "ava" not in text.replace("ava's image", "")  # the summary's "Ava's" is replaced
    assert "another pupil" in text


# ------------------------------------------------------------------ every kind of entry

POLICY: Policy = load_policy()
NAME = "Ben Stays"


def _sample(kind: str, about: str, policy: Policy, own: str) -> dict[str, Any]:
    """A payload of ``kind`` naming Ben in every free-text field, about ``about``.

    ``own``: the name of the pupil it is about (a pupil's own details keep it).
    """
    data: dict[str, Any] = {}
    rule = ENTRY_RULES[kind]
    for name, spec in SCHEMAS[kind].items():
        t = spec.type
        if name == rule.about:
            data[name] = about
        elif kind.startswith("pupil.") and name in ("name", "dob"):
            data[name] = own if name == "name" else ("2011-01-02" if own != NAME else BEN_DOB)
        elif t in ("text", "name"):
            data[name] = f"{NAME} said so; BEN's father ({name})"
        elif t in ("names", "refs"):
            data[name] = [f"{NAME} ({name})"]
        elif t == "answers":
            ids = policy_ids(policy, spec.vocab or "")
            data[name] = {ids[0]: f"ben stays upset ({name})"} if ids else {}
        elif t == "vocab":
            data[name] = policy_ids(policy, spec.vocab or "")[0]
        elif t == "vocabs":
            data[name] = list(policy_ids(policy, spec.vocab or "")[:1])
        elif t == "choice":
            data[name] = spec.choices[0]
        elif t == "choices":
            data[name] = [spec.choices[0]]
        elif t == "bool":
            data[name] = True
        elif t == "int":
            data[name] = spec.low or 1
        elif t == "datetime":
            data[name] = NOW.isoformat()
        elif t == "date":
            data[name] = "2027-01-01"
        elif t == "event_id":
            data[name] = new_id()
        elif t == "sha256":
            data[name] = "0" * 64
        elif t == "base64":
            data[name] = "AAAA"
        else:  # id, label
            data[name] = "X1"
    return data


def _event(kind: str, data: dict[str, Any]) -> Event:
    return Event(new_id(), kind, NOW, "+00:00", NOW, "Dana Lead", "dsl", data)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_kind_of_entry_has_a_decision_and_keeps_another_pupil_out(kind: str) -> None:
    assert kind in ENTRY_RULES, f"{kind}: say what a transfer or subject access does with it"
    rule = ENTRY_RULES[kind]
    if rule.about is not None:
        assert rule.about in SCHEMAS[kind], f"{kind}: no field {rule.about!r}"
    if kind not in INCIDENT_SCHEMAS:
        return  # device custody: devices of another pupil are left out whole (see transfers)
    ava_id, ben_id = new_id(), new_id()
    added = {"sex": "female", "parts": ["pictured"], "sen": False}
    ava = _event("pupil.added", {"pupil_id": ava_id, "name": "Ava Leaver", **added})
    ben = _event("pupil.added", {"pupil_id": ben_id, "name": NAME, "dob": BEN_DOB, **added})
    meta = new_incident_meta("2026-001", POLICY, now=NOW, by="Dana Lead")
    for about, own in ((ben_id, NAME), (ava_id, "Ava Leaver")):  # Ava's naming Ben too
        entry = _event(kind, _sample(kind, about, POLICY, own))
        incident = fold(meta, [ava, ben, entry])
        sent, _ = transfer_events(incident, incident.pupils[ava_id])
        for event in sent:
            shown = json.dumps(event.to_doc()["data"]).lower()
            assert "ben" not in shown and "stays" not in shown and BEN_DOB not in shown, (
                kind,
                shown,
            )
        # Ben's own subject access: an entry whose release could harm is marked for review.
        from ydsi_tui.service.reports.subject_access import _Marker

        marked = _Marker(incident, incident.pupils[ben_id]).entry_mark(entry)
        if about == ben_id and rule.harm:
            assert marked.startswith(HARM_REVIEW), (kind, marked)
        if about == ava_id and rule.about is not None:
            assert marked == "about another pupil", (kind, marked)
