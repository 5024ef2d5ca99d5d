"""User-facing errors: one actionable sentence, never a traceback."""


class UserError(Exception):
    """An error whose message is a complete sentence telling the user what to do. Exit code 2."""

    exit_code = 2
