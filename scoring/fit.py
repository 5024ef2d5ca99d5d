"""Fit the scorer's weights on labeled replies (a build-time step; the scorer itself never imports this).

    python -m scoring.fit                     # fit on data/labeled/*.jsonl, write scoring/weights.yaml, print CV
    python -m scoring.fit --check             # grouped cross-validation only, nothing written

Each criterion is a bounded ridge regression of the labels (0-4, the mean of two labelers) on the reply's feature
values: `features.yaml` holds each weight to a direction ("+" may only raise the score, "-" only lower it), so
every finding reads the way its message says. Cross-validation leaves whole customers out (every reply to one
customer is in the same fold), which is how a reply to a situation the scorer has never seen is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

from .api import CRITERIA, kind_of
from .evaluate import context_for, pairwise, spearman
from .features import feature_key, specs
from .promises import CHECKS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "labeled"
# ridge penalty per criterion, chosen by grouped cross-validation (`--lambdas` compares values for all three); 16
# and 32 gained 0.002 pairwise but scored the scenarios' model answers lower (more shrinkage, flatter scores)
LAMBDA: dict[str, float] = {"certainty": 8.0, "simplicity": 8.0, "warmth": 8.0}
Lambda = float | dict[str, float]


def _lam(lam: Lambda, c: str) -> float:
    return lam[c] if isinstance(lam, dict) else lam


def _lam_text(lam: Lambda) -> str:
    return "/".join(f"{_lam(lam, c):g}" for c in CRITERIA)


def read_rows(paths: list[Path]) -> list[dict]:
    rows: list[dict] = []
    for p in paths:
        with open(p, encoding="utf-8") as fh:
            rows.extend(json.loads(line) for line in fh if line.strip())
    return rows


def training_files() -> list[Path]:
    return sorted(DATA.glob("*.jsonl"))


def target(row: dict, c: str) -> float:
    return float(row["labels"][c])


def vectors(
    rows: list[dict], scorer, facts: bool = True
) -> tuple[list[dict[str, float]], dict[str, dict[str, str]]]:
    """Feature values per row, and each feature key's allowed direction per criterion. `facts=False`: as if the
    replies had been scored without their case facts."""
    out = []
    signs: dict[str, dict[str, str]] = {}
    all_specs = specs()
    for row in rows:
        ctx = context_for(row)
        if not facts:
            ctx.facts = ()
        _, _, feats, legacy = scorer.features(row["reply"], ctx)
        kind = kind_of(ctx)
        vec = {}
        for f in feats:
            if not f.value or f.id in CHECKS:  # stacked in afterwards, held out (stack_checks)
                continue
            key = feature_key(f.id, kind)
            vec[key] = f.value
            if key not in signs:
                spec = all_specs.get(f.id)
                signs[key] = dict(spec.signs) if spec and spec.signs else dict(legacy.get(f.id, {}))
        out.append(vec)
    for fid in CHECKS:
        signs[fid] = dict(all_specs[fid].signs)
    return out, signs


def fit_one(
    X: list[dict[str, float]], y: list[float], signs: dict[str, str], lam: float = 4.0, sweeps: int = 300
) -> tuple[float, dict[str, float]]:
    """Ridge regression with sign bounds by coordinate descent (numpy): returns (intercept, weights)."""
    import numpy as np

    keys = sorted(k for k in {k for row in X for k in row} if signs.get(k))
    if not keys:
        return float(np.mean(y)) if y else 2.0, {}
    col = {k: i for i, k in enumerate(keys)}
    A = np.zeros((len(X), len(keys)))
    for i, row in enumerate(X):
        for k, v in row.items():
            j = col.get(k)
            if j is not None:
                A[i, j] = v
    yv = np.asarray(y, dtype=float)
    mean_x = A.mean(axis=0)
    mean_y = yv.mean()
    Ac = A - mean_x
    yc = yv - mean_y
    w = np.zeros(len(keys))
    sq = (Ac * Ac).sum(axis=0)
    r = yc.copy()
    lo = np.array([0.0 if signs[k] == "+" else -np.inf for k in keys])
    hi = np.array([0.0 if signs[k] == "-" else np.inf for k in keys])
    for _ in range(sweeps):
        biggest = 0.0
        for j in range(len(keys)):
            if sq[j] == 0:
                continue
            old = w[j]
            rho = Ac[:, j] @ r + sq[j] * old
            new = min(max(rho / (sq[j] + lam), lo[j]), hi[j])
            if new != old:
                r -= Ac[:, j] * (new - old)
                w[j] = new
                biggest = max(biggest, abs(new - old))
        if biggest < 1e-6:
            break
    intercept = float(mean_y - mean_x @ w)
    return intercept, {k: round(float(w[i]), 4) for i, k in enumerate(keys) if abs(w[i]) >= 1e-4}


def fit(rows: list[dict], scorer, lam: Lambda = LAMBDA, vecs=None) -> dict:
    X, signs = vecs or vectors(rows, scorer)
    out = {}
    for c in CRITERIA:
        csigns = {k: s.get(c, "") for k, s in signs.items()}
        intercept, weights = fit_one(X, [target(r, c) for r in rows], csigns, _lam(lam, c))
        out[c] = {"intercept": round(intercept, 4), "weights": weights}
    return out


NGRAM_ALPHA = 0.7  # ridge penalty of the wording model, chosen by grouped cross-validation
NGRAM_KEEP = 6000  # grams kept per criterion (the largest weights)
NGRAM_MIN_DF = 3  # a gram must occur in this many training replies


def linear(weights: dict, vec: dict[str, float], c: str) -> float:
    block = weights[c]
    return block["intercept"] + sum(block["weights"].get(k, 0.0) * v for k, v in vec.items())


def lexicon_words() -> set[str]:
    """Every literal word of the lexicons: the detectors own these, so the wording model learns only the rest (a
    hedge like 'soon' is explained by certainty.hedge, never as 'wording that reads certain')."""
    import re

    from .ruleset import ruleset
    from .text import normalize

    out = set()
    for lex in ruleset().lexicons.values():
        for entry in lex.entries:
            if not entry.startswith("re:"):
                out.add(normalize(" ".join(entry.lower().split())))
            elif lex.name == "typo":  # a typo's own characters ('顺风' in "发顺风") are never good wording
                out.update(normalize(w) for w in re.findall(r"[\u4e00-\u9fff]{2,}", entry))
    return out


def fit_ngrams(
    rows: list[dict],
    X: list[dict[str, float]],
    weights: dict,
    alpha: float = NGRAM_ALPHA,
    keep: int = NGRAM_KEEP,
) -> dict[str, dict[str, float]]:
    """Kernel ridge (dual form, numpy) of what the feature model leaves unexplained on the replies' character
    n-grams; returns per criterion the kept grams' weights (for an L2-normalised binary gram vector)."""
    import numpy as np
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import LinearOperator, cg

    from .ngrams import grams, norm, usable

    every = [grams(r["reply"]) for r in rows]
    found = [{g: p for g, p in f.items() if usable(g)} for f in every]
    df: dict[str, int] = defaultdict(int)
    for f in found:
        for g in f:
            df[g] += 1
    owned = lexicon_words()
    vocab = sorted(g for g, n in df.items() if n >= NGRAM_MIN_DF and usable(g) and g not in owned)
    col = {g: i for i, g in enumerate(vocab)}
    # A is replies x grams, binary and sparse (a reply has a few hundred of the vocabulary's hundred thousand
    # grams): held dense it took 16 GB at 26,000 replies.
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    for i, f in enumerate(found):
        idx = sorted({col[g] for g in f if g in col})
        indices.extend(idx)
        data.extend([1.0 / norm(len(every[i]))] * len(idx))  # the same scale the scorer uses at run time
        indptr.append(len(indices))
    A = csr_matrix((np.asarray(data), np.asarray(indices), np.asarray(indptr)), shape=(len(rows), len(vocab)))
    At = A.T.tocsr()
    resid = np.array(
        [[target(r, c) - linear(weights, x, c) for c in CRITERIA] for r, x in zip(rows, X, strict=True)],
        dtype=np.float64,
    )
    # (A A' + alpha I) duals = resid, solved by conjugate gradients on A's products: K = A A' held dense took 12.7 GB
    # at 39,780 replies and LAPACK factored a copy of it, which ran out of memory; the same solution (to 1e-12 of the
    # residuals) in a few hundred products with the sparse A, in under 1 GB
    op = LinearOperator((len(rows), len(rows)), matvec=lambda v: A @ (At @ v) + alpha * v, dtype=np.float64)
    duals = np.empty_like(resid)
    for ci in range(len(CRITERIA)):
        solved, info = cg(op, resid[:, ci], rtol=1e-12, atol=0.0, maxiter=20000)
        if info != 0:
            raise RuntimeError(f"the wording model's solve did not converge ({info})")
        duals[:, ci] = solved
    out = {}
    for ci, c in enumerate(CRITERIA):
        w = At @ duals[:, ci]  # per-gram weight for the normalised vector
        order = np.argsort(-np.abs(w))[:keep]
        out[c] = {vocab[j]: round(float(w[j]), 4) for j in order if abs(w[j]) >= 1e-4}
    return out


PROMISE_C = 1.0  # inverse L2 penalty of the false-promise model (scikit-learn's default; grouped CV agrees)
PROMISE_KEEP = 5000  # grams kept (the largest weights)


# Words that say who and how, not what: a check that learns "I've" or "给您" means a false promise reads every
# committed reply as one (an honest "I've cancelled it, the refund is back in 3-5 days" included). The checks learn
# from what a reply promises (its content words, beside the detector features), never from these alone.
_FUNCTION_EN = frozenset(
    "i i've i'll i'm i'd me my you you'll you're you've your we we'll we've we're our us it it's it'll its he she "
    "they them their so and or but the a an to of in on at for with this that these those will would be been is are "
    "was were have has had do does did can could just also then there here".split()
)
_FUNCTION_ZH = frozenset(
    "我您你他她它们的了是会在这那都也还和与及给就把被让帮对为向从到着过吗呢吧啊呀哦哈嘛么个"
)


def content_gram(gram: str) -> bool:
    """Whether a wording unit says something beyond who and how (not only function words: "i've", "给您", "就会")."""
    words = gram.split(" ")
    if all(w in _FUNCTION_EN for w in words):
        return False
    return not all(ch in _FUNCTION_ZH for ch in gram)


def has_tag(row: dict, tag: str) -> bool:
    """The writers' own register tags ("false-promise, colloquial"): what they wrote the reply to be."""
    register = row.get("register") or ""
    tags = register if isinstance(register, list) else str(register).split(",")
    wanted = set(tag.split("|"))
    return any(str(t).strip() in wanted for t in tags)


def fit_check(rows: list[dict], X: list[dict[str, float]], tag: str) -> dict:
    """One learned check (scoring/promises.py): L2 logistic regression (scikit-learn, build time only) of the
    writers' `tag` on the detector features and the reply's wording units the facts don't use (present or not)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    from .ngrams import usable
    from .promises import beyond_facts, check_grams

    y = [1 if has_tag(r, tag) else 0 for r in rows]
    if not any(y) or all(y):
        return {"intercept": 0.0, "features": {}, "grams": {}}
    found = [
        {g for g in beyond_facts(check_grams(r["reply"]), _facts_of(r)) if usable(g) and content_gram(g)}
        for r in rows
    ]
    df: dict[str, int] = defaultdict(int)
    for f in found:
        for g in f:
            df[g] += 1
    docs = []
    for x, f in zip(X, found, strict=True):
        d = {"f:" + k: v for k, v in x.items() if k not in CHECKS}
        d.update({"g:" + g: 1.0 for g in f if df[g] >= NGRAM_MIN_DF})
        docs.append(d)
    dv = DictVectorizer()
    M = dv.fit_transform(docs)
    clf = LogisticRegression(C=PROMISE_C, max_iter=5000).fit(M, y)
    coef = clf.coef_[0]
    names = dv.get_feature_names_out()
    feats = {
        n[2:]: round(float(w), 4)
        for n, w in zip(names, coef, strict=True)
        if n.startswith("f:") and abs(w) >= 1e-4
    }
    gram_w = sorted(
        (
            (n[2:], float(w))
            for n, w in zip(names, coef, strict=True)
            if n.startswith("g:") and abs(w) >= 1e-3
        ),
        key=lambda x: -abs(x[1]),
    )[:PROMISE_KEEP]
    return {
        "intercept": round(float(clf.intercept_[0]), 4),
        "features": dict(sorted(feats.items())),
        "grams": {g: round(w, 4) for g, w in sorted(gram_w)},
    }


def _facts_of(row: dict) -> str:
    """The case facts as the scorer reads them (normalised, joined)."""
    from .text import normalize

    return normalize(" ".join(str(f) for f in context_for(row).facts))


def check_value(fid: str, check, row: dict, x: dict[str, float], facts: bool = True) -> float:
    """The feature value the scorer gives a reply (scoring/fitted.py): the probability, or 0 below the floor."""
    from .promises import MIN_PROBABILITY, beyond_facts, check_grams

    facts_text = _facts_of(row) if facts else ""
    if not check or (CHECKS[fid].facts_only and not facts_text.strip()):
        return 0.0
    found = beyond_facts(check_grams(row["reply"]), facts_text)
    p = check.check(found, {k: v for k, v in x.items() if k not in CHECKS})[0]
    return round(p, 3) if p >= MIN_PROBABILITY else 0.0


def stack_checks(
    rows: list[dict],
    X: list[dict[str, float]],
    k: int = 5,
    facts: bool = True,
    models: dict | None = None,
    train_X: list[dict[str, float]] | None = None,
) -> tuple[list[dict[str, float]], dict[str, dict]]:
    """The checks fitted on all `rows` (or the given `models`), and `X` with each reply's check values from checks
    fitted without its customer (grouped k-fold), so the scorer's weights for them are learned on values they
    didn't memorise. `facts=False`: the values as if the replies had been read without their case facts, from
    checks fitted on `train_X` (the features with facts: the checks the scorer runs are fitted that way)."""
    from .promises import PromiseCheck

    train_X = X if train_X is None else train_X
    out = [dict(x) for x in X]
    for fold in _folds(rows, k):
        held = set(fold)
        train = [i for i in range(len(rows)) if i not in held]
        for fid, spec in CHECKS.items():
            check = PromiseCheck(fit_check([rows[i] for i in train], [train_X[i] for i in train], spec.tag))
            for i in fold:
                v = check_value(fid, check, rows[i], X[i], facts)
                if v:
                    out[i][fid] = v
    if models is None:
        models = {fid: fit_check(rows, train_X, spec.tag) for fid, spec in CHECKS.items()}
    return out, models


def _set_of(row: dict) -> str:
    """The data set a labeled reply belongs to: its id's prefix (shop, fin, r2tech…)."""
    return str(row.get("id", "")).split("-")[0]


def _folds(rows: list[dict], k: int) -> list[list[int]]:
    """Whole customers per fold, assigned in a fixed shuffled order (stable across runs). k=0: one fold per data
    set, i.e. leave a whole writer's domains out; k<0: -k folds of whole data sets, assigned the same way, as fast
    as customer folds and closer to new writers and domains."""
    import hashlib

    if k == 0:
        sets = sorted({_set_of(r) for r in rows})
        return [[i for i, r in enumerate(rows) if _set_of(r) == s] for s in sets]
    key = _set_of if k < 0 else (lambda r: r.get("group") or r.get("id"))
    k = abs(k)
    groups = sorted({key(r) for r in rows}, key=lambda g: hashlib.sha1(str(g).encode()).hexdigest())
    fold_of = {g: i % k for i, g in enumerate(groups)}
    folds: list[list[int]] = [[] for _ in range(k)]
    for i, r in enumerate(rows):
        folds[fold_of[key(r)]].append(i)
    return folds


def metrics(rows: list[dict], preds: dict[str, list[float]]) -> dict:
    out = {}
    for c in CRITERIA:
        groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for r, p in zip(rows, preds[c], strict=True):
            groups[str(r.get("group") or r.get("id"))].append((p, target(r, c)))
        acc, n = pairwise(groups)
        out[c] = {
            "pairwise": round(acc, 4),
            "pairs": n,
            "spearman": round(spearman(preds[c], [target(r, c) for r in rows]), 4),
        }
    return out


def cross_validate(
    rows: list[dict],
    scorer=None,
    k: int = 5,
    lam: Lambda = LAMBDA,
    vecs=None,
    ngrams: bool = True,
    predictions: dict | None = None,
    alpha: float = NGRAM_ALPHA,
) -> dict:
    """Grouped k-fold: fit on the other customers, score this fold's replies with the real scorer."""
    from .fitted import FittedScorer
    from .promises import PromiseCheck
    from .weights import Weights

    scorer = scorer or FittedScorer()
    X, signs = vecs or vectors(rows, scorer)
    preds: dict[str, list[float]] = {c: [0.0] * len(rows) for c in CRITERIA}
    for fold in _folds(rows, k):
        held = set(fold)
        train = [i for i in range(len(rows)) if i not in held]
        train_rows = [rows[i] for i in train]
        Xtr, checks = stack_checks(train_rows, [X[i] for i in train])
        w = fit(train_rows, scorer, lam, (Xtr, signs))
        ng = fit_ngrams(train_rows, Xtr, w, alpha) if ngrams else {}
        fold_scorer = FittedScorer(
            scorer.rules,
            Weights.from_dict({"version": "cv", "scale": 25, "criteria": w}),
            ngrams=ng,
            checks={fid: PromiseCheck(m) for fid, m in checks.items()},
        )
        for i in fold:
            res = fold_scorer.score(rows[i]["reply"], context_for(rows[i]))
            for c in CRITERIA:
                preds[c][i] = res.scores[c]
    if predictions is not None:
        predictions.update(preds)
    return metrics(rows, preds)


def write_weights(
    weights: dict,
    rows: list[dict],
    cv: dict,
    lam: Lambda,
    path: Path,
    files: list[Path],
    without_facts: dict | None = None,
) -> None:
    import yaml

    langs: dict[str, int] = defaultdict(int)
    for r in rows:
        langs[r.get("lang", "?")] += 1
    doc = {
        "version": f"fit-{date.today().isoformat()}",
        "scale": 25,
        "trained_on": {
            "files": [os.path.relpath(p.resolve(), ROOT) for p in files],  # what this fit read
            "replies": len(rows),
            "customers": len({r.get("group") for r in rows}),
            "languages": dict(sorted(langs.items())),
            "ridge_lambda": {c: _lam(lam, c) for c in CRITERIA},
            "grouped_cv_5fold": cv,
        },
        "criteria": weights,
    }
    if without_facts:
        doc["without_facts"] = without_facts
    header = (
        "# Written by `python -m scoring.fit` from data/labeled/*.jsonl: do not edit by hand.\n"
        "# score = scale * (intercept + sum(weight * feature value)), clamped to 0..100; see scoring/fitted.py.\n"
    )
    path.write_text(
        header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8"
    )


def write_checks(models: dict[str, dict], rows: list[dict]) -> None:
    from .promises import MODEL

    doc = {
        "note": "Written by `python -m scoring.fit`: the learned checks (see scoring/promises.py). Do not edit.",
        "trained_on": {
            "replies": len(rows),
            "tagged": {spec.tag: sum(1 for r in rows if has_tag(r, spec.tag)) for spec in CHECKS.values()},
        },
        "C": PROMISE_C,
        "min_df": NGRAM_MIN_DF,
        "checks": models,
    }
    MODEL.write_text(json.dumps(doc, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    sizes = ", ".join(
        f"{fid}: {len(m['features'])} features, {len(m['grams'])} grams" for fid, m in models.items()
    )
    print(f"wrote {MODEL} ({sizes})")


def main(argv: list[str] | None = None) -> int:
    from .fitted import FittedScorer
    from .weights import WEIGHTS

    ap = argparse.ArgumentParser(prog="python -m scoring.fit", description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help="labeled JSONL (default: data/labeled/*.jsonl)")
    ap.add_argument("--check", action="store_true", help="cross-validate only, write nothing")
    ap.add_argument("--lambdas", default="", help="comma-separated ridge penalties to compare by grouped CV")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    ap.add_argument("--no-ngrams", action="store_true", help="detector features only (no wording model)")
    ap.add_argument(
        "--by-set",
        action="store_true",
        help="with --check: leave one data set (a writer's domains) "
        "out at a time instead of 5 folds of customers",
    )
    ap.add_argument(
        "--set-folds",
        type=int,
        default=0,
        help="with --check: cross-validate over this many folds of whole data sets (new writers and domains)",
    )
    ap.add_argument(
        "--alpha",
        type=float,
        default=NGRAM_ALPHA,
        help="cross-validate with this wording-model ridge penalty (nothing is written: a fit uses NGRAM_ALPHA)",
    )
    args = ap.parse_args(argv)
    files = args.files or training_files()
    rows = read_rows(files)
    if not rows:
        print("no labeled rows found", file=sys.stderr)
        return 2
    scorer = FittedScorer()
    vecs = vectors(rows, scorer)
    lam: Lambda = LAMBDA
    if args.lambdas:
        best: tuple[float, float] | None = None
        for value in (float(x) for x in args.lambdas.split(",")):
            cv = cross_validate(rows, scorer, lam=value, vecs=vecs, ngrams=not args.no_ngrams)
            mean = sum(cv[c]["pairwise"] for c in CRITERIA) / 3
            print(
                f"lambda {value:g}: "
                + "  ".join(f"{c} {cv[c]['pairwise']:.3f}/{cv[c]['spearman']:.3f}" for c in CRITERIA)
            )
            if best is None or mean > best[0]:
                best = (mean, value)
        lam = best[1] if best else LAMBDA
    if args.by_set:
        k, how = 0, "leave-one-data-set-out"
    elif args.set_folds:
        k, how = -args.set_folds, f"{args.set_folds}-fold by data set"
    else:
        k, how = 5, "grouped 5-fold"
    cv = cross_validate(rows, scorer, k=k, lam=lam, vecs=vecs, ngrams=not args.no_ngrams, alpha=args.alpha)
    customers = len({r.get("group") for r in rows})
    print(
        f"{len(rows)} replies, {customers} customers; {how} CV (lambda {_lam_text(lam)}, alpha {args.alpha:g}):"
    )
    for c in CRITERIA:
        print(f"  {c:10} pairwise {cv[c]['pairwise']:.3f}  spearman {cv[c]['spearman']:.3f}")
    if args.check or args.by_set or args.set_folds or args.alpha != NGRAM_ALPHA:
        return 0
    fit_and_write(rows, scorer, vecs, lam, cv, args.out, files, ngrams=not args.no_ngrams)
    return 0


def fit_and_write(
    rows, scorer, vecs, lam: Lambda, cv: dict, out: Path, files: list[Path], ngrams: bool = True
) -> None:
    """Fit everything on all `rows` and write it: the weights with and without facts, the learned checks, and the
    wording model (which fits what the features leave unexplained, so it comes last)."""
    stacked, checks = stack_checks(rows, vecs[0])
    weights = fit(rows, scorer, lam, (stacked, vecs[1]))
    bare_x, bare_signs = vectors(rows, scorer, facts=False)
    bare_stacked = stack_checks(rows, bare_x, facts=False, models=checks, train_X=vecs[0])[0]
    bare = fit(rows, scorer, lam, (bare_stacked, bare_signs))
    write_weights(weights, rows, cv, lam, out, files, bare)
    print(f"wrote {out}")
    write_checks(checks, rows)
    if not ngrams:
        return
    from .ngrams import NGRAMS

    ng = fit_ngrams(rows, stacked, weights)
    NGRAMS.write_text(
        json.dumps(
            {
                "note": "Written by `python -m scoring.fit`: the wording model's character "
                "n-gram weights per criterion (see scoring/ngrams.py). Do not edit.",
                "alpha": NGRAM_ALPHA,
                "min_df": NGRAM_MIN_DF,
                "criteria": ng,
            },
            ensure_ascii=False,
            indent=0,
            sort_keys=True,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {NGRAMS} ({sum(len(v) for v in ng.values())} grams)")


if __name__ == "__main__":
    raise SystemExit(main())
