"""Helpers shared by the vault tests, the crash children and the soak script."""
