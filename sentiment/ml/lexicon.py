"""A small polarity lexicon with negation and contrast scope, as dense features for the accurate tier.

Written for this project (no lexicon was copied). It does not decide anything on its own: it
gives the heads what n-grams and sentence embeddings see poorly —
- negation flips the words in its scope ("not bad at all", "no está nada mal", "no me gustó");
- a blocked action is a complaint even without a negative word ("no puedo finalizar la compra",
  "the app won't let me pay");
- the clause after an adversative ("pero", "sin embargo", "but", "however") and the main clause
  around a concessive ("aunque", "although") are counted apart, so the head can give them the
  weight they carry;
- mild remarks ("un poco", "a bit") and questions are told apart from strong complaints.

Words are matched on lower-case, accent-less tokens; Spanish stems match by prefix so one entry
covers every inflection ("encant" → encanta, encantó, encantado).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from .model import NEGATORS, normalize_text

_WORD = re.compile(r"[a-zñ0-9']+|[¿?¡!.,;:]|[\U0001F300-\U0001FAFF\u2600-\u27BF]")

POSITIVE = {
    "es": {
        "words": """bien bueno buena buenos buenas genial excelente perfecto perfecta perfectos perfectas
        maravilla maravilloso maravillosa estupendo estupenda fantastico fantastica increible rapido rapida
        rapidisimo rapidisima comodo comoda comodos comodas bonito bonita bonitos bonitas precioso preciosa
        lindo linda lindos lindas amable amables atento atenta atentos facil facilmente recomiendo
        recomendable recomendado recomendada 10 diez ok okey dale joya crack barato barata baratos baratas
        impecable impecables util utiles sencillo sencilla puntual puntuales agradecido agradecida
        agradecidos gracias satisfecho satisfecha contento contenta contentos feliz felices top chevere
        bacan bacano brutal buenisimo buenisima bien! correcto correcta resuelto resuelta solucionado
        solucionada sin problemas cumplen cumplio cumple vale calidad""",
        "stems": """encant gust fascin recomend agradec excel estupend fantast maravill perfect genial
        impecab rapidez eficien profesional ayud resolv solucion cumpl disfrut super mejor""",
    },
    "en": {
        "words": """good great excellent perfect perfectly amazing awesome love loved loves lovely nice fast
        quick quickly easy easily helpful friendly polite recommend recommended happy pleased glad thanks
        thank fantastic wonderful brilliant superb best better beautiful beautifully comfortable comfy cheap
        affordable bargain smooth smoothly fine decent solid works worked worth reliable sturdy
        impressed impressive delighted satisfied fab fabulous cool stellar quality flawless spotless
        prompt promptly resolved sorted efficient professional gorgeous stunning cute neat tidy ace
        outstanding superb top thrilled appreciate appreciated 10/10 5""",
        "stems": "",
    },
}
NEGATIVE = {
    "es": {
        "words": """mal mala malo malos malas peor pesimo pesima horrible terrible fatal desastre basura
        estafa estafadores timo lento lenta lentos tarde roto rota rotos rotas defectuoso defectuosa
        caro cara carisimo carisima nunca jamas nadie queja reclamo reclamacion problema problemas error
        errores fallo falla fallos fallan falla falló fallido devolver reembolso cancelaron cancelado
        cancelada perdido perdida perdieron danado danada danados abollado abollada rayado rayada sucio
        sucia mentira mentiras verguenza vergonzoso ridiculo ridicula inutil inutiles decepcion
        decepcionado decepcionada decepcionante lamentable penoso penosa cutre chafa trucho mierda
        enganado enganada enojado enojada harto harta molesto molesta indignado indignada imposible
        incomodo incomoda feo fea pequeno grande chico enorme falta faltan faltaba nada sin demora
        retraso retrasado atrasado esperando espera todavia aun sigue bloqueado bloqueada cobro cobraron
        doble""",
        "stems": """decepcion defectu horrib terribl desastr estaf engan pesim lament frustr indign enoj
        rompi romp estrope fallo fall quej reclam perdi cancel retras demor tard devolv reembols molest
        harto rid cobr""",
    },
    "en": {
        "words": """bad worse worst awful terrible horrible poor poorly disappointed disappointing
        disappointment useless broken broke broke faulty defective damaged dented crushed cracked ripped
        torn stained dirty late delayed delay slow slowly never nobody nothing refund return returned
        scam rip-off ripoff overpriced expensive pricey lost missing wrong error errors fail failed
        failing fails failure problem problems issue issues complaint rude unhelpful ignored ignoring
        waste garbage rubbish trash junk crap joke ridiculous pathetic shocking appalling disgusting
        annoying annoyed angry furious frustrated frustrating unacceptable cancelled canceled charged
        twice stuck crash crashes crashed crashing bug buggy glitch freezes frozen unable cheaply flimsy
        leaking leaks smells tight loose small big huge shrunk faded still waiting avoid mess""",
        "stems": "",
    },
}
# A blocked action is a complaint: "no puedo pagar", "can't check out", "won't let me".
BLOCKED = {
    "es": re.compile(
        r"\b(no (me )?(puedo|pude|podemos|deja|dejaba|dejo|permite|funciona|funcionaba|carga|cargaba|anda|"
        r"andaba|acepta|aceptaba|aparece|llega|llego|responde|contestan|responden|sirve)|imposible|"
        r"sin poder|no hay manera|no hay forma|se (cuelga|cierra|traba|queda)|da error|sale error)\b"
    ),
    "en": re.compile(
        r"\b(can ?not|cant|couldnt|unable to|wont let|doesnt let|didnt let|wont load|doesnt work|didnt work|"
        r"isnt working|not working|keeps (crashing|failing|freezing)|gets stuck|no way to|impossible|"
        r"still (havent|hasnt|no|not|waiting)|never (arrived|came|got|received))\b"
    ),
}
ADVERSATIVE = {
    "es": {"pero", "sin embargo", "no obstante", "eso si", "lastima que", "salvo", "excepto", "sino"},
    "en": {"but", "however", "yet", "except", "shame that", "pity that", "apart from", "still"},
}
CONCESSIVE = {
    "es": {"aunque", "a pesar de", "si bien", "pese a"},
    "en": {"although", "though", "even though", "despite"},
}
MILD = {
    "es": {"un poco", "algo", "un poquito", "un toque", "ligeramente", "medio", "no del todo", "un pelin"},
    "en": {"a bit", "a little", "slightly", "somewhat", "kind of", "kinda", "sort of", "bit", "a tad", "not quite"},
}
INTENSIFIERS = {
    "es": {"muy", "super", "re", "demasiado", "totalmente", "absolutamente", "nada", "bastante", "tan", "mas"},
    "en": {"very", "so", "really", "extremely", "totally", "absolutely", "super", "too", "at all", "incredibly"},
}
HEDGES = {
    "es": {"creo", "quizas", "quiza", "tal vez", "supongo", "igual", "a lo mejor", "parece"},
    "en": {"i think", "maybe", "perhaps", "i guess", "probably", "seems", "i suppose"},
}
QUESTION_STARTS = {
    "es": {
        "como",
        "cuando",
        "donde",
        "cuanto",
        "cuanta",
        "cuantos",
        "que",
        "cual",
        "por que",
        "puedo",
        "pueden",
        "hay",
        "tienen",
        "hacen",
        "se puede",
    },
    "en": {
        "how",
        "when",
        "where",
        "what",
        "which",
        "why",
        "can",
        "could",
        "do",
        "does",
        "is",
        "are",
        "will",
        "would",
        "should",
        "any",
    },
}
POSITIVE_EMOJI = set("😍😊😀😃😄😁🥰😘👍👌🙌💯❤💖💕🔥⭐✨🎉🙂😎🤩💚💙")
NEGATIVE_EMOJI = set("😡😠🤬👎😤😞😢😭💩🙄😒😩😫😖☹🙁😑😐🤦💔")

N_FEATURES = 20


def _build(language: str) -> tuple[dict[str, float], tuple[tuple[str, float], ...]]:
    words: dict[str, float] = {}
    stems: list[tuple[str, float]] = []
    for table, sign in ((POSITIVE, 1.0), (NEGATIVE, -1.0)):
        for word in table[language]["words"].split():
            words.setdefault(word, sign)
        stems += [(stem, sign) for stem in table[language]["stems"].split()]
    stems.sort(key=lambda pair: -len(pair[0]))
    return words, tuple(stems)


_TABLES = {lang: _build(lang) for lang in ("es", "en")}


@lru_cache(maxsize=200_000)
def polarity(word: str, language: str) -> float:
    words, stems = _TABLES[language]
    if word in words:
        return words[word]
    if len(word) >= 4:
        for stem, sign in stems:
            if word.startswith(stem):
                return sign
    return 0.0


def _phrase_starts(tokens: list[str], phrases: set[str]) -> list[int]:
    hits = []
    for phrase in phrases:
        parts = phrase.split()
        n = len(parts)
        for i in range(len(tokens) - n + 1):
            if tokens[i : i + n] == parts:
                hits.append(i)
    return hits


def features(text: str, language: str) -> np.ndarray:
    language = language if language in _TABLES else "es"
    raw = text or ""
    norm = normalize_text(raw[:4000]).replace("n't", "nt").replace("’", "'").replace("'", "")
    tokens = _WORD.findall(norm)
    negators = NEGATORS[language]
    out = np.zeros(N_FEATURES, dtype=np.float32)
    if not tokens:
        return out
    # Scores of the whole text, the part before the last adversative, the part after it.
    adversative = _phrase_starts(tokens, ADVERSATIVE[language])
    concessive = _phrase_starts(tokens, CONCESSIVE[language])
    cut = max(adversative) if adversative else None
    pos = neg = pos_after = neg_after = flipped = 0.0
    scope = 0
    for i, token in enumerate(tokens):
        if token in ".,;:!?¿¡":
            scope = 0
            continue
        value = polarity(token, language)
        if token in negators:
            scope = 3
            continue
        if value and scope:
            value = -value * 0.8
            flipped += 1
        if scope:
            scope -= 1
        if value > 0:
            pos += value
            if cut is not None and i > cut:
                pos_after += value
        elif value < 0:
            neg -= value
            if cut is not None and i > cut:
                neg_after -= value
    n = len(tokens)
    joined = " ".join(tokens)
    emoji_pos = sum(ch in POSITIVE_EMOJI for ch in raw)
    emoji_neg = sum(ch in NEGATIVE_EMOJI for ch in raw)
    stripped = raw.strip()
    question = stripped.endswith("?") or stripped.startswith("¿") or (tokens[0] in QUESTION_STARTS[language])
    blocked = len(BLOCKED[language].findall(joined))
    out[:] = [
        np.tanh(pos / 2),
        np.tanh(neg / 2),
        np.tanh((pos - neg) / 2),
        np.tanh(pos_after / 2),
        np.tanh(neg_after / 2),
        np.tanh((pos_after - neg_after) / 2),
        1.0 if adversative else 0.0,
        1.0 if concessive else 0.0,
        min(flipped, 3) / 3,
        min(blocked, 2) / 2,
        1.0 if question else 0.0,
        1.0 if _phrase_starts(tokens, MILD[language]) else 0.0,
        min(len(_phrase_starts(tokens, INTENSIFIERS[language])), 3) / 3,
        1.0 if _phrase_starts(tokens, HEDGES[language]) else 0.0,
        min(raw.count("!"), 3) / 3,
        min(emoji_pos, 3) / 3,
        min(emoji_neg, 3) / 3,
        min(n, 60) / 60,
        1.0 if any(t in negators for t in tokens) else 0.0,
        1.0 if (pos == 0 and neg == 0) else 0.0,
    ]
    return out


def features_many(texts: list[str], languages: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, N_FEATURES), dtype=np.float32)
    return np.vstack([features(t, lang) for t, lang in zip(texts, languages, strict=True)])
