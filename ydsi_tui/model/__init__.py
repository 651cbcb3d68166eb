"""The procedure and the records: pure Python, no UI, no I/O.

Nothing here imports Textual, Rich, TinyDB or cryptography; a test proves it.
"""
