"""Record files come in a few sizes: a size tells little about the story inside."""

from __future__ import annotations

from tests.vault.conftest import MakeVault
from ydsi_tui.vault.recordfile import RECORD_SUFFIX, padded_size


def test_buckets_are_few_and_cost_at_most_an_eighth() -> None:
    sizes = range(1, 1 << 21)
    buckets = {padded_size(n) for n in sizes}
    assert all(padded_size(n) >= n for n in range(1, 70_000))
    # 8 multiples of 512 up to 4 KiB, then 8 per doubling up to 2 MiB: 8 + 8 * 9.
    assert len(buckets) == 8 + 8 * 9, len(buckets)
    worst = max((padded_size(n) - n) / n for n in range(4097, 1 << 21, 97))
    assert worst <= 0.125, worst


def test_notes_of_different_lengths_give_files_of_one_size(make_vault: MakeVault) -> None:
    session, _, path = make_vault()
    sizes = set()
    for i, text in enumerate(["short", "a little longer note", "x" * 300]):
        with session.transaction("case", f"PAD-{i}", create=True) as db:
            db.table("timeline").insert({"note": text})
        record_id = session.record_id("case", f"PAD-{i}")
        sizes.add((path / "case" / f"{record_id}{RECORD_SUFFIX}").stat().st_size)
    assert len(sizes) == 1, sizes
