"""ydsi-tui: the Designated Safeguarding Lead's record keeper.

The package root imports nothing heavy: the CLI decides what to load, so that
`ydsi verify` never pays for Textual and the model never drags in the vault.
"""

__version__ = "0.1.0"
