"""The text comparisons moderation relies on: accents, case and spacing never hide a match."""

import pytest

from reviews.moderation import listed_words_found, text_fingerprint


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Llegó   ROTO, qué pena", "llego roto, que pena"),
        ("Ñandú  ÅÉ", "nandu ae"),
        ("Café\tcon leche 😀", "cafe con leche 😀"),
    ],
)
def test_the_same_review_with_other_accents_case_or_spaces_has_the_same_fingerprint(first, second):
    assert text_fingerprint("", first) == text_fingerprint("", second)


def test_different_words_or_emoji_keep_their_own_fingerprint():
    assert text_fingerprint("", "cafe con leche 😀") != text_fingerprint("", "cafe con leche 😡")


def test_a_listed_word_is_found_with_or_without_its_accents_and_only_as_a_whole_word():
    assert listed_words_found("¡Qué ESTAFA, menuda estafá!", ["estafa"]) == ["estafa"]
    assert listed_words_found("Una estafa", ["estafá"]) == ["estafá"]
    assert listed_words_found("Estafador no es la palabra", ["estafa"]) == []
