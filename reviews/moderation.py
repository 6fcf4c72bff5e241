"""Automatic moderation checks for incoming reviews (pure functions over the configured rules)."""

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass

_LINK = re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|net|org|es|io|ly|info|biz|xyz|mx|ar|co)\b/?", re.IGNORECASE)
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
ALL_CAPS_MIN_LETTERS = 12
ALL_CAPS_SHARE = 0.8


def _without_marks(run: re.Match) -> str:
    return "".join(ch for ch in run.group() if unicodedata.category(ch) != "Mn")


def normalise(text: str) -> str:
    """Lower case, accents and other combining marks dropped, runs of spaces made one."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    # Only non-ASCII runs can hold combining marks: the regex skips the rest in C, which halves
    # the cost of moderating a bulk batch (every review is normalised two or three times).
    return _SPACES.sub(" ", _NON_ASCII.sub(_without_marks, decomposed)).strip()


@functools.lru_cache(maxsize=4096)
def _listed_word(word: str) -> str:
    return normalise(word)


def text_fingerprint(title: str, body: str) -> str:
    text = normalise(f"{title} {body}")
    return hashlib.sha1(text.encode()).hexdigest() if text else ""


def has_link(text: str) -> bool:
    return bool(_LINK.search(text))


def is_all_caps(text: str) -> bool:
    letters = _LETTERS.findall(text)
    if len(letters) < ALL_CAPS_MIN_LETTERS:
        return False
    return sum(ch.isupper() for ch in letters) / len(letters) >= ALL_CAPS_SHARE


def listed_words_found(text: str, words: list[str]) -> list[str]:
    haystack = " " + _NON_WORD.sub(" ", normalise(text)) + " "
    return [word for word in words if f" {_listed_word(word)} " in haystack]


@dataclass(frozen=True)
class Verdict:
    status: str  # "published", "pending" or "rejected"
    reason: str = ""


def moderate(*, title: str, body: str, language: str, rules: list, is_duplicate: bool) -> Verdict:
    """Run every active rule; a rejection wins over a hold, and the reasons are all kept."""
    text = f"{title}\n{body}"
    held, rejected = [], []
    for rule in rules:
        if not rule.is_active:
            continue
        if rule.kind == "links":
            hit = has_link(text) and "link"
        elif rule.kind == "all_caps":
            hit = is_all_caps(text) and "all capitals"
        elif rule.kind == "duplicate":
            hit = is_duplicate and "same text as another review by this author"
        elif rule.kind == "profanity":
            found = listed_words_found(text, rule.words(language))
            hit = found and f"listed words: {', '.join(found)}"
        else:
            hit = False
        if hit:
            (rejected if rule.action == "rejected" else held).append(hit)
    if rejected:
        return Verdict("rejected", "; ".join(rejected + held))
    if held:
        return Verdict("pending", "; ".join(held))
    return Verdict("published")
