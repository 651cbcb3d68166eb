"""The service layer: the procedure (model) applied to records (vault).

The CLI and the app call these classes and nothing below them: they never
open a file, hold a key or fold events themselves.
"""
