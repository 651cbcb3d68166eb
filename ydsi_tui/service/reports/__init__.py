"""Reports and hand-overs, as plain data: chronology, inspection, governors' figures,
retention, subject access.

Each report module builds a plain dataclass from the service layer (every read
of an incident's content through :meth:`CaseBook.open`, which audits it), a
``*_json`` function giving its documented JSON shape, and a ``*_document``
function giving a :class:`~.document.Document`. The renderers are separate and
small: :mod:`.markdown` and :mod:`.pdf` turn any Document into a file's bytes,
so every report reads the same in every format, and every page of every
rendering is marked OFFICIAL-SENSITIVE.
"""
