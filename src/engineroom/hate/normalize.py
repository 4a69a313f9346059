"""Text normalisation that undoes the usual obfuscation of hateful terms.

Posts hide slurs and coded terms from keyword filters: leetspeak (``k1ke``, ``j3w$``), inserted
dots, dashes or spaces (``k.i.k.e``, ``z i o n a z i``), homoglyphs (Cyrillic ``а`` for Latin
``a``, fullwidth letters), accents (``jéws``), zero-width characters, hashtag compounds
(``#ZioNaziMedia``), echo parentheses (``(((Soros)))``) and emoji (✡️🐀, ``:rat:``).

:func:`normalize` returns one string with two *views* of the post separated by `` | ``:

* the **spaced view**: case-folded, homoglyphs and accents undone, emoji spelled out as words
  (``star_of_david``, ``rat``), echo parentheses marked ``echo_parens``, hashtags split at case
  changes (``#ZioNaziMedia`` → ``zio nazi media``), URLs → ``url``, mentions → ``@user``, every other
  non-alphanumeric character → space;
* the **squashed view**: the same tokens with leetspeak undone inside words that mix letters and
  digits/symbols, separators inside words removed (``zio-nazi`` → ``zionazi``), runs of single
  letters joined (``k i k e`` → ``kike``) and hashtags kept whole (``zionazimedia``).

The lexicon matcher searches both views at once; the learned model reads the spaced view (plus
the squashed view's extra tokens). Everything is ``str.translate`` and compiled regular expressions
(each written to start with a character it needs, so the search skips to it), about 11 µs per
distinct post text on the synthetic 1M corpus (a third of ``hate``'s scoring CPU, two thirds of
``narratives``': both normalise every text).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import Callable, Hashable, Sequence

#: Latin look-alikes (Cyrillic, Greek, Armenian, Cherokee, math) → ASCII. NFKC already folds
#: fullwidth and mathematical alphanumerics; this covers what NFKC leaves alone.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l", "ɡ": "g", "ո": "n", "ս": "u", "ց": "g", "ｚ": "z",
    "А": "a", "В": "b", "Е": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "У": "y", "Х": "x", "Ѕ": "s", "І": "i", "Ј": "j", "Ζ": "z",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w", "ζ": "z", "η": "n", "Α": "a", "Β": "b", "Ε": "e", "Ι": "i",
    "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o", "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # Latin oddities
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe", "ſ": "s",
    "ʝ": "j", "ɪ": "i", "ʏ": "y", "ᴢ": "z", "ᴋ": "k", "ᴇ": "e", "ᴡ": "w", "ѡ": "w",
    # typographic quotes and dashes → ASCII (apostrophes matter for "didn't", "i'm")
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
    "\u2014": "-", "\u2212": "-",
    # invisible characters
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    "\ufe0f": "", "\ufe0e": "",
}

#: Emoji (and a few symbols) that appear in antisemitic memes, spelled out as words the lexicon
#: can combine (``star_of_david rat``). Any other emoji becomes a space.
EMOJI_WORDS = {
    "✡": "star_of_david", "🔯": "star_of_david", "🐀": "rat", "🐁": "rat", "🐭": "rat",
    "👃": "nose", "👃🏻": "nose", "🐙": "octopus", "💰": "money", "🤑": "money", "💵": "money",
    "💸": "money", "🪙": "money", "🔥": "fire", "♨": "oven", "🍪": "cookie", "🐍": "snake",
    "🦎": "lizard", "🐷": "pig", "🐖": "pig", "🧛": "vampire", "🩸": "blood", "🐂": "calf",
    "卐": "swastika", "卍": "swastika", "⚡⚡": "ss_runes", "🇮🇱": "israel_flag",
    "🕍": "synagogue", "🕎": "menorah", "🤡": "clown", "👹": "demon", "😈": "devil",
}

#: Emoji shortcodes as used on Discord/Slack/GitHub (``:rat:``) → the same words.
_SHORTCODES = {
    ":rat:": "rat", ":mouse:": "rat", ":nose:": "nose", ":octopus:": "octopus",
    ":moneybag:": "money", ":money_mouth_face:": "money", ":star_of_david:": "star_of_david",
    ":six_pointed_star:": "star_of_david", ":fire:": "fire", ":snake:": "snake", ":pig:": "pig",
    ":flag_il:": "israel_flag", ":israel:": "israel_flag", ":synagogue:": "synagogue",
    ":drop_of_blood:": "blood", ":vampire:": "vampire", ":swastika:": "swastika",
}

#: leetspeak inside words that mix letters with digits/symbols (``k1ke``, ``j3w$``, ``h0l0h0@x``)
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "9": "g", "@": "a", "$": "s", "!": "i", "|": "i", "+": "t", "€": "e",
                       "¢": "c", "£": "l"})

_TABLE: dict[int, str] = {}
for _k, _v in _CONFUSABLES.items():
    _TABLE[ord(_k)] = _v
for _k, _v in EMOJI_WORDS.items():
    if len(_k) == 1:
        _TABLE[ord(_k)] = f" {_v} "

_MULTI_EMOJI = {k: v for k, v in EMOJI_WORDS.items() if len(k) > 1}
_MULTI_EMOJI_RE = re.compile("|".join(re.escape(k) for k in sorted(_MULTI_EMOJI, key=len, reverse=True)))
_SHORTCODE_RE = re.compile("|".join(re.escape(k) for k in _SHORTCODES))
_URL_RE = re.compile(r"https?://\S+|www\.\S+")
# (starts with the "@", the lookbehind checks the character before it: the search skips to "@"
# and "<" instead of testing a lookbehind at every character; same matches as
# ``(?<![\w@])@\w{1,30}|<user>``)
_MENTION_RE = re.compile(r"@(?<![\w@]@)\w{1,30}|<user>")
_ECHO_RE = re.compile(r"\({3,}\s*([^()]{1,60}?)\s*\){3,}")
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_NON_WORD_RE = re.compile(r"[^0-9a-z_']+")
_SPACES_RE = re.compile(r"\s+")
# an apostrophe not between two letters (as ``(?<![a-z])'|'(?![a-z])``, written to start with it)
_QUOTE_TRIM_RE = re.compile(r"'(?:(?<![a-z]')|(?![a-z]))")
# a token that mixes letters with leet digits/symbols (not a mention's leading @)
_LEET_TOKEN_RE = re.compile(r"(?<![^\s])(?=\S*[a-z])(?=\S*[013457@$!|+])[a-z0-9@$!|+*.\-_']{2,}(?![^\s])")
# a run of separators between two letters/digits; written to start with the separator (the one
# before it checked by the lookbehind), so the search skips to separators instead of testing a
# lookbehind at every character: the same matches as ``(?<=[a-z0-9])[.\-_*·•'~^]+(?=[a-z0-9])``
_INNER_SEP_RE = re.compile(r"[.\-_*·•'~^](?<=[a-z0-9].)[.\-_*·•'~^]*(?=[a-z0-9])")
_SINGLE_RUN_RE = re.compile(r"(?<![a-z0-9])(?:[a-z] ){2,}[a-z](?![a-z0-9])")
_OTHER_SYMBOL_RE = re.compile(r"[^\x00-\x7f]")
_MARKED_RE = re.compile(r"\x01([^\x02]*)\x02")
_MARKED_SPAN_RE = re.compile(r"\x01[^\x02]*\x02")
# what _LEET_TOKEN_RE / _INNER_SEP_RE need at least one of (a cheap test before the costly pattern)
_LEET_CHAR_RE = re.compile(r"[013457@$!|+]")
_SEP_CHAR_RE = re.compile(r"[.\-_*·•'~^]")
SEPARATOR = " | "

#: what :func:`normalize` computes, as a short hash of this module's source and the Unicode data
#: version it runs with: a stored normalised text is valid only under the same version
VERSION = hashlib.sha1(Path(__file__).read_bytes() + unicodedata.unidata_version.encode()).hexdigest()[:12]


class _CombiningTable(dict):
    """``str.translate`` table that drops combining marks (``unicodedata.combining`` non-zero) and
    keeps every other character; each code point is looked up once per process."""

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        got = None if unicodedata.combining(ch) else ch
        self[code] = got
        return got


_COMBINING_TABLE = _CombiningTable()


def _strip_accents(text: str) -> str:
    """The text decomposed (NFKD) without its combining marks: accents undone."""
    return unicodedata.normalize("NFKD", text).translate(_COMBINING_TABLE)


def _hashtag(match: re.Match) -> str:
    body = match.group(1)
    split = _CAMEL_RE.sub(" ", body).replace("_", " ")
    # spaced view gets the split words; the squashed body is kept whole after a marker
    return f" {split} \x01{body.lower()}\x02 "


def _leet(match: re.Match) -> str:
    return match.group(0).translate(_LEET)


class _NonWordTable(dict):
    """``str.translate`` table: ``[0-9a-z_']`` kept, every other character a space."""

    def __missing__(self, code: int) -> str:
        return " "


_NON_WORD_TABLE = _NonWordTable({ord(c): c for c in "0123456789abcdefghijklmnopqrstuvwxyz_'"})


#: :data:`_NON_WORD_TABLE` for ASCII text as a ``bytes.translate`` table (one C pass, no dict lookups)
_NON_WORD_BYTES = bytes(c if chr(c) in "0123456789abcdefghijklmnopqrstuvwxyz_'" else 32 for c in range(256))


def _non_word_to_space(text: str) -> str:
    """``_NON_WORD_RE.sub(" ", text)`` with the runs of spaces collapsed and the ends stripped
    (the same tokens, single spaces; what the later steps and the final join see)."""
    if text.isascii():  # always, after the steps before it; the bytes table is 2x faster
        return " ".join(text.encode("ascii").translate(_NON_WORD_BYTES).decode("ascii").split())
    return " ".join(text.translate(_NON_WORD_TABLE).split())


def _join_letters(match: re.Match) -> str:
    return match.group(0).replace(" ", "")


def normalize(text: str | None) -> str:
    """The matching text of a post: spaced view, `` | ``, squashed view (see the module doc)."""
    if not text:
        return ""
    return _after_links(_links_and_mentions(text))


def normalizer() -> Callable[[str | None], str]:
    """:func:`normalize` for many texts: the steps after links and mentions are replaced run once
    per distinct intermediate text, so copies that differ only in which link or which account they
    name cost two regular expressions each (the memory lasts as long as the function returned)."""
    memo: dict[str, str] = {}

    def norm(text: str | None) -> str:
        if not text:
            return ""
        t = _links_and_mentions(text)
        got = memo.get(t)
        if got is None:
            got = memo[t] = _after_links(t)
        return got

    return norm


def _links_and_mentions(text: str) -> str:
    """The first steps of :func:`normalize`: escaped newlines, links → ``url``, mentions →
    ``mentionuser``; the rest of the result depends on this string alone."""
    # every step is skipped when the text lacks what its pattern needs (same result, less time)
    t = text.replace("\\n", " ")
    if "http" in t or "www." in t:
        t = _URL_RE.sub(" url ", t)
    if "@" in t or "<user>" in t:
        t = _MENTION_RE.sub(" mentionuser ", t)
    return t


def _after_links(t: str) -> str:
    """The steps of :func:`normalize` after :func:`_links_and_mentions`."""
    if "(((" in t:
        t = _ECHO_RE.sub(lambda m: f" echo_parens {m.group(1)} echo_parens ", t)
    if not t.isascii():
        t = unicodedata.normalize("NFKC", t)
        if _MULTI_EMOJI_RE.pattern:
            t = _MULTI_EMOJI_RE.sub(lambda m: f" {_MULTI_EMOJI[m.group(0)]} ", t)
        t = t.translate(_TABLE)
    if ":" in t:
        t = _SHORTCODE_RE.sub(lambda m: f" {_SHORTCODES[m.group(0)]} ", t)
    if "#" in t:
        t = _HASHTAG_RE.sub(_hashtag, t)
    t = t.lower()
    if not t.isascii():
        t = _strip_accents(t)
        t = _OTHER_SYMBOL_RE.sub(" ", t.replace("\x01", "\x03").replace("\x02", "\x04")).replace("\x03", "\x01").replace("\x04", "\x02")
    # squashed view: leet inside mixed tokens, separators inside words, single-letter runs
    if "\x01" in t:
        hashtags = _MARKED_RE.findall(t)
        base = _MARKED_SPAN_RE.sub(" ", t)
    else:
        hashtags, base = [], t
    sq = base
    if _LEET_CHAR_RE.search(sq):
        sq = _LEET_TOKEN_RE.sub(_leet, sq)
    if _SEP_CHAR_RE.search(sq):
        sq = _INNER_SEP_RE.sub("", sq)
    spaced = _non_word_to_space(base)
    sq = spaced if sq == base else _non_word_to_space(sq)
    sq = _SINGLE_RUN_RE.sub(_join_letters, sq)
    if hashtags:
        sq = sq + " " + " ".join(_LEET_TOKEN_RE.sub(_leet, h) for h in hashtags)
    same = sq == spaced
    if "'" in spaced:
        spaced = _QUOTE_TRIM_RE.sub(" ", spaced)
    if "'" in sq:
        sq = (spaced if same else _QUOTE_TRIM_RE.sub(" ", sq)).replace("'", "")
    spaced = " ".join(spaced.split())
    sq = spaced if sq == spaced else " ".join(sq.split())
    return spaced + SEPARATOR + sq


def packed(normalized: str) -> str:
    """A :func:`normalize` result stored compactly: the spaced view alone when the squashed view is
    the same non-empty text (most posts), else the whole result. :func:`unpacked` undoes it (a
    spaced view never holds `` | ``: its characters are ``[0-9a-z_']`` and single spaces)."""
    spaced, sep, squashed = normalized.partition(SEPARATOR)
    return spaced if sep and spaced and squashed == spaced else normalized


def unpacked(stored: str) -> str:
    """The :func:`normalize` result that :func:`packed` stored as ``stored``."""
    return stored if not stored or SEPARATOR in stored else stored + SEPARATOR + stored


def spaced_view(normalized: str) -> str:
    """The spaced view of a :func:`normalize` result (what the learned model reads)."""
    return normalized.split(SEPARATOR, 1)[0]


def group_texts(texts: Sequence[str], key: Callable[[str], Hashable]) -> tuple[list, list[str], list[int]]:
    """Texts grouped by ``key`` (e.g. their normalised form), ``key`` computed once per distinct
    text: the distinct keys in order of first appearance, the first text of each, and each text's
    key number. Scoring the representatives and indexing with the key numbers scores every text."""
    first: dict[str, int] = {}
    of_text = [first.setdefault(t, len(first)) for t in texts]
    keys: dict[Hashable, int] = {}
    reps: list[str] = []
    of_distinct = []
    for t in first:
        k = keys.setdefault(key(t), len(keys))
        if k == len(reps):
            reps.append(t)
        of_distinct.append(k)
    return list(keys), reps, [of_distinct[i] for i in of_text]

