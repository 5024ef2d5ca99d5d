"""The fit's own arithmetic (build time only): folds that keep whole customers or data sets together, and the wording
model's kernel ridge, checked against the textbook dense formula on a small sample of the labeled data."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import fit
from scoring.api import CRITERIA


def rows_of(sets: dict[str, int]) -> list[dict]:
    return [
        {"id": f"{s}-{c}-{r}", "group": f"{s}-{c}"}
        for s, customers in sets.items()
        for c in range(customers)
        for r in (1, 2)
    ]


def test_set_folds_keep_every_data_set_whole_and_every_row_once():
    rows = rows_of({"shop": 3, "fin": 2, "r2tech": 4, "r30svc": 1, "r29hard": 2})
    folds = fit._folds(rows, -3)
    assert len(folds) == 3 and sorted(i for f in folds for i in f) == list(range(len(rows)))
    for fold in folds:
        sets = {rows[i]["id"].split("-")[0] for i in fold}
        for s in sets:  # a set is in this fold whole
            assert all(i in fold for i, r in enumerate(rows) if r["id"].startswith(s + "-"))
    assert folds == fit._folds(rows, -3)  # the same folds every run


def test_customer_folds_keep_a_customers_replies_together():
    rows = rows_of({"shop": 10})
    for fold in fit._folds(rows, 5):
        groups = {rows[i]["group"] for i in fold}
        assert sum(1 for r in rows if r["group"] in groups) == len(fold)


def test_the_wording_model_is_kernel_ridge_as_written_down():
    """w = A' (A A' + alpha I)^-1 r, with A the replies' normalised gram vectors and r what the features leave."""
    from scoring.ngrams import grams, norm, usable

    rows = fit.read_rows([fit.DATA / "r29svc.jsonl"])[:60]
    if len(rows) < 60:
        pytest.skip("labeled data not present")
    X = [{} for _ in rows]
    weights = {c: {"intercept": 2.0, "weights": {}} for c in CRITERIA}
    got = fit.fit_ngrams(rows, X, weights, alpha=0.7, keep=10**6)

    every = [grams(r["reply"]) for r in rows]
    found = [{g for g in f if usable(g)} for f in every]
    owned = fit.lexicon_words()
    df: dict[str, int] = {}
    for f in found:
        for g in f:
            df[g] = df.get(g, 0) + 1
    vocab = sorted(g for g, n in df.items() if n >= fit.NGRAM_MIN_DF and g not in owned)
    A = np.array(
        [[1.0 / norm(len(e)) if g in f else 0.0 for g in vocab] for f, e in zip(found, every, strict=True)]
    )
    for c in CRITERIA:
        r = np.array([row["labels"][c] - 2.0 for row in rows])
        w = A.T @ np.linalg.solve(A @ A.T + 0.7 * np.eye(len(rows)), r)
        want = {g: round(float(v), 4) for g, v in zip(vocab, w, strict=True) if abs(v) >= 1e-4}
        assert set(got[c]) == set(want), c
        assert max(abs(got[c][g] - want[g]) for g in want) <= 1e-4, c
