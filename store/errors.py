"""The store's one error type, in a module of its own so that the CLI can catch it without importing sqlite-utils
(`peilian` opens the app before the store is needed)."""


class StoreError(Exception):
    """A problem with the progress database, as one actionable sentence."""

    exit_code = 2
