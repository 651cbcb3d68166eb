"""The one error the model raises at people.

Every layer above (forms, the command line, the vault's importer) catches a
single class and shows its `field` beside the input that caused it, so the
message has to be a sentence a DSL can act on, not a traceback.
"""

from __future__ import annotations


class ValidationError(ValueError):
    """Something typed or stored cannot be accepted as it stands.

    `field` is the key of the input at fault (``"dob"``, ``"trigger"``,
    ``"answers.immediate_risk"``) so a form can put the cursor there;
    `message` says what is wrong and what to type instead.
    """

    field: str
    message: str

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str]]:
        # Errors cross thread and process boundaries (workers, the CLI's
        # subprocess checks); the default pickling would pass one argument.
        return (type(self), (self.field, self.message))
