"""YAML syntax errors in a trainer's words: where the slip is and how to fix it, as one sentence.

PyYAML reports what its parser expected (`expected <block end>, but found '<block mapping start>'`), often a line
after the slip itself. People writing scenarios, lexicons and rules by hand make a few slips again and again: a tab,
a full-width '：' from a Chinese keyboard, an unquoted ': ' inside a text, a line indented one step too far or too
little, a quote or a bracket never closed. `explain()` looks at the text around the error for those and says what
to change; anything else keeps the parser's words, with the place.

Lives in `scoring` next to `safe_yaml`: every loader (scenarios, lexicons, rules) can import it.
"""

from __future__ import annotations

import re

import yaml

# a mapping key in the formats (ASCII) followed by a full-width colon: `difficulty：3`, `  - id：push`
_FULLWIDTH_KEY = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z_][A-Za-z0-9_-]*)\s*(：)")
_KEY = re.compile(r"^(\s*(?:-\s+)?)([^\s#'\"{\[][^:#]*?):(\s|$)")
_FULLWIDTH_PUNCT = {
    "：": ":",
    "，": ",",
    "［": "[",
    "］": "]",
    "｛": "{",
    "｝": "}",
    "－": "-",
    "＃": "#",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content_lines(lines: list[str], upto: int) -> list[tuple[int, str]]:
    """(0-based index, line) of the non-blank, non-comment lines before `upto` (0-based), nearest first."""
    out = []
    for i in range(min(upto, len(lines)) - 1, -1, -1):
        s = lines[i].strip()
        if s and not s.startswith("#"):
            out.append((i, lines[i]))
    return out


def _fullwidth_colon(lines: list[str], first: int, last: int) -> tuple[int, int, str] | None:
    for i in range(max(0, first), min(last + 1, len(lines))):
        m = _FULLWIDTH_KEY.match(lines[i])
        if m:
            return (
                i + 1,
                m.start(3) + 1,
                (
                    f"full-width '：' after '{m.group(2)}'; use ':' (the half-width colon, "
                    "followed by a space)"
                ),
            )
    return None


def _unclosed_quote(lines: list[str], upto: int) -> tuple[int, int, str] | None:
    """A value that opens a quote and doesn't close it on its own line (before line `upto`, 0-based)."""
    for i in range(0, min(upto + 1, len(lines))):
        line = lines[i]
        m = re.match(r"^\s*(?:-\s+)?(?:[^\s#'\"][^:#]*?:\s+)?(\"|')", line)
        if not m:
            continue
        q, start = m.group(1), m.end(1)
        rest = line[start:]
        if q == '"':
            closed = re.search(r'(?<!\\)(?:\\\\)*"', rest)
        else:
            closed = re.search(r"'(?!')", rest.replace("''", "__"))
        if not closed:
            return (
                i + 1,
                start,
                (
                    f"the {q} opened here is not closed on this line: add the closing {q} at the end of "
                    "the text (a text can't run on into the next lines)"
                ),
            )
    return None


def explain(error: yaml.YAMLError, text: str) -> tuple[int, int, str]:
    """(line, col, one sentence) for a YAML syntax error in `text`, 1-based, in the words of someone fixing it."""
    lines = text.splitlines()
    pm = getattr(error, "problem_mark", None)
    cm = getattr(error, "context_mark", None)
    problem = (getattr(error, "problem", None) or "").strip()
    context = (getattr(error, "context", None) or "").strip()
    if pm is None:
        return 1, 1, f"not valid YAML ({problem or error})"
    line, col = pm.line + 1, pm.column + 1
    here = lines[pm.line] if pm.line < len(lines) else ""
    first = min(cm.line if cm is not None else pm.line, pm.line - 1)

    found = _fullwidth_colon(lines, first, pm.line)
    if found:
        return found
    if "'\\t'" in problem:
        return line, col, "a tab character: YAML indents with spaces only; replace the tab with spaces"
    ch = re.search(r"found character '(.)' that cannot start any token", problem)
    if ch:
        c = ch.group(1)
        plain = _FULLWIDTH_PUNCT.get(c)
        if plain:
            return line, col, f"full-width '{c}'; use '{plain}'"
        return line, col, f"a text can't start with '{c}' in YAML: put the whole text in quotes (\"{c}...\")"
    if problem.startswith("found undefined alias"):
        return line, col, "a text can't start with '*' in YAML: put the whole text in quotes (\"*...\")"
    if "quoted scalar" in context and "end of stream" in problem and cm is not None:
        return (
            cm.line + 1,
            cm.column + 1,
            "this quote is never closed: add the closing quote at the end of the text",
        )
    if "flow sequence" in context or "flow mapping" in context:
        opener, closer = ("[", "]") if "sequence" in context else ("{", "}")
        start = lines[cm.line] if cm is not None and cm.line < len(lines) else here
        quotes = [m.start() for m in re.finditer(r'(?<!\\)"', start)]
        if len(quotes) % 2:  # `["Where is my parcel?]`: the quote, not the bracket
            return (
                (cm.line + 1 if cm is not None else line),
                quotes[-1] + 1,
                ('the " opened here is not closed on this line: add the closing " at the end of the text'),
            )
        at = (cm.line + 1, cm.column + 1) if cm is not None else (line, col)
        return (
            *at,
            f"this '{opener}' is not closed with '{closer}' on its line: close it, and put any item that "
            "holds ':' or ',' in quotes",
        )
    if problem == "mapping values are not allowed here":
        before = here[: pm.column]
        key = _KEY.match(here)
        if key and key.end(2) < pm.column:  # a second ': ' on a line that already has its key
            name, value = key.group(2).strip(), here[key.end() :].strip()
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
                return (
                    line,
                    col,
                    (
                        f"the text of '{name}' holds ': ', which YAML reads as another key: put the whole "
                        f'text in quotes, e.g. {name}: "{value}"'
                    ),
                )
            whole = here.strip()[2:].strip() if here.strip().startswith("- ") else here.strip()
            return (
                line,
                col,
                (
                    f"this text holds ': ', which YAML reads as a key: put the whole text in quotes, e.g. "
                    f'"{whole}"'
                ),
            )
        above = _content_lines(lines, pm.line)
        if above and _indent(here) > _indent(above[0][1]) and not above[0][1].rstrip().endswith(":"):
            what = (before.strip(" -") or here.strip()).split(":")[0]
            return (
                line,
                _indent(here) + 1,
                (
                    f"'{what}' is indented more than '{above[0][1].strip()[:30]}' on the "
                    f"line above: if it belongs with it, indent it the same "
                    f"({_indent(above[0][1])} spaces)"
                ),
            )
        found = _unclosed_quote(lines, pm.line)
        if found:
            return found
        return (
            line,
            col,
            (
                "a ': ' YAML can't read here: put a text that holds ': ' in quotes, or check the "
                "indentation of this line"
            ),
        )
    if problem.startswith("expected <block end>") or problem.startswith("could not find expected ':'"):
        found = _unclosed_quote(lines, pm.line)
        if found:
            return found
        if "<scalar>" in problem and re.search(r"[\"']\S", here[max(0, pm.column - 1) : pm.column + 1]):
            return (
                line,
                col,
                (
                    "the text goes on after its closing quote: put the whole text in one pair of quotes "
                    '(write an inner " as \\" or use single quotes outside)'
                ),
            )
        if "could not find expected ':'" in problem:
            start = cm.line if cm is not None else pm.line
            bad = lines[start] if start < len(lines) else here
            return (
                start + 1,
                _indent(bad) + 1,
                (
                    f"'{bad.strip()[:30]}' has no ': ' after its key: write "
                    "'key: value' (a half-width colon and a space)"
                ),
            )
        levels = sorted({_indent(x) for _i, x in _content_lines(lines, pm.line)})
        me = _indent(here)
        if "block mapping start" in problem or "block sequence start" in problem or me not in levels:
            what = here.strip()[:30]
            return (
                line,
                me + 1,
                (
                    f"'{what}' is indented {me} space{'s' if me != 1 else ''}, which lines up with "
                    f"nothing above (the lines above start at {', '.join(map(str, levels))}): indent "
                    "it like the keys or '- ' items it belongs with"
                ),
            )
        return (
            line,
            col,
            (
                "something is left over on this line: check the indentation, and put text with "
                "':' or '#' in quotes"
            ),
        )
    if problem:
        return line, col, f"YAML syntax error: {problem}; check the indentation and the quotes on this line"
    return line, col, f"YAML syntax error: {error}"


def structure_hint(text: str) -> str | None:
    """For a file that parsed but isn't a mapping: a likely reason (`id:x` with no space after the colon)."""
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):(\S)", s)
            if m:
                return f"put a space after the ':' of '{m.group(1)}' ({m.group(1)}: {s[m.end(1) + 1 :][:20]})"
            return None
    return None


__all__ = ["explain", "structure_hint"]
