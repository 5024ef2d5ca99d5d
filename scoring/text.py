"""Text normalisation shared by every matcher: traditional -> simplified Chinese (OpenCC), full-width -> half-width,
case-folding. The normalised text keeps a 1:1 character mapping with the original so spans stay valid."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from . import recache

# A Chinese character (CJK unified ideographs, extension A, compatibility ideographs): the one definition of
# "is this Chinese?" for the whole project.
CJK = _CJK = recache.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_NON_CJK = recache.compile(
    r"[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)  # len(_NON_CJK.sub("", t)): t's Chinese
_LATIN_WORD = recache.compile(r"[A-Za-z]+")


def has_cjk(text: str) -> bool:
    """Whether `text` holds a Chinese character."""
    return bool(_CJK.search(text))


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2tw():
    import opencc

    return opencc.OpenCC("s2tw")


@lru_cache(maxsize=1024)
def traditional(text: str) -> str:
    """Simplified Chinese as Taiwan's traditional script (a zh-Hant customer's advice reads in their script)."""
    return _s2tw().convert(text) if _CJK.search(text) else text


_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


_FULLWIDTH = recache.compile("[\uff01-\uff5e\u3000]")  # exactly the characters _HALFWIDTH maps
_TO_HALF = {chr(k): chr(v) for k, v in _HALFWIDTH.items()}.__getitem__


def _halfwidth(ch: str) -> str:
    return halfwidth(ch)


def halfwidth(text: str) -> str:
    """`text.translate(_HALFWIDTH)`, five times faster on Chinese text (str.translate looks up every character)."""
    return _FULLWIDTH.sub(lambda m: _TO_HALF(m.group()), text)


@lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """`text` in simplified script (OpenCC t2s), the same length: a text that holds traditional-only characters is
    exactly one this changes."""
    if not _CJK.search(text):
        return text
    converted = _t2s().convert(text)
    # OpenCC's t2s is character-for-character for the common cases; if a phrase conversion changed the length,
    # fall back to converting character by character so spans stay aligned.
    if len(converted) != len(text):
        converted = "".join(map(_one_char, text))
    return converted


def _one_char(c: str) -> str:
    """One character in simplified script, or as it is if OpenCC would make it longer or shorter."""
    s = _t2s().convert(c)
    return s if len(s) == 1 else c


# What every matcher should read as one word, whoever wrote it: the informal 你 as 您 (a lexicon of "帮您…" then
# hears "帮你…" too), and Cantonese function words as their Mandarin ones, one character for one ("幫你凍結咗" is
# "帮您冻结了", "而家" is "现在", "聽日" is "明天"), plus Taiwan's 工作天 for 工作日. Only words Mandarin doesn't
# write in another sense, or not where they are guarded below.
_DIALECT = {
    "你": "您",
    "咗": "了",
    "嘅": "的",
    "唔": "不",
    "唔该": "谢谢",
    "冇": "没",
    "喺": "在",
    "嚟": "来",
    "睇": "看",
    "畀": "给",
    "攞": "拿",
    "佢": "他",
    "哋": "们",
    "嗰": "那",
    "俾": "给",
    "呢个": "这个",
    "呢度": "这里",
    "呢排": "最近",
    "搞掂": "搞定",
    "而家": "现在",
    "听日": "明天",
    "琴日": "昨天",
    "寻日": "昨天",
    "工作天": "工作日",
}
# (the words that also occur across a Mandarin word boundary only where they can't: 听日本 is 'heard from Japan',
# 然而家长 'but the parents', and 唔 before a mark is Mandarin's 'mm'; 点解 and 宜家 stay as they are, being 点解决
# 'how to solve' and IKEA as often as 'why' and 'now')
_GUARDED = {
    "听日": "听日(?![本语文剧元])",
    "而家": "(?<![然因从反进])而家(?![里长属庭具电务乡])",
    "唔": "唔(?![,，。.!！?？~…、])",
}
_DIALECT_WORDS = recache.compile(
    "|".join(_GUARDED.get(w, w) for w in sorted(_DIALECT, key=len, reverse=True))
)


def _dialect(match: re.Match) -> str:
    return _DIALECT[match.group()]


def fold_dialect(text: str) -> str:
    """`_DIALECT`'s words in `text` (already simplified) as their Mandarin ones: what `normalize` does after t2s. A
    word list written in simplified script (a bundled lexicon, a stop list, a regular expression's source) is folded
    the same way, so an entry such as 陪着你 or 对唔住 still meets the replies' normal form."""
    return _DIALECT_WORDS.sub(_dialect, text)


@lru_cache(maxsize=4096)
def fold_pattern(pattern: str) -> str:
    """A regular expression's source in the replies' normal form: its Chinese in simplified script with
    `_DIALECT`'s words folded, so a pattern written with 你 or in traditional script (退給你) meets the reply it
    was written for ("退给您"). Only Chinese characters change, one for one: the pattern's syntax stays as it was
    (no case folding, which would turn \\D into \\d, and no half-width, which would turn （ into a group)."""
    return fold_dialect(simplified(pattern)) if _CJK.search(pattern) else pattern


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Same length as `text` (so spans map 1:1): simplified Chinese (with `_DIALECT`'s words as Mandarin ones),
    half-width ASCII, lower case."""
    if _CJK.search(text):
        text = fold_dialect(simplified(text))
    folded = halfwidth(text).lower()
    # lower() may change length for a few letters (e.g. "İ"); keep the 1:1 mapping by folding per character then
    if len(folded) != len(text):
        return "".join(c.lower() if len(c.lower()) == 1 else c for c in halfwidth(text))
    return folded


def detect_lang(text: str) -> str:
    """'zh' when Chinese characters dominate or no Latin words are present, else 'en' (mixed counts as zh if
    Chinese makes up at least a third of the letters)."""
    cjk = len(_NON_CJK.sub("", text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    if cjk == 0:
        return "en"
    return "zh" if cjk * 3 >= latin / 3 else "en"


def is_traditional(text: str) -> bool:
    return simplified(text) != text


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_CN_DIGIT = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_RUN = recache.compile(r"[零〇一二两三四五六七八九十百千万]+")


def chinese_number(run: str) -> int | None:
    """A run of Chinese numerals as a number: 八 8, 十四 14, 三百二十九 329, 一百零五 105, and the spoken shortening of
    the last place (三百二 320, 两千五 2500, 一万二 12000, 一万五 15000); None if anything else is in it."""
    total = section = 0
    digit = -1
    last_unit = 1
    for ch in run:
        if ch in "零〇" and (section or total):  # 一百零五: a place skipped, the next digit is ones
            digit, last_unit = -1, 1
        elif ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]  # a digit after a digit is a range, read at its top: 两三千 3000, 一两天 2
        elif ch in _CN_UNIT:
            unit = _CN_UNIT[ch]
            section += (1 if digit < 0 else digit) * unit
            digit, last_unit = -1, unit
        elif ch == "万":
            section += max(digit, 0)
            total += (section or 1) * 10000
            section, digit, last_unit = 0, -1, 10000
        else:
            return None
    if digit >= 0:  # the last digit: ones, or one place below the last unit when the speaker left it out
        section += digit * (last_unit // 10 if last_unit >= 100 else 1)
    return total + section


@lru_cache(maxsize=4096)
def arabic_numerals(text: str) -> str:
    """`text` with its Chinese numerals written as digits ("我都等了八天" -> "我都等了8天", "退我三百二" -> "退我320"),
    so a customer's number is recognised when the reply writes it the other way (stdlib, and cached: the same facts
    and customer message come back every turn)."""
    if not _CN_RUN.search(text):
        return text
    return _CN_RUN.sub(lambda m: _as_digits(m.group(0)), text)


_CN_PLACE = recache.compile(r"[十百千万]")


def _as_digits(run: str) -> str:
    # digits read one by one (二零二六年) or a bare range (一两天) stay as written
    if len(run) > 1 and not _CN_PLACE.search(run):
        return run
    number = chinese_number(run)
    return run if number is None else str(number)
