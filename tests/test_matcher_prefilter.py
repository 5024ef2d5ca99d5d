"""The word lists' speed-ups never change what they match: a regular expression skipped because the text lacks a
literal it needs could not have matched, and a rule skipped on a reply without its words would have found nothing."""

from __future__ import annotations

import pytest

from scoring.rules import Matcher, required_literals
from scoring.ruleset import ruleset
from scoring.text import normalize


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        ("(反馈|问|查|催)一下", {"一下"}),  # the longer literal is the more selective need
        ("看看(能不能|是否)?", {"看看"}),  # an optional group needs nothing
        ("等.{0,3}看看", {"看看"}),
        ("a(?=b)c", {"c"}),  # a lookahead ends a run of literals: "ac" is not in "abc"
        ("(?:refund|return)s?", {"fund", "turn"}),  # (the parser takes the common "re" out first)
        ("[ab]c|xy", {"c", "xy"}),
        ("(?i:abc)d", {"d"}),  # case-insensitive parts need nothing that can be looked up as written
        ("(?i)sorry", None),
        ("\\d+小时", {"小时"}),
        ("\\d+", None),
        ("(ab)?", None),
        ("a|", None),
    ],
)
def test_required_literals(pattern, needs):
    got = required_literals(pattern)
    assert (set(got) if got is not None else None) == needs


def _texts() -> list[str]:
    rules = ruleset()
    texts = ["", "好的", "ok", "I'll refund it today", "我现在帮您申请退款,今晚8点前短信通知您"]
    for rule in rules.rules.values():
        for examples in (rule.examples or {}).values():
            texts.extend(e for e in examples or () if isinstance(e, str))
    return [normalize(t) for t in texts]


class _Everything:
    def __contains__(self, _key) -> bool:
        return True


def _ungated(m: Matcher, text: str) -> list:
    """What `m`'s regular expressions find in `text` with neither its literal gate nor its second test."""
    second = m.zh_second, m.en_second
    m.zh_second = m.en_second = None
    try:
        return m._regex_hits(text, _Everything())
    finally:
        m.zh_second, m.en_second = second


def test_prefilter_never_hides_a_match():
    """Every bundled word list, on every rule example: the regular expressions find the same with the literal
    prefilter as when they always run."""
    rules = ruleset()
    matchers = {lex.regex.id: lex.regex for lex in rules.lexicons.values() if lex.regex is not None}
    matchers |= {r.regex.id: r.regex for r in rules.rules.values() if r.regex is not None}
    from scoring.rules import INDEX

    checked = 0
    seconds = sum(m.zh_second is not None or m.en_second is not None for m in matchers.values())
    assert seconds  # (the long alternations have their second test: it is checked here too)
    for text in _texts():
        literal, needed = INDEX.lookup(text)
        for m in matchers.values():
            gated = [x.span() for x in m._regex_hits(text, needed)]
            assert gated == [x.span() for x in _ungated(m, text)], (m.id, text)
            spans = m.spans(text)
            assert spans == [(x.start(), x.end()) for x in m.finditer(text)]
            if not m.may_match(literal, needed):
                assert spans == [], (m.id, text)
            checked += bool(spans)
    assert checked > 100  # the examples do fire the word lists


def test_a_regex_matches_where_its_literal_is():
    m = Matcher(["re:(反馈|问|查|催)一下", "re:(?<![a-z])will try(?![a-z])"])
    assert [h.group() for h in m.finditer("我帮您问一下,我们will try")] == ["问一下", "will try"]
    assert m.spans("我帮您问问") == []


def test_a_long_alternation_runs_only_where_a_second_part_can_match():
    """harmful_request's patterns ask for a secret: a reply with "请…" but no word like 密码/验证码 is not searched."""
    from scoring.rules import literal_parts

    assert literal_parts("(请|麻烦)[^,]{0,8}提供(密码|验证码)") == [
        frozenset({"验证码", "密码"}),
        frozenset({"提供"}),
        frozenset({"请", "麻烦"}),
    ]
    m = ruleset().lexicons["harmful_request"].regex
    assert m.zh_second is not None
    assert not m.zh_second.search(normalize("请您耐心等待,我们会尽快给您答复。"))
    assert m.spans(normalize("请您提供一下短信验证码,我帮您核实。"))


def test_a_broken_bundled_pattern_is_named():
    """Peilian's own patterns are compiled once, in their word list's alternation: a broken one is still named."""
    from scoring import safe_regex
    from scoring.rules import RuleError

    safe_regex.allow_reviewed("(退款|退货", check=False)
    with pytest.raises(RuleError, match=r"bad regular expression 're:\(退款\|退货'"):
        Matcher(["re:(退款|退货", "re:\\d+小时", "好的"])
