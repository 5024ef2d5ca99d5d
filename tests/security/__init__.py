"""Issue 14, hostile input: every test here reproduces an attack and shows it fails."""
