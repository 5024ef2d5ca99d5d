"""`peilian score` (one reply, or JSON lines in / out) and `peilian eval` (agreement with labeled replies)."""

from __future__ import annotations

import gc
import json
import math
import sys
from typing import TYPE_CHECKING

import click
import orjson

from i18n import LANGUAGES
from i18n.format import bar
from scoring import CRITERIA, SITUATIONS, ScoreContext, default_scorer

from ..errors import UserError
from ..inert import json_inert, json_inert_utf8
from .render import highlight, render_findings

if TYPE_CHECKING:
    from scoring.judge import JudgedScorer


def _open(path: str, binary: bool = False):
    if path == "-":
        return sys.stdin.buffer if binary and hasattr(sys.stdin, "buffer") else sys.stdin
    try:
        return open(path, "rb") if binary else open(path, encoding="utf-8")  # noqa: SIM115
    except OSError as e:
        raise UserError(f"cannot read {path}: {e.strerror}.") from None


def _line_context(obj: dict) -> ScoreContext:
    ctx = obj.get("context") or ()
    lang = obj.get("lang")
    return ScoreContext(
        customer=str(obj.get("customer") or ""),
        facts=(ctx,) if isinstance(ctx, str) else tuple(str(c) for c in ctx),
        lang=lang if lang in LANGUAGES else None,
        kind=str(obj.get("kind")) if obj.get("kind") else None,
    )


class _BadLine(ValueError):
    """A line that can't be scored; `obj` is what it parsed to, if anything (its id goes into the error object)."""

    def __init__(self, message: str, obj=None):
        super().__init__(message)
        self.obj = obj


def _fields(obj):
    """A Finding in a row as its fields (json's `default`: orjson writes a dataclass's fields itself)."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    raise TypeError(f"{type(obj).__name__} is not JSON")


_TO_JSON = json.JSONEncoder(
    ensure_ascii=False, default=_fields
).encode  # json.dumps(ensure_ascii=False), made once


def _row_json(row: dict) -> bytes:
    """One output row as JSON in UTF-8. orjson writes it five times as fast as json (with findings as they are, no
    dicts made first), and compact; json writes a row whose id orjson would write differently (a NaN or Infinity,
    which json reads from a line, becomes null in orjson; a list or object id might hold one) or can't write (an
    integer beyond 64 bits)."""
    rid = row.get("id")
    if rid is None or type(rid) in (str, int, bool) or (type(rid) is float and math.isfinite(rid)):
        try:
            return orjson.dumps(row)
        except orjson.JSONEncodeError:
            pass
    return _TO_JSON(row).encode("utf-8")


def _parse_line(raw) -> dict:
    """One JSON line as an object with a text 'reply'; _BadLine (one sentence) for anything else."""
    checked = False  # known to hold no lone surrogate (and to nest shallowly) without writing it out again
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise _BadLine(f"not UTF-8 text (byte {e.start + 1} of the line)") from None
        # strict UTF-8 text holds no surrogate, so one can only come from a \u escape
        checked = "\\u" not in raw and raw.count("[") + raw.count("{") < 50
    try:
        obj = json.loads(raw)
    except RecursionError:
        raise _BadLine("nested too deep to read: each line is one flat JSON object") from None
    except ValueError as e:
        raise _BadLine(str(e).split("\n")[0]) from None
    if not isinstance(obj, dict):
        raise _BadLine("each line must be a JSON object")
    try:  # a lone surrogate such as "\\ud800" is valid JSON but not text: it can't be scored or written back
        if not checked:
            _TO_JSON(obj).encode("utf-8")
    except UnicodeEncodeError:
        raise _BadLine("contains a lone surrogate (such as \\ud800), which is not text", obj) from None
    except RecursionError:
        raise _BadLine("nested too deep to read: each line is one flat JSON object") from None
    if not isinstance(obj.get("reply"), str):
        raise _BadLine("missing 'reply' (a string)", obj)
    return obj


def score_jsonl(lines, out, scorer, progress=None) -> tuple[int, int]:
    """Score JSON lines (bytes or text); a bad line gets an error object for that line ({"id", "line", "error"})
    and every other line is still scored, in order. Returns (ok, bad)."""
    ok = bad = 0
    # the rows are UTF-8 as orjson writes them: straight to the bytes under a text stream (stdout), not decoded
    # into text to be encoded again (a terminal's stream is line-buffered: its rows stay one line at a time)
    raw = None if getattr(out, "line_buffering", False) else getattr(out, "buffer", None)
    if raw is not None:
        out.flush()  # (anything written as text before goes first)
    for number, line in enumerate(lines, 1):
        if progress:
            progress(1)
        if not line.strip():
            continue
        obj = None
        try:
            obj = _parse_line(line)
            result = scorer.score(obj["reply"], _line_context(obj))
            row = {
                "id": obj.get("id"),
                "scores": result.scores,
                "overall": result.overall,
                "findings": result.findings,  # (written as their fields: _row_json)
                "scorer_version": result.scorer_version,
            }
        except _BadLine as e:
            row = _error_row(e.obj, number, str(e))
        except (ValueError, TypeError) as e:  # the scorer refused this reply: its own words
            row = _error_row(obj, number, str(e))
        except Exception as e:  # noqa: BLE001 - one bad line must not lose the lines after it
            row = _error_row(obj, number, f"could not be scored ({type(e).__name__})")
        if "error" in row:
            bad += 1
        else:
            ok += 1
        doc = json_inert_utf8(_row_json(row))
        if raw is not None:
            raw.write(doc + b"\n")
        else:
            out.write(doc.decode("utf-8") + "\n")
    return ok, bad


def _error_row(obj, number: int, why: str) -> dict:
    """The error object for line `number` (with the id of what it parsed to, if that was an object)."""
    return {
        "id": obj.get("id") if isinstance(obj, dict) else None,
        "line": number,
        "error": why.split("\n")[0],
    }


def judge_options(f):
    f = click.option(
        "--judge-weight",
        type=float,
        default=0.3,
        show_default=True,
        help="The judge's share of each blended score.",
    )(f)
    f = click.option(
        "--judge-url",
        default=None,
        metavar="URL",
        help="Ask an OpenAI-compatible server instead (MODEL is the name it serves).",
    )(f)
    f = click.option(
        "--judge",
        "judge",
        default=None,
        metavar="MODEL",
        help="Blend in an LLM's rubric verdict: a model preset, a .gguf path, or a served model.",
    )(f)
    return f


def _judged(judge, judge_url, judge_weight) -> JudgedScorer | None:
    """The rule scorer blended with a judge model's verdicts, if --judge or --judge-url asked for one. The commands
    keep it as what it is (the judge, with its verdicts and failures) instead of asking a scorer what it can do."""
    if not judge and not judge_url:
        return None
    from ..customers import make_judge

    return make_judge(default_scorer(), judge or "", judge_url, judge_weight)


@click.command("score")
@click.argument("reply", required=False)
@click.option("--customer", default="", help="The customer's last message.")
@click.option("--context", "context", default="", help="The scenario's facts (what the agent can promise).")
@click.option("--lang", type=click.Choice(LANGUAGES), default=None)
@click.option(
    "--kind",
    type=click.Choice(SITUATIONS),
    default=None,
    help="The situation (default complaint): the scorer fits its kind.",
)
@click.option(
    "--jsonl", "jsonl", metavar="FILE|-", help="Score JSON lines (reply, id, customer, context, lang, kind)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@judge_options
def score_command(reply, customer, context, lang, kind, jsonl, as_json, judge, judge_url, judge_weight):
    """Score one REPLY (certainty, simplicity, warmth) and show the words that cost points.

    With --jsonl, one JSON object out per line in, in order; a line that can't be scored (not UTF-8, not JSON, no
    'reply') gets {"line": N, "error": "..."} and the rest go on. Exit 0 when every line was scored, 1 when some
    had errors, 2 when the file can't be read."""
    judged = _judged(judge, judge_url, judge_weight)
    scorer = judged if judged is not None else default_scorer()
    if jsonl:
        # the scorer's tables and patterns live as long as the process: moved out of the collector's way, a full
        # collection while scoring walks the replies' objects only
        gc.freeze()
        fh = _open(jsonl, binary=True)
        lines = fh if jsonl == "-" else fh.readlines()
        show = sys.stderr.isatty() and jsonl != "-" and len(lines) > 200
        if show:
            with click.progressbar(length=len(lines), label="scoring", file=sys.stderr) as bar_:
                ok, bad = score_jsonl(lines, sys.stdout, scorer, bar_.update)
        else:
            ok, bad = score_jsonl(lines, sys.stdout, scorer)
        if bad:
            click.echo(
                f"peilian: {bad} line(s) could not be scored (see their error objects); {ok} scored.",
                err=True,
            )
        _judge_failures(judged)
        if judged is None:  # (a judge model may hold a server or a connection: its exit closes them)
            from . import QUICK_EXIT

            # everything is written: the process may end without tearing the scorer down
            QUICK_EXIT.append(True)
        return 1 if bad else 0
    if reply is None:
        raise UserError('give a reply to score, e.g. peilian score "我现在帮您申请退款", or --jsonl FILE.')
    ctx = ScoreContext(customer=customer, facts=(context,) if context else (), lang=lang, kind=kind)
    result = scorer.score(reply, ctx)
    verdict = judged.verdict(reply, ctx) if judged is not None else None
    if as_json:
        doc = {
            "scores": result.scores,
            "overall": result.overall,
            "findings": [f.to_dict() for f in result.findings],
        }
        if judged is not None:
            doc["judge"] = {
                "model": judged.model.name,
                "verdict": verdict,
                "weight": judged.weight,
                "error": judged.last_error or None,
            }
        click.echo(json_inert(json.dumps(doc, ensure_ascii=False, indent=2)))
        return 0
    if judged is not None and verdict:
        click.echo(
            f"  judge {judged.model.name}: "
            + "   ".join(f"{c} {verdict[c]}/4" for c in CRITERIA)
            + f"   (blended at {judged.weight:g})"
        )
    _judge_failures(judged)
    click.echo(
        "  "
        + "   ".join(f"{c} {result.scores[c]:3d} {bar(result.scores[c])}" for c in CRITERIA)
        + f"   overall {result.overall}"
    )
    if any(f.effect < 0 for f in result.findings):
        click.echo("  " + highlight(reply, result.findings))
    for line in render_findings(reply, result.findings):
        click.echo(line)
    return 0


def _judge_failures(judged: JudgedScorer | None) -> None:
    if judged is not None and judged.failures:
        click.echo(
            f"peilian: the judge model gave no verdict for {judged.failures} repl(ies) "
            f"({judged.last_error}); those keep their rule scores.",
            err=True,
        )


@click.command("eval")
@click.argument("paths", metavar="FILE.jsonl|DIR...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option(
    "--scorer",
    "which",
    type=click.Choice(["fitted", "rules", "legacy", "placeholder"]),
    default="fitted",
    help="Which scorer to measure: fitted (the default: detectors with fitted weights; 'rules' is the same), "
    "legacy (the hand-set rule effects), placeholder (the naive keyword baseline).",
)
@click.option(
    "--cv",
    is_flag=True,
    help="Grouped 5-fold cross-validation on FILE: fit on the other customers, "
    "score each customer's replies unseen (the labeled training data's honest figure).",
)
@click.option("--limit", type=int, default=None, help="Only the first N labeled replies (a quick look).")
@judge_options
def eval_command(paths, as_json, which, limit, cv, judge, judge_url, judge_weight):
    """Agreement with labeled replies: within-group pairwise accuracy and Spearman per criterion.

    FILE.jsonl or a folder of them (data/labeled); with --cv, grouped cross-validation of the fitted scorer."""
    from pathlib import Path

    from scoring.evaluate import evaluate

    files = []
    for p in paths:
        files.extend(sorted(Path(p).glob("*.jsonl")) if Path(p).is_dir() else [Path(p)])
    rows = []
    for path in files:
        fh = _open(str(path), binary=True)
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = _parse_line(line)
                if not isinstance(row.get("labels"), dict):
                    raise ValueError("needs 'reply' and 'labels'")
            except ValueError as e:
                raise UserError(f"{path}:{number}: not a labeled reply ({str(e).splitlines()[0]}).") from None
            rows.append(row)
    if not rows:
        raise UserError(f"{' '.join(paths)} has no labeled replies.")
    rows = rows[:limit] if limit else rows
    judged = _judged(judge, judge_url, judge_weight)
    if judged is not None:
        return _eval_judge(rows, as_json, judged)
    if cv:
        from scoring.fit import cross_validate

        result = {"n": len(rows), "criteria": cross_validate(rows)}
        version = "fitted, grouped 5-fold cross-validation"
    else:
        if which == "placeholder":
            from scoring.placeholder import PlaceholderScorer

            scorer = PlaceholderScorer()
        elif which == "legacy":
            from scoring.ruleset import ruleset
            from scoring.scorer import RuleScorer

            scorer = RuleScorer(ruleset())
        else:
            scorer = default_scorer()
        result = evaluate(rows, scorer)
        version = scorer.version
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return 0
    click.echo(f"{result['n']} replies, scorer {version}")
    click.echo(f"  {'criterion':11} {'pairwise':>8} {'pairs':>6} {'spearman':>8}")
    for c, m in result["criteria"].items():
        click.echo(f"  {c:11} {m['pairwise']:8.3f} {m['pairs']:6d} {m['spearman']:8.3f}")
    return 0


def _eval_judge(rows, as_json, judged: JudgedScorer) -> int:
    """Rules, the judge alone and the blend, side by side on the same labeled replies."""
    import time

    from scoring.evaluate import evaluate
    from scoring.judge import VerdictOnly

    started = time.perf_counter()
    with (
        click.progressbar(rows, label="asking the judge", file=sys.stderr)
        if sys.stderr.isatty()
        else _nullbar(rows) as it
    ):
        for row in it:  # one model call per reply; the three evaluations below reuse the cached verdicts
            from scoring.evaluate import context_for

            judged.verdict(row["reply"], context_for(row))
    seconds = time.perf_counter() - started
    results = {
        "rules": evaluate(rows, judged.rules),
        "judge": evaluate(rows, VerdictOnly(judged)),
        "blend": evaluate(rows, judged),
    }
    if as_json:
        click.echo(
            json.dumps(
                {
                    **results,
                    "judge_model": judged.model.name,
                    "weight": judged.weight,
                    "failures": judged.failures,
                    "seconds_per_reply": seconds / len(rows),
                },
                indent=2,
            )
        )
        return 0
    click.echo(
        f"{len(rows)} replies; judge {judged.model.name}, blended at {judged.weight:g}; "
        f"{seconds / len(rows):.2f} s per reply; no verdict for {judged.failures}"
    )
    click.echo(f"  {'criterion':11} {'':6} {'pairwise':>8} {'spearman':>8}")
    for c in CRITERIA:
        for name, res in results.items():
            m = res["criteria"][c]
            click.echo(
                f"  {c if name == 'rules' else '':11} {name:6} {m['pairwise']:8.3f} {m['spearman']:8.3f}"
            )
    _judge_failures(judged)
    return 0


class _nullbar:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False


COMMANDS = [score_command, eval_command]
