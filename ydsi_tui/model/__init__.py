"""The procedure and the records: pure Python, no UI, no I/O.

Nothing here imports Textual, Rich, TinyDB or cryptography; a test proves it.
Submodules are not imported here, so that importing one part (say, the time
parser for a form) does not load the rest.

Where things are:

- ``errors``: ValidationError, the one error shown to people.
- ``text``: check_text, refuse_imagery (typed text is validated, never altered).
- ``timeparse``: UK time entry and display; everything stored in UTC.
- ``policy``: the school's procedure loaded from ``policies/*.toml``.
- ``events``, ``schema``: append-only entries and what each kind must contain.
- ``incident``: IncidentMeta and fold(), the reading of a record; the
  records it produces are defined in ``records`` and read by ``folding``.
- ``rules``: everything computed from an incident and its policy (referral,
  trigger 4, decisions and sign-off, viewing rules, steps, gaps, inspection,
  overdue flags, summaries), gathered from the small modules that hold them.
- ``custody``: the device custody chain, readable by IT technicians.
- ``retention``: how long a record is kept (birth + 25 years, or transfer) and
  what blocks its destruction (legal holds); ``schoolyear``: school days,
  terms (Easter computed) and school years.
"""
