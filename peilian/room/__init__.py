"""The training room: `peilian serve`'s web server (textual-serve behind a sign-in, an Origin check and a cap)."""
