"""The vault: encryption, TinyDB storage, the audit log and locking.

Nothing here imports Textual or Rich. The user interface reaches records only
through :class:`ydsi_tui.vault.session.Session` (via the service layer), never
through files or keys.
"""
