"""The topic classifier as a directory: encoders' names, topics, heads, thresholds, version.

A post is cleaned of page furniture (`classify.textprep`), its language read from its own text
(`classify.language`), and it takes one of four routes:
- `en` — English (or every language, when the configured encoder is multilingual): the title
  with each of up to `max_windows` body windows through the fast English encoder (the first
  `max_seq_length` tokens of each, an English post's CJK runs left out), one logistic
  regression per topic on each window, the windows' scores pooled by their maximum (a topic that
  arrives in the third paragraph still counts); for an English post that reading is mixed half
  and half with the English phrase model's (`classify.ngrams`: word n-grams of the whole post);
- `ml` — any other language, when a multilingual encoder is configured: title and body through
  it (multilingual-e5-small, up to its `max_tokens`), the vector centred on its language's mean
  (`centred`), one logistic regression per topic; with `ml_passages`, also each of the post's
  passages, its best passage's probabilities averaged with the whole's (`pool_passages`);
- `en+ml` — an English post whose `en` score for some topic lies within `cascade_margin` of its
  threshold (the undecided ones), or every English post with `multilingual_english`: the
  multilingual encoder reads its opening too (title and body start, `ml_window_tokens`), and the
  two routes' probabilities are averaged: the encoders err on different posts, so the average
  settles the close calls;
- `zh` — Chinese without a multilingual encoder: a character n-gram TF-IDF model (the English
  encoder maps most Chinese characters to [UNK]).
Each route's probabilities are blended with the keyword lexicon; each route has its own per-topic
thresholds, chosen for recall (see train.py), and Chinese posts on `ml` have theirs. The English
encoder reads every English post, for the vector stored for `similar`; the multilingual vector
stored for story grouping (a post's opening) is read where the `ml` or `en+ml` route did not read
the opening, for the posts a cross-language story link can reach (`grouping_vectors`, asked by
the stage: `crackdown.archive.cross_language`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classify.language import detect_language
from classify.lexicon import CALIBRATION_KEYWORD_LANGUAGES, KEYWORD_LANGUAGES, Lexicon
from classify.ngrams import NgramModel, phrase_text
from classify.textprep import without_cjk
from classify.windows import MAX_WINDOWS, PASSAGE_CHARS, clean_post, window_texts

log = logging.getLogger(__name__)

LEXICON_WEIGHT = 0.25   # share of the score that comes from the keyword lexicon
PHRASE_SHARE = 0.5      # share of an English post's English-route reading from its phrases
NGRAM_CHARS = 700       # the n-gram route reads the title and the start of the body
ROUTES = ("en", "ml", "zh", "en+ml")
NGRAM_FILES = {"zh_pipeline": "zh_ngram.npz", "phrases": "en_phrases.npz"}   # in the model directory
METHODS = {"en": "embedding+lexicon", "ml": "multilingual+lexicon", "zh": "ngram+lexicon",
           "en+ml": "embedding+multilingual+lexicon"}


def blend(probs: np.ndarray, lex: np.ndarray, langs: list[str],
          calibrating: bool = False) -> np.ndarray:
    """The score: the encoder's probabilities with the keyword lexicon's LEXICON_WEIGHT share;
    a post in a language the keyword lists are not written in gets the probabilities alone, and
    so does one in CLASSIFY_ONLY_KEYWORD_LANGUAGES while thresholds are chosen (`calibrating`)."""
    scores = (1 - LEXICON_WEIGHT) * probs + LEXICON_WEIGHT * lex
    speaking = CALIBRATION_KEYWORD_LANGUAGES if calibrating else KEYWORD_LANGUAGES
    silent = [i for i, lang in enumerate(langs) if lang not in speaking]
    scores[silent] = probs[silent]
    return scores


def is_chinese(lang: str | None) -> bool:
    return (lang or "").lower().startswith("zh")


def ngram_text(title: str, body: str) -> str:
    return (f"{title}. {body}" if title else body)[:NGRAM_CHARS]


def multilingual_text(title: str, body: str) -> str:
    """What the multilingual encoder reads (it cuts the text to its own max_tokens)."""
    return f"{title}. {body}" if title else body


def reads_in_passages(lang: str | None) -> bool:
    """Posts in languages other than English are also read passage by passage (passage_readings):
    a second topic told in one sentence of a real post drowns in a reading of its whole opening,
    and the English route's phrase model, which keeps such sentences, reads English only."""
    return (lang or "en") != "en"


def passage_readings(posts: list[tuple[str, str]], token_counts: list[int], max_passages: int,
                     window_tokens: int) -> tuple[list[str], list[int]]:
    """The passages of each (title, cleaned body) post: "title. passage" for consecutive pieces of
    ~PASSAGE_CHARS of its body, up to `max_passages`, with the index of the post each belongs to.
    A post that is one passage of at most `window_tokens` tokens (`token_counts`, of its
    multilingual_text) has none: its one passage is the opening already read."""
    texts: list[str] = []
    owners: list[int] = []
    for k, ((title, body), count) in enumerate(zip(posts, token_counts)):
        passages = window_texts(title, body, max_passages, PASSAGE_CHARS)
        if len(passages) == 1 and count <= window_tokens:
            continue
        texts += passages
        owners += [k] * len(passages)
    return texts, owners


def pool_passages(whole: np.ndarray, passage_probs: np.ndarray, owners: list[int]) -> np.ndarray:
    """Per topic, the mean of a post's whole reading and its best passage's (posts without
    passages keep their whole reading). The best passage alone read our dev posts worse; the
    mean keeps what the whole post says and adds the sentence that says it most clearly."""
    best = np.full(whole.shape, -np.inf)
    np.maximum.at(best, np.asarray(owners, dtype=int), passage_probs)
    read = np.isfinite(best[:, 0])
    out = whole.copy()
    out[read] = (whole[read] + best[read]) / 2
    return out


@dataclass
class Prediction:
    labels: list[str]
    scores: dict[str, float]
    method: str
    lang: str = "en"
    vector: np.ndarray | None = None   # the English-encoder embedding to store (English posts)
    ml_vector: np.ndarray | None = None   # the multilingual encoder's, of title and body start


def centre_key(lang: str | None) -> str:
    """The language whose mean multilingual vector a post's vector is centred on."""
    return "zh" if is_chinese(lang) else (lang or "en").lower()


def centred(vectors: np.ndarray, langs: list[str], centres: dict[str, np.ndarray]) -> np.ndarray:
    """Each vector less its language's mean training vector (the mean of all of them for a
    language without one), renormalised: what the multilingual encoder says about the language
    a post is written in is taken out, and what it says about the topic stays."""
    if not centres:
        return vectors
    fallback = centres.get("*")
    out = np.array(vectors, dtype=np.float32, copy=True)
    for i, lang in enumerate(langs):
        centre = centres.get(centre_key(lang), fallback)
        if centre is not None:
            out[i] -= centre
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


NEIGHBOURS = 3   # how many nearest training examples on each side give their evidence


def neighbour_evidence(vectors: np.ndarray, examples: np.ndarray, labels: np.ndarray,
                       k: int = NEIGHBOURS) -> np.ndarray:
    """Per topic: the mean cosine of each vector's `k` nearest examples that carry the topic, less
    that of its `k` nearest that do not (vectors and examples are normalised)."""
    sims = vectors @ examples.T
    out = np.zeros((len(vectors), labels.shape[1]))
    for j in range(labels.shape[1]):
        for side, sign in ((labels[:, j], 1.0), (~labels[:, j], -1.0)):
            pool = sims[:, side]
            if pool.shape[1]:
                top = min(k, pool.shape[1])
                out[:, j] += sign * np.partition(pool, -top, axis=1)[:, -top:].mean(axis=1)
    return out


@dataclass
class Head:
    """One logistic regression per topic on one encoder's vectors, and its thresholds. With
    `examples`, the training vectors, the nearest of them add `weight` times their evidence
    (`neighbour_evidence`) to the regression's log-odds: a post told the way only a few examples
    are told is read like them, which one straight boundary per topic cannot do."""

    coef: np.ndarray          # (topics, dim)
    intercept: np.ndarray     # (topics,)
    thresholds: np.ndarray    # (topics,)
    examples: np.ndarray | None = None   # (examples, dim)
    labels: np.ndarray | None = None     # (examples, topics), bool
    weight: float = 0.0

    def probs(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.coef.T + self.intercept
        if self.examples is not None and self.weight:
            logits = logits + self.weight * neighbour_evidence(vectors, self.examples, self.labels)
        return 1.0 / (1.0 + np.exp(-logits))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        arrays = {f"{prefix}coef": self.coef, f"{prefix}intercept": self.intercept,
                  f"{prefix}thresholds": self.thresholds}
        if self.examples is not None:
            arrays.update({f"{prefix}examples": self.examples, f"{prefix}labels": self.labels,
                           f"{prefix}weight": np.array(self.weight)})
        return arrays

    @classmethod
    def from_arrays(cls, data, prefix: str) -> Head | None:
        if f"{prefix}coef" not in data:
            return None
        head = cls(data[f"{prefix}coef"], data[f"{prefix}intercept"], data[f"{prefix}thresholds"])
        if f"{prefix}examples" in data:
            head.examples, head.labels = data[f"{prefix}examples"], data[f"{prefix}labels"]
            head.weight = float(data[f"{prefix}weight"])
        return head


def english_reading(title: str, body: str, lang: str, multilingual: bool) -> tuple[str, str]:
    """The (title, body) the English encoder reads of a cleaned post: an English post's CJK runs
    left out (`without_cjk`), unless that encoder reads every language itself."""
    if lang != "en" or multilingual:
        return title, body
    return without_cjk(title), without_cjk(body)


@dataclass
class TopicModel:
    version: str
    topics: list[str]
    encoder_name: str
    max_seq_length: int
    en: Head
    ml: Head | None = None            # the multilingual head (None: no multilingual encoder)
    ml_encoder_name: str = ""
    zh_pipeline: object | None = None  # Chinese NgramModel (or its file, loaded at first use)
    zh_thresholds: np.ndarray | None = None
    lexicon_topics: list = field(default_factory=list)   # TopicConfig, for the lexicon
    metrics: dict = field(default_factory=dict)
    multilingual: bool = False        # the English-route encoder reads every language
    max_windows: int = MAX_WINDOWS
    cascade_margin: float = 0.0       # English posts this close to a threshold get a second opinion
    ml_english: bool = False          # English posts are read by both encoders (route en+ml)
    both_thresholds: np.ndarray | None = None   # the en+ml route's, chosen on English posts
    phrases: object | None = None     # English phrase NgramModel (or its file, loaded at first use)
    ml_window_tokens: int = 128       # of an English post (its opening), read by the multilingual encoder
    ml_centres: dict = field(default_factory=dict)   # language -> mean multilingual training vector
    ml_passages: int = 0              # passages read besides the opening (reads_in_passages)
    ml_chinese_thresholds: np.ndarray | None = None   # the ml route's, for Chinese posts
    _lexicon: Lexicon | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def lexicon(self) -> Lexicon:
        """The keyword lexicon, compiled at first use (a few hundred keywords: ~35 ms)."""
        if self._lexicon is None:
            self._lexicon = Lexicon(self.lexicon_topics)
        return self._lexicon

    def route(self, lang: str | None) -> str:
        """Which route a post in `lang` (as detected) takes."""
        if self.multilingual:
            return "en"
        if (lang or "en") == "en":
            return "en+ml" if self.ml_english and self.ml is not None else "en"
        if self.ml is not None:
            return "ml"
        return "zh" if is_chinese(lang) else "en"

    # --- scoring -----------------------------------------------------------------------------
    def _loaded(self, name: str):
        """An n-gram model attribute, loaded from its file at first use (its vocabulary takes
        ~0.2 s, which a run with nothing to read that way never pays)."""
        value = getattr(self, name)
        if isinstance(value, Path):
            value = NgramModel.load(value)
            setattr(self, name, value)
        return value

    def _phrase_probs(self, texts: list[str]) -> np.ndarray | None:
        phrases = self._loaded("phrases")
        return phrases.probs(texts) if phrases is not None else None

    def _ngram_probs(self, texts: list[str]) -> np.ndarray:
        pipeline = self._loaded("zh_pipeline")
        return pipeline.probs(texts) if pipeline is not None else np.zeros((len(texts), len(self.topics)))

    def predict(self, titles: list[str], bodies: list[str], langs: list[str | None],
                encoder=None, ml_encoder=None, route: str | None = None,
                calibrating: bool = False) -> list[Prediction]:
        """Predict topics. `langs` are hints (a source's language); each post's own text decides.

        `encoder` embeds the en route's windows, `ml_encoder` the ml route's posts: anything with
        `encode(texts) -> (n, dim)` normalised vectors. `route` sends every post one way
        (training calibrates a route's thresholds on all the posts it can read), and
        `calibrating` scores the posts as training does when it chooses thresholds (`blend`).
        """
        cleaned = [clean_post(t, b) for t, b in zip(titles, bodies)]
        detected = [detect_language(f"{t}\n{b}", hint) for (t, b), hint in zip(cleaned, langs)]
        routes = [route or self.route(lang) for lang in detected]
        lex = self.lexicon.matrix([t for t, _ in cleaned], [b for _, b in cleaned])
        lex = lex[:, [self.lexicon.topics.index(k) for k in self.topics]]
        probs = np.zeros((len(cleaned), len(self.topics)))
        en_probs: dict[int, np.ndarray] = {}
        vectors: dict[int, np.ndarray] = {}

        # The English encoder reads every English post (its vector is the one stored, for
        # `similar`) and every post on a route that uses it.
        read_idx = sorted({*(i for i, r in enumerate(routes) if r in ("en", "en+ml")),
                           *(i for i, lang in enumerate(detected) if lang == "en")})
        if read_idx:
            windows = [window_texts(*english_reading(*cleaned[i], detected[i], self.multilingual),
                                    max_windows=self.max_windows) for i in read_idx]
            flat = encoder.encode([w for ws in windows for w in ws])
            # Every window through the head at once: its nearest-example search is then one
            # matrix product, not one per post (~8% of a run over 1,000 short English posts).
            flat_probs = self.en.probs(flat)
            start = 0
            for i, ws in zip(read_idx, windows):
                stop = start + len(ws)
                en_probs[i] = flat_probs[start:stop].max(axis=0)
                mean = flat[start:stop].mean(axis=0)
                vectors[i] = (mean / (np.linalg.norm(mean) or 1.0)).astype(np.float32)
                start = stop
            # An English post's reading is half its windows' and half its phrases' (ngrams.py).
            english = [i for i in read_idx if detected[i] == "en"]
            phrase = self._phrase_probs([phrase_text(*cleaned[i]) for i in english])
            if phrase is not None:
                for i, p in zip(english, phrase):
                    en_probs[i] = (1 - PHRASE_SHARE) * en_probs[i] + PHRASE_SHARE * p
        ml_idx = [i for i, r in enumerate(routes) if r in ("ml", "en+ml")]
        ml_probs, ml_vectors = self._ml_probs(ml_idx, cleaned, detected, ml_encoder)
        for i, way in enumerate(routes):
            if way == "en":
                probs[i] = en_probs[i]
            elif way == "ml":
                probs[i] = ml_probs[i]
            elif way == "en+ml":   # both encoders' readings, weighed equally
                probs[i] = (en_probs[i] + ml_probs[i]) / 2
        zh_idx = [i for i, r in enumerate(routes) if r == "zh"]
        if zh_idx:
            probs[zh_idx] = self._ngram_probs([ngram_text(*cleaned[i]) for i in zh_idx])

        scores = blend(probs, lex, detected, calibrating)
        en_idx = [i for i, r in enumerate(routes) if r == "en"]
        if en_idx and route is None and self.ml is not None and self.cascade_margin > 0:
            self._second_opinion(en_idx, cleaned, detected, scores, lex, routes, en_probs,
                                 ml_encoder, ml_vectors)
        out = []
        for i, way in enumerate(routes):
            thresholds = self.thresholds(way, detected[i])
            labels = [t for j, t in enumerate(self.topics) if scores[i, j] >= thresholds[j]]
            out.append(Prediction(labels, {t: float(scores[i, j]) for j, t in enumerate(self.topics)},
                                  METHODS[way], detected[i], vectors.get(i), ml_vectors.get(i)))
        return out

    def _ml_probs(self, idx: list[int], cleaned: list[tuple[str, str]], detected: list[str],
                  ml_encoder) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """The multilingual head's probabilities for posts `idx`, and each post's vector, both by
        post index.

        A post in another language is read as its title and body, up to the encoder's own
        max_tokens. An English post is read as its opening, cut to `ml_window_tokens`: the en
        route has read every window already, and reading the later ones here too bought nothing
        (dev 0.886 against 0.885) at up to `max_windows` times the cost. Training reads its
        examples the same way, each by its language. The vector (stored, for grouping a Chinese
        report with the English coverage of its event) is a post's opening, so that posts in two
        languages are compared like with like: it is returned for the posts read as their opening
        (every English post here, and the others that fit one window)."""
        probs: dict[int, np.ndarray] = {}
        vectors: dict[int, np.ndarray] = {}
        if not idx:
            return probs, vectors
        others = [i for i in idx if detected[i] != "en"]
        if others:
            texts = [multilingual_text(*cleaned[i]) for i in others]
            langs = [detected[i] for i in others]
            encoded = ml_encoder.encode(texts)
            counts = ml_encoder.token_counts(texts)
            read = self.ml.probs(centred(encoded, langs, self.ml_centres))
            if self.ml_passages:
                read = self._with_passages(read, [cleaned[i] for i in others], langs, counts,
                                           ml_encoder)
            probs.update(zip(others, read))
            # The reading is the stored vector when the post fits one window (it is then the
            # opening). A longer post's opening is a second reading, which the stage asks for
            # only when a story link can reach the post (`grouping_vectors`).
            vectors.update((others[k], encoded[k]) for k, n in enumerate(counts)
                           if n <= self.ml_window_tokens)
        english = [i for i in idx if detected[i] == "en"]
        if english:
            encoded = self._openings([multilingual_text(*cleaned[i]) for i in english], ml_encoder)
            probs.update(zip(english, self.ml.probs(
                centred(encoded, ["en"] * len(english), self.ml_centres))))
            vectors.update(zip(english, encoded))
        return probs, vectors

    def _with_passages(self, read: np.ndarray, posts: list[tuple[str, str]], langs: list[str],
                       counts: list[int], ml_encoder) -> np.ndarray:
        """`read` (the whole readings of `posts`) pooled with their passages' (pool_passages),
        for the posts that are read in passages."""
        pick = [k for k, lang in enumerate(langs) if reads_in_passages(lang)]
        texts, owners = passage_readings([posts[k] for k in pick], [counts[k] for k in pick],
                                         self.ml_passages, self.ml_window_tokens)
        if not texts:
            return read
        passage_probs = self.ml.probs(centred(self._openings(texts, ml_encoder),
                                              [langs[pick[k]] for k in owners], self.ml_centres))
        out = read.copy()
        out[pick] = pool_passages(read[pick], passage_probs, owners)
        return out

    def _second_opinion(self, en_idx: list[int], cleaned: list[tuple[str, str]],
                        detected: list[str], scores: np.ndarray, lex: np.ndarray,
                        routes: list[str], en_probs: dict[int, np.ndarray], ml_encoder,
                        ml_vectors: dict[int, np.ndarray]) -> None:
        """English posts within cascade_margin of a threshold take the en+ml route instead."""
        undecided = [i for i in en_idx
                     if (np.abs(scores[i] - self.en.thresholds) < self.cascade_margin).any()]
        second, vectors = self._ml_probs(undecided, cleaned, detected, ml_encoder)
        ml_vectors.update(vectors)
        if not undecided:
            return
        both = np.stack([(en_probs[i] + second[i]) / 2 for i in undecided])
        scores[undecided] = blend(both, lex[undecided], [detected[i] for i in undecided])
        for i in undecided:
            routes[i] = "en+ml"

    def _openings(self, texts: list[str], ml_encoder) -> np.ndarray:
        """The multilingual encoder's reading of each text's first `ml_window_tokens`: an English
        post's second opinion, and every stored multilingual vector."""
        return ml_encoder.with_max_tokens(self.ml_window_tokens).encode(texts)

    def grouping_vectors(self, titles: list[str], bodies: list[str], ml_encoder) -> np.ndarray:
        """Multilingual vectors for story grouping of posts whose opening no multilingual route
        read: English posts on the fast route, and longer posts in other languages (the stage asks
        after corrections, with the posts as archived: cleaned here as predict cleans them)."""
        return self._openings([multilingual_text(*clean_post(t, b)) for t, b in zip(titles, bodies)],
                              ml_encoder)

    def thresholds(self, route: str, lang: str | None = None) -> np.ndarray:
        """A route's per-topic thresholds; on the ml route, a Chinese post (`lang`) has its own."""
        if route == "en+ml" and self.both_thresholds is not None:
            return self.both_thresholds
        if route == "ml" and self.ml is not None:
            if is_chinese(lang) and self.ml_chinese_thresholds is not None:
                return self.ml_chinese_thresholds
            return self.ml.thresholds
        if route == "zh" and self.zh_thresholds is not None:
            return self.zh_thresholds
        return self.en.thresholds

    # --- persistence -------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays = self.en.arrays("en_")
        if self.ml is not None:
            arrays.update(self.ml.arrays("ml_"))
        if self.zh_thresholds is not None:
            arrays["zh_thresholds"] = self.zh_thresholds
        if self.both_thresholds is not None:
            arrays["both_thresholds"] = self.both_thresholds
        if self.ml_chinese_thresholds is not None:
            arrays["ml_chinese_thresholds"] = self.ml_chinese_thresholds
        if self.ml_centres:
            arrays["ml_centre_langs"] = np.array(sorted(self.ml_centres))
            arrays["ml_centres"] = np.stack([self.ml_centres[k] for k in sorted(self.ml_centres)])
        np.savez(directory / "heads.npz", **arrays)
        for name, file in NGRAM_FILES.items():
            if getattr(self, name) is not None:
                self._loaded(name).save(directory / file)
        thresholds = {route: self.thresholds(route)
                      for route in ROUTES if route in ("en", "zh") or self.ml is not None}
        if self.ml_chinese_thresholds is not None:
            thresholds["ml (Chinese)"] = self.ml_chinese_thresholds
        (directory / "model.json").write_text(json.dumps({
            "version": self.version, "topics": self.topics, "encoder": self.encoder_name,
            "ml_encoder": self.ml_encoder_name, "max_seq_length": self.max_seq_length,
            "multilingual": self.multilingual, "max_windows": self.max_windows,
            "cascade_margin": self.cascade_margin, "ml_english": self.ml_english,
            "ml_window_tokens": self.ml_window_tokens, "ml_passages": self.ml_passages,
            "thresholds": {name: dict(zip(self.topics, map(float, values)))
                           for name, values in thresholds.items()},
            "metrics": self.metrics,
        }, indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, lexicon_topics: list) -> TopicModel:
        meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
        heads = np.load(directory / "heads.npz")
        return cls(version=meta["version"], topics=meta["topics"], encoder_name=meta["encoder"],
                   max_seq_length=meta["max_seq_length"], en=Head.from_arrays(heads, "en_"),
                   ml=Head.from_arrays(heads, "ml_"), ml_encoder_name=meta.get("ml_encoder", ""),
                   **{name: directory / file if (directory / file).exists() else None
                      for name, file in NGRAM_FILES.items()},
                   zh_thresholds=heads["zh_thresholds"] if "zh_thresholds" in heads else None,
                   both_thresholds=heads["both_thresholds"] if "both_thresholds" in heads else None,
                   ml_chinese_thresholds=(heads["ml_chinese_thresholds"]
                                          if "ml_chinese_thresholds" in heads else None),
                   lexicon_topics=lexicon_topics, metrics=meta.get("metrics", {}),
                   multilingual=meta.get("multilingual", False),
                   max_windows=meta.get("max_windows", 4),
                   cascade_margin=meta.get("cascade_margin", 0.0),
                   ml_english=meta.get("ml_english", False),
                   ml_window_tokens=meta.get("ml_window_tokens", 128),
                   ml_passages=meta.get("ml_passages", 0),
                   ml_centres=(dict(zip(heads["ml_centre_langs"].tolist(), heads["ml_centres"]))
                               if "ml_centres" in heads else {}))
