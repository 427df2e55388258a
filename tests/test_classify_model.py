"""The trained topic model: quality on the held-out split, the int8 encoder, language routing, lexicon."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pytest

from classify.classifier import TopicModel
from classify.default_keywords import DEFAULT_KEYWORDS
from classify.embedding_cache import cache_dir
from classify.encoder import Encoder
from classify.lexicon import Lexicon, keyword_pattern
from classify.train import calibration_rows, model_directory
from crackdown.config import DEFAULT_TOPICS
from tests.classify_support import trained  # noqa: F401  (session fixture)
from tests.conftest import REPO


def test_heldout_macro_f1_meets_the_bar(trained):  # noqa: F811
    _, _, model = trained
    report = model.metrics["heldout"]
    assert report["examples"] >= 200
    assert report["macro"]["f1"] >= 0.85, json.dumps(report["per_topic"], indent=1)
    # Thresholds are chosen for realistic text (precision >= 0.8 on the dev split), which costs the
    # seed split's loosely worded policy announcements some recall: its floor is 0.5, not 0.6.
    weakest = min(m["f1"] for m in report["per_topic"].values())
    assert weakest >= 0.5, json.dumps(report["per_topic"], indent=1)


def test_realistic_test_split_keeps_recall_where_sellers_get_hurt(trained):  # noqa: F811
    """A regression floor on the realistic test split (it decides nothing: see the README)."""
    from classify.data_io import TEST_FILE, read_jsonl
    from classify.evaluate import score_predictions

    _, config, model = trained
    rows = read_jsonl(TEST_FILE)
    preds = model.predict([r["title"] for r in rows], [r["text"] for r in rows],
                          [r.get("lang") for r in rows], **_encoders(config))
    report = score_predictions(model.topics, [r["labels"] for r in rows], [p.labels for p in preds])
    assert report["examples"] >= 200
    assert report["macro"]["f1"] >= 0.8 and report["macro"]["recall"] >= 0.85, report["macro"]
    # The landed classifier had 0.52, 0.48 and 0.69 here; the int8 export varies a little per
    # model_dir, so the floor leaves room for that, not for the old misses.
    for topic in ("funds_hold", "listing_takedown", "verification"):
        assert report["per_topic"][topic]["recall"] >= 0.7, (topic, report["per_topic"][topic])


def test_model_directory_round_trips(trained):  # noqa: F811
    path, config, model = trained
    # Other tests retrain in the same model_dir (with corrections): take this model's own folder.
    folder = model_directory(config, model.version)
    loaded = TopicModel.load(folder, list(config.topics))
    assert loaded.version == model.version and loaded.topics == model.topics
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    assert all(set(meta["thresholds"][route]) == set(config.topic_ids())
               for route in ("en", "ml", "en+ml"))
    assert np.array_equal(loaded.both_thresholds, model.both_thresholds)
    assert np.array_equal(loaded.ml_chinese_thresholds, model.ml_chinese_thresholds)
    assert set(meta["thresholds"]["ml (Chinese)"]) == set(config.topic_ids())
    assert loaded.ml_window_tokens == model.ml_window_tokens == config.classify.multilingual_window_tokens
    assert loaded.ml_passages == model.ml_passages == config.classify.multilingual_passages == 6
    assert (folder / "en_phrases.npz").exists()   # the English phrase model travels with it
    for head, original in ((loaded.en, model.en), (loaded.ml, model.ml)):   # and each head's examples
        assert np.array_equal(head.examples, original.examples) and head.weight == original.weight
    assert loaded.ml_centres.keys() == model.ml_centres.keys()   # and the languages' mean vectors
    assert all(np.array_equal(loaded.ml_centres[k], v) for k, v in model.ml_centres.items())
    posts = [("Amazon suspends hundreds of seller accounts", "Sellers report deactivations.", "en"),
             ("亚马逊封号潮", "大批卖家账号被封，资金被冻结。", "zh")]
    a = model.predict(*map(list, zip(*posts)), **_encoders(config))
    b = loaded.predict(*map(list, zip(*posts)), **_encoders(config))
    for x, y in zip(a, b):
        assert x.labels == y.labels and x.scores == pytest.approx(y.scores, abs=1e-6)


def _encoder(config):
    from classify.stage import config_encoder

    return config_encoder(config)


def _ml_reading(model, encoders: dict, texts: list[str], langs: list[str]) -> np.ndarray:
    """The multilingual head's probabilities for texts in `langs`, each vector centred on its
    language's mean, as the ml route reads them."""
    from classify.classifier import centred

    return model.ml.probs(centred(encoders["ml_encoder"].encode(texts), langs, model.ml_centres))


def _encoders(config) -> dict:
    from classify.stage import config_ml_encoder

    return {"encoder": _encoder(config), "ml_encoder": config_ml_encoder(config)}


def test_int8_onnx_encoder_is_used_and_close_to_torch(trained):  # noqa: F811
    _, config, _ = trained
    encoder = _encoder(config)
    assert encoder.backend == "onnx-int8"
    # Exported once per machine into the cache folder, which every model_dir shares.
    exports = list(cache_dir().glob("onnx/*/seq*/export.json"))
    assert exports and json.loads(exports[0].read_text())["min_cosine"] >= 0.98
    assert not (config.classify.model_dir / "onnx").exists()
    torch_encoder = Encoder(config.classify.model, config.classify.max_seq_length, prefer_onnx=False)
    assert torch_encoder.backend == "torch"
    texts = ["Etsy put a 75% reserve on my shop after my best month ever; payouts are held for 45 days.",
             "Walmart asks marketplace sellers to re-verify their business documents by video call.",
             "Prime Day dates confirmed"]
    cosine = (encoder.encode(texts) * torch_encoder.encode(texts)).sum(axis=1)
    assert cosine.min() >= 0.98, cosine


def test_clear_posts_get_their_topics_in_both_languages(trained):  # noqa: F811
    _, config, model = trained
    posts = [
        ("Amazon deactivates seller accounts in sweep over paid reviews",
         "Dozens of sellers say their accounts were suspended this week after Amazon found they "
         "offered refunds in exchange for five-star reviews.", "en", {"store_closure", "review_abuse"}),
        ("Etsy holds payouts for new shops", "Etsy is placing a reserve on funds of some sellers "
         "and releasing payouts only after orders are delivered.", "en", {"funds_hold"}),
        ("Q1 results: marketplace revenue up 20%", "The company reported strong quarterly earnings "
         "and said advertising revenue grew faster than expected.", "en", set()),
        ("速卖通冻结大批卖家资金", "多名卖家反映账户资金被冻结，暂停放款，平台称正在风控审查。", "zh",
         {"funds_hold"}),
        ("深圳卖家分享旺季备货经验", "今年海运价格回落，卖家提前两个月备货，广告预算也增加了。", "zh", set()),
    ]
    preds = model.predict([p[0] for p in posts], [p[1] for p in posts], [p[2] for p in posts],
                          **_encoders(config))
    for post, pred in zip(posts, preds):
        assert post[3] <= set(pred.labels), (post[0], pred.scores)
        if not post[3]:
            assert pred.labels == [], (post[0], pred.scores)
    # English posts take the English encoder (a close call gets the multilingual one's second
    # opinion too), and keep its vector for `similar` and story grouping.
    assert all(p.method.startswith("embedding+") for p in preds[:3])
    assert [p.method for p in preds[3:]] == ["multilingual+lexicon"] * 2
    assert [p.vector is not None for p in preds] == [True] * 3 + [False] * 2


def test_posts_are_routed_by_the_language_of_their_own_text(trained):  # noqa: F811
    _, config, model = trained
    assert _encoder(config).reads_chinese is False and model.multilingual is False
    assert not model.ml_english and model.route("en") == "en"
    assert model.route("zh") == "ml" and model.route("de") == "ml"
    # The source says English; the post is German: the multilingual route reads it.
    german = ("Amazon sperrt Händlerkonten", "Seit Montag sind die Konten von mehreren hundert Händlern "
              "gesperrt, und die Auszahlungen werden zurückgehalten, bis die Prüfung abgeschlossen ist.")
    english = ("Amazon suspends seller accounts", "Hundreds of sellers were suspended on Monday.")
    preds = model.predict([german[0], english[0]], [german[1], english[1]], ["en", "en"],
                          **_encoders(config))
    assert [p.lang for p in preds] == ["de", "en"]
    assert "store_closure" in preds[0].labels and "store_closure" in preds[1].labels
    # Only English posts store an embedding (the English encoder's, for `similar`).
    assert preds[0].vector is None and preds[1].vector.shape == (384,)


def test_a_post_in_a_language_without_keywords_is_scored_by_its_encoder_alone(trained):  # noqa: F811
    """The keyword lists are not written in Greek: for such a post the lexicon is silent, so its
    score is the multilingual head's probability, not three quarters of it."""
    from classify.classifier import LEXICON_WEIGHT, multilingual_text
    from classify.lexicon import Lexicon
    from classify.windows import clean_post

    _, config, model = trained
    encoders = _encoders(config)
    posts = [("Το κατάστημά μας στο Skroutz ανεστάλη οριστικά", "Το κατάστημά μας ανεστάλη "
              "οριστικά χθες και οι πληρωμές μας παρακρατούνται για 90 ημέρες. Η ομάδα λέει ότι "
              "παραβιάσαμε την πολιτική αξιολογήσεων."),
             ("Amazon sperrt Händlerkonten", "Seit Montag ist mein Verkäuferkonto gesperrt, und die "
              "Auszahlungen werden zurückgehalten, bis die Prüfung abgeschlossen ist.")]
    preds = model.predict([p[0] for p in posts], [p[1] for p in posts], ["en", "en"], **encoders)
    assert [p.lang for p in preds] == ["el", "de"]
    assert [p.method for p in preds] == ["multilingual+lexicon"] * 2   # never the English encoder
    texts = [multilingual_text(*clean_post(*p)) for p in posts]
    probs = _ml_reading(model, encoders, texts, ["el", "de"])
    lex = Lexicon(model.lexicon_topics).matrix([p[0] for p in posts], [p[1] for p in posts])
    greek = [preds[0].scores[t] for t in model.topics]
    german = [preds[1].scores[t] for t in model.topics]
    assert greek == pytest.approx(probs[0], abs=1e-6)
    assert german == pytest.approx((1 - LEXICON_WEIGHT) * probs[1] + LEXICON_WEIGHT * lex[1], abs=1e-6)
    assert lex[1].max() > 0   # the German keywords did fire: the blend above is not trivial


def test_newer_keyword_lists_count_when_classifying_but_not_when_thresholds_are_chosen(trained):  # noqa: F811
    """Korean, Vietnamese, Turkish, Indonesian, Thai and Arabic have keyword lists: a post in them
    is scored with its keywords, while training chooses thresholds on the encoder's reading alone
    (`calibrating`), so that their few examples and short lists do not move the thresholds that
    Chinese and the other languages share."""
    from classify.classifier import LEXICON_WEIGHT, multilingual_text
    from classify.lexicon import Lexicon
    from classify.windows import clean_post

    _, config, model = trained
    encoders = _encoders(config)
    post = ("쿠팡, 위조 상품 판매자 정산 보류 180일로 연장",
            "쿠팡이 다음 달부터 위조 상품을 판매한 판매자의 정산 보류 기간을 최대 180일로 늘린다.")
    classified = model.predict([post[0]], [post[1]], [None], **encoders)[0]
    calibrated = model.predict([post[0]], [post[1]], [None], calibrating=True, **encoders)[0]
    assert classified.lang == "ko" and classified.method == "multilingual+lexicon"
    probs = _ml_reading(model, encoders, [multilingual_text(*clean_post(*post))], ["ko"])[0]
    lex = Lexicon(model.lexicon_topics).matrix([post[0]], [post[1]])[0]
    funds, fakes = model.topics.index("funds_hold"), model.topics.index("counterfeit_ip")
    assert lex[funds] == 1.0 and lex[fakes] == 1.0   # 정산 보류 and 위조 상품, in the title
    assert [calibrated.scores[t] for t in model.topics] == pytest.approx(probs, abs=1e-6)
    assert [classified.scores[t] for t in model.topics] == pytest.approx(
        (1 - LEXICON_WEIGHT) * probs + LEXICON_WEIGHT * lex, abs=1e-6)
    assert classified.scores["funds_hold"] > calibrated.scores["funds_hold"]
    assert "funds_hold" in classified.labels


def test_training_chooses_thresholds_with_the_newer_keyword_lists_silent():
    from classify.train import EMBEDDING_C, _oof_blended

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 8))
    y = np.zeros((40, 2), dtype=bool)
    y[::2, 0] = y[::3, 1] = True
    w = np.ones(40)
    with_keywords, without = np.ones((40, 2)), np.zeros((40, 2))
    for lang, silent in (("ko", True), ("th", True), ("de", False)):
        langs = [lang] * 40
        same = np.allclose(_oof_blended(x, y, w, with_keywords, langs, EMBEDDING_C),
                           _oof_blended(x, y, w, without, langs, EMBEDDING_C))
        assert same == silent, lang


def test_english_posts_can_be_read_by_both_encoders(trained):  # noqa: F811
    """By default English posts take the English encoder's windows and phrases;
    multilingual_english = true sends every one through both encoders."""
    _, config, model = trained
    post = ("Etsy holds payouts for new shops", "Etsy is placing a reserve on funds of some sellers "
            "and releasing payouts only after orders are delivered.")
    assert not model.ml_english
    margin, model.cascade_margin = model.cascade_margin, 0.0
    try:
        fast = model.predict([post[0]], [post[1]], ["en"], **_encoders(config))[0]
        model.ml_english = True
        read_by_both = model.predict([post[0]], [post[1]], ["en"], **_encoders(config))[0]
    finally:
        model.cascade_margin, model.ml_english = margin, False
    assert fast.method == "embedding+lexicon"
    assert read_by_both.method == "embedding+multilingual+lexicon"
    assert "funds_hold" in fast.labels and "funds_hold" in read_by_both.labels
    assert fast.scores != read_by_both.scores
    # The stored vector is the English encoder's either way.
    assert np.allclose(fast.vector, read_by_both.vector)


def test_the_topic_deep_in_a_long_english_post_is_found(trained):  # noqa: F811
    """With max_windows raised, an English post's later body windows are read too."""
    from classify.windows import window_texts

    _, config, model = trained
    assert model.max_windows == config.classify.max_windows == 1   # the default: the opening
    sentence = ("Our team spent the quarter reworking packaging, photography and pricing for the "
                "spring catalogue, and we compared freight quotes from four forwarders. ")
    late = ("Then, last Tuesday, Amazon suspended our seller account and froze the remaining "
            "balance; support says the funds stay on hold for 90 days and will not tell us why. ")
    # The news opens the third window (its first 64 tokens are what the encoder reads of it).
    filler, news = sentence * 9, sentence * 6 + late + sentence * 3
    windows = window_texts("Notes from a hard quarter", news, 3)
    assert len(windows) == 3 and windows[-1].startswith(f"Notes from a hard quarter. {late}")
    titles, langs = ["Notes from a hard quarter"] * 2, ["en", "en"]
    opening = model.predict(titles[:1], [news], langs[:1], **_encoders(config))[0]
    model.max_windows = 3
    try:
        short, long_ = model.predict(titles, [filler, news], langs, **_encoders(config))
    finally:
        model.max_windows = 1
    assert "funds_hold" not in short.labels and "store_closure" not in short.labels
    assert {"funds_hold", "store_closure"} & set(long_.labels), long_.scores
    # Read by its opening alone, the post scores lower on both (its phrases still see the news).
    assert all(opening.scores[t] < long_.scores[t] for t in ("funds_hold", "store_closure"))


def test_a_chinese_thread_quoting_an_english_notice_is_read_for_the_notice(trained):  # noqa: F811
    """A Chinese seller forum thread that quotes Amazon's English deactivation notice is detected
    as English; its Chinese title and forum chrome would fill the encoder's 64 tokens before the
    notice, so the English encoder reads the English alone (the lexicon and phrases read it all)."""
    from classify.classifier import english_reading

    _, config, model = trained
    title = "美国站新号刚下店就被停用了，邮件说要补充材料，大家帮忙看看怎么申诉"
    body = ("所在版块：亚马逊运营交流 楼主：深圳小卖家 发帖18次 回帖互动302次 积分1250 注册时间2019年 "
            "最后登录：昨天 原帖如下：\n"
            "Hello, your Amazon seller account has been deactivated and your listings have been removed "
            "from the site. Funds in your account will be held while we review the information you "
            "provide. Why did this happen? We found that you may be operating more than one selling "
            "account, which is not allowed under our policies. How do I reactivate my account? Submit "
            "an appeal with a plan of action that explains the root cause, the actions you have "
            "taken and the steps you will take to prevent this in the future, together with the "
            "documents listed below. If you do not appeal, your account will remain deactivated "
            "and we will not be able to transfer the funds in your account to you.")
    notice = body[body.index("Hello"):]
    title_read, body_read = english_reading(title, body, "en", False)
    assert title_read == "" and body_read.endswith(notice) and len(body_read) < len(notice) + 20
    assert english_reading(title, body, "zh", False) == (title, body)   # other routes read it whole
    assert english_reading(title, body, "en", True) == (title, body)    # a multilingual encoder too
    read = model.predict([title], [body], ["zh"], **_encoders(config))[0]
    assert read.lang == "en" and "store_closure" in read.labels, read.scores
    model.multilingual = True   # the same encoder reading the Chinese too, for comparison
    try:
        whole = model.predict([title], [body], ["zh"], **_encoders(config))[0]
    finally:
        model.multilingual = False
    assert read.scores["store_closure"] > whole.scores["store_closure"]


def test_a_topic_told_late_in_another_language_is_read_in_its_passages(trained):  # noqa: F811
    """A German report on fees and logistics whose last paragraph tells of closures: the whole
    reading (256 tokens) stops partway into it, the paragraph's passage reads as closures, and the post's
    score for them rises (the mean of the two: a topic told in one passage alone still needs the
    rest of the post, or its keywords, to reach the threshold)."""
    _, config, model = trained
    title = "Was Händler im vierten Quartal erwartet"
    body = ("Das Weihnachtsgeschäft beginnt für viele Händler schon im Oktober. Amazon hat die "
            "Einlagerungsfristen für die Logistikzentren veröffentlicht, und wer zu spät liefert, "
            "zahlt höhere Lagergebühren. Die Paketdienste kündigen Zuschläge für die Hochsaison an, "
            "und mehrere Speditionen berichten von knappen Kapazitäten im Seeverkehr aus Asien. "
            "Ein Händler aus Köln rechnet vor, dass seine Versandkosten pro Paket um fast zehn "
            "Prozent gestiegen sind. Viele planen deshalb ihre Werbebudgets neu und setzen stärker "
            "auf eigene Shops und Newsletter. Auch die Retouren bleiben ein Thema: Nach den "
            "Feiertagen kommen bis zu einem Drittel der Kleidung zurück, und die Bearbeitung kostet "
            "Zeit und Geld. Branchenverbände raten, die Preise früh festzulegen, Rabattaktionen "
            "sorgfältig zu kalkulieren und die Lagerbestände wöchentlich zu prüfen. Wer Ware aus "
            "Asien bezieht, sollte Puffer für verspätete Container einplanen und die Zollpapiere "
            "rechtzeitig vorbereiten.\n\n"
            "Und dann das: Amazon hat in dieser Woche Dutzende Verkäuferkonten gesperrt. Die "
            "betroffenen Händler können nichts mehr verkaufen, ihre Shops sind geschlossen, und "
            "ihre Widersprüche wurden abgelehnt. Ein Händler spricht von einer Sperrwelle.")
    encoders = _encoders(config)
    assert encoders["ml_encoder"].token_counts([f"{title}. {body}"])[0] > 256   # past the whole reading
    passages = model.predict([title], [body], ["de"], **encoders)[0]
    model.ml_passages = 0
    try:
        whole = model.predict([title], [body], ["de"], **encoders)[0]
    finally:
        model.ml_passages = config.classify.multilingual_passages
    assert whole.scores["store_closure"] < 0.05, whole.scores
    assert passages.scores["store_closure"] > whole.scores["store_closure"] + 0.1, passages.scores
    assert passages.scores["funds_hold"] < 0.1   # the other topics stay where they were


def test_chinese_posts_on_the_multilingual_route_have_thresholds_of_their_own(trained):  # noqa: F811
    """Read in passages, Chinese posts take the route's chosen thresholds less a smaller shift than
    the other languages (train.CHINESE_PASSAGE_THRESHOLD_SHIFT), and are judged against them."""
    from classify.train import CHINESE_PASSAGE_THRESHOLD_SHIFT, MIN_THRESHOLD, PASSAGE_THRESHOLD_SHIFT

    _, config, model = trained
    chinese, others = model.thresholds("ml", "zh-tw"), model.thresholds("ml", "de")
    assert np.array_equal(others, model.ml.thresholds)
    raised = others > MIN_THRESHOLD + 1e-9    # a threshold at the floor may stay there
    assert np.allclose((chinese - others)[raised],
                       PASSAGE_THRESHOLD_SHIFT - CHINESE_PASSAGE_THRESHOLD_SHIFT)
    posts = [("亚马逊封号潮", "大批卖家账号被封，店铺关闭，资金被冻结。", "zh"),
             ("Amazon sperrt Händlerkonten", "Viele Verkäuferkonten wurden gesperrt, Shops geschlossen.",
              "de")]
    before = model.predict(*map(list, zip(*posts)), **_encoders(config))
    assert "store_closure" in before[0].labels and "store_closure" in before[1].labels
    saved = model.ml_chinese_thresholds
    model.ml_chinese_thresholds = np.full(len(model.topics), 1.01)   # above any score
    try:
        after = model.predict(*map(list, zip(*posts)), **_encoders(config))
    finally:
        model.ml_chinese_thresholds = saved
    assert after[0].labels == [] and after[1].labels == before[1].labels
    assert after[0].scores == pytest.approx(before[0].scores)   # the scores do not move


def test_each_route_is_calibrated_on_the_posts_it_serves():
    en_rows = np.array([True, False, True, False, False])          # training examples: English?
    dev_langs = np.array(["en", "de", "zh", "en"])
    dev_routes = np.array(["en+ml", "ml", "ml", "en+ml"])
    # The multilingual route serves the other languages only: English posts go en+ml.
    rows, mask = calibration_rows("ml", en_rows, dev_routes, dev_langs)
    assert rows.tolist() == [1, 3, 4] and mask.tolist() == [False, True, True, False]
    rows, mask = calibration_rows("en+ml", en_rows, dev_routes, dev_langs)
    assert rows is None and mask.tolist() == [True, False, False, True]
    # Trained on English alone, the multilingual route has nothing else to learn its thresholds on.
    rows, mask = calibration_rows("ml", np.ones(5, bool), dev_routes, dev_langs)
    assert rows is None and mask.all()


@pytest.mark.parametrize("constant", ["EMBEDDING_C", "NGRAM_C", "F_BETA", "MIN_PRECISION",
                                      "DEV_WEIGHT", "LEXICON_WEIGHT", "MIN_CENTRE_EXAMPLES",
                                      "PHRASE_SHARE", "PHRASE_C", "EN_NEIGHBOUR_WEIGHT",
                                      "ML_NEIGHBOUR_WEIGHT", "NEIGHBOURS", "PASSAGE_CHARS",
                                      "PASSAGE_THRESHOLD_SHIFT",
                                      "CHINESE_PASSAGE_THRESHOLD_SHIFT"])
def test_every_training_constant_is_part_of_the_model_version(monkeypatch, tmp_path, constant):
    """A cached model is reused only if it was trained the same way: its thresholds were chosen
    on scores that each of these constants shapes."""
    from classify import train
    from crackdown.config import Config

    config = Config(path=tmp_path / "config.toml")   # the defaults: only the constant changes
    example = [{"title": "Amazon suspends sellers", "text": "Accounts deactivated.",
                "labels": ["store_closure"]}]
    before = train.fingerprint(config, example, [])
    monkeypatch.setattr(train, constant, getattr(train, constant) * 1.2)
    assert train.fingerprint(config, example, []) != before


def test_centring_takes_out_the_language_and_keeps_the_topic():
    """Two posts on one topic in two languages differ by each language's offset; centred on their
    languages' means they read alike, and a language without a mean of its own takes the mean of
    all examples."""
    from classify.classifier import centred

    topic, other_topic = np.eye(4)[0], np.eye(4)[1]
    german, korean = np.array([0, 0, 3.0, 0]), np.array([0, 0, 0, 3.0])
    centres = {"de": german, "ko": korean, "*": (german + korean) / 2}
    raw = np.stack([topic + german, topic + korean, other_topic + german, topic + korean])
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    assert raw[0] @ raw[1] < raw[0] @ raw[2]   # raw, the language outweighs the topic
    out = centred(raw * np.linalg.norm(topic + german), ["de", "ko", "de", "sv"], centres)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert out[0] @ out[1] == pytest.approx(1.0) and out[0] @ out[2] == pytest.approx(0.0, abs=1e-6)
    assert not np.allclose(out[3], out[1])   # Swedish: centred on the mean of all, not on Korean
    assert centred(raw, ["de"] * 4, {}) is raw   # a model without centres reads vectors as they are


def test_language_centres_need_enough_examples():
    from classify.train import language_centres

    vectors = np.arange(24, dtype=np.float32).reshape(12, 2)
    langs = ["de"] * 10 + ["zh-tw", "zh"]
    centres = language_centres(vectors, langs, min_examples=10)
    assert set(centres) == {"*", "de"}
    assert np.allclose(centres["de"], vectors[:10].mean(axis=0))
    assert np.allclose(centres["*"], vectors.mean(axis=0))
    assert set(language_centres(vectors, langs, min_examples=2)) == {"*", "de", "zh"}


def test_the_multilingual_head_reads_centred_vectors_and_stores_raw_ones(trained):  # noqa: F811
    """Trained on vectors centred per language; what is stored for story grouping is the encoder's
    own vector, comparable across languages and models."""
    from classify.classifier import blend

    _, config, model = trained
    assert {"*", "en", "zh", "de", "ja"} <= set(model.ml_centres)
    encoders = _encoders(config)
    post = ("Amazon sperrt Händlerkonten", "Hunderte Verkäufer melden gesperrte Konten.")
    [pred] = model.predict([post[0]], [post[1]], ["de"], **encoders)
    raw = encoders["ml_encoder"].encode([f"{post[0]}. {post[1]}"])
    assert np.allclose(pred.ml_vector, raw[0], atol=1e-5)
    expected = _ml_reading(model, encoders, [f"{post[0]}. {post[1]}"], ["de"])[0]
    assert model.ml.probs(raw)[0] != pytest.approx(expected, abs=1e-3)
    lex = model.lexicon.matrix([post[0]], [post[1]])[:, [model.lexicon.topics.index(t)
                                                         for t in model.topics]]
    assert [pred.scores[t] for t in model.topics] == pytest.approx(
        blend(expected[None, :], lex, ["de"])[0].tolist(), abs=1e-5)


def test_config_keywords_equal_the_default_lexicon():
    """config.toml spells the defaults out so they can be edited; the two must not drift apart."""
    raw = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    configured = {t["id"]: tuple(tuple(t.get(f"keywords_{lang}", ())) for lang in ("en", "zh", "other"))
                  for t in raw["topics"]}
    assert configured == DEFAULT_KEYWORDS


def test_lexicon_uses_defaults_for_default_topics_without_keywords():
    lexicon = Lexicon(DEFAULT_TOPICS)
    scores = lexicon.scores("Seller accounts suspended in ban wave", "卖家的钱被冻了")
    assert scores["store_closure"] == 1.0 and scores["funds_hold"] == 0.5
    assert scores["data_leak"] == 0.0
    # A word that only looks like a keyword inside another word does not count.
    assert Lexicon(DEFAULT_TOPICS).scores("Breaching the reserves of patience", "")["data_leak"] == 0.0


# Keyword boundaries, each decided on real posts (README, "Boundary cases"): a post's title and
# body, and the lexicon scores it must get (1.0: a keyword in the title or two in the body; 0.5:
# one in the body).
KEYWORD_BOUNDARIES = [
    # 申诉 alone is any appeal, a removed listing's or an IP complaint's too.
    ("链接被下架后如何申诉", "", {"store_closure": 0.0, "listing_takedown": 1.0}),
    ("亚马逊账号申诉全流程", "", {"store_closure": 1.0}),
    # 冻结 alone is any freeze: a frozen account is a closed one, with nothing said of its money.
    ("ebay新账户被冻结怎么办", "", {"store_closure": 1.0, "funds_hold": 0.0}),
    ("亚马逊冻结卖家资金", "店铺冻结后，余额被冻结三个月。", {"funds_hold": 1.0, "store_closure": 0.5}),
    # Chinese closure guides name 侵权 and 知识产权 among every reason an account is closed.
    ("亚马逊封号的常见原因", "原因包括关联、侵权、知识产权问题和绩效不达标。",
     {"counterfeit_ip": 0.0, "store_closure": 1.0}),
    ("收到商标侵权投诉", "", {"counterfeit_ip": 1.0}),
    # 假冒 alone is also a scam warning's impersonator (假冒客服, 假冒官方邮件): only counterfeit
    # goods count.
    ("警惕假冒客服", "有人假冒平台官方邮件，谎称店铺违规。", {"counterfeit_ip": 0.0}),
    ("平台下架一批假冒商品", "", {"counterfeit_ip": 1.0}),
    # A deactivation notice's held money; a payout schedule holds nothing.
    ("Your account is under review",
     "Until then your funds will be withheld in accordance with our policy.", {"funds_hold": 0.5}),
    ("Payout schedule explained", "Payments arrive every 14 days.", {"funds_hold": 0.0}),
    # A closed shop in Indonesian and Vietnamese sellers' words; closing one's own shop ("tutup
    # toko") is not a keyword.
    ("Tokopedia menonaktifkan toko saya", "", {"store_closure": 1.0}),
    ("Gian hàng bị khóa vĩnh viễn", "", {"store_closure": 1.0}),
    ("Cara tutup toko di Shopee", "", {"store_closure": 0.0}),
]


@pytest.mark.parametrize("title,body,expected", KEYWORD_BOUNDARIES,
                         ids=[case[0] for case in KEYWORD_BOUNDARIES])
def test_keyword_boundaries(title, body, expected):
    scores = Lexicon(DEFAULT_TOPICS).scores(title, body)
    assert {topic: scores[topic] for topic in expected} == expected


def test_traditional_chinese_is_matched_by_the_simplified_keywords():
    from classify.lexicon import simplified

    lexicon = Lexicon(DEFAULT_TOPICS)
    # Taiwan and Hong Kong sources: 封號 is 封号, 凍結 is 冻结, 帳號 is 账号.
    taiwan = lexicon.scores("亞馬遜大規模封號", "賣家帳戶資金被凍結，帳號申訴未果。")
    assert taiwan["store_closure"] == 1.0 and taiwan["funds_hold"] == 0.5
    assert simplified("帳號申訴") == "账号申诉"
    # 帐号 is a variant of 账号 in simplified text too.
    assert lexicon.scores("帐号申诉全流程", "")["store_closure"] == 1.0
    # Japanese keeps its own kanji (凍結 is Japanese too), and text without Han is left alone.
    assert simplified("アカウント凍結の連絡") == "アカウント凍結の連絡"
    assert lexicon.scores("アカウント凍結の連絡", "")["store_closure"] == 1.0
    assert simplified("Account suspended") == "Account suspended"


def test_lexicon_reads_the_other_languages_sellers_write_in():
    lexicon = Lexicon(DEFAULT_TOPICS)
    # The title alone is strong evidence; one keyword in the body is half of it.
    assert lexicon.scores("Konto gesperrt nach Videoanruf", "")["store_closure"] == 1.0
    italian = lexicon.scores("Aiuto", "Mi hanno bloccato: account sospeso e pagamenti bloccati.")
    assert italian["store_closure"] == 0.5 and italian["funds_hold"] == 0.5
    assert lexicon.scores("Wyciek danych sprzedawców", "")["data_leak"] == 1.0
    # An account "blocked" is as much a closure as one "suspended", in every language.
    for blocked in ("Blokada konta na Amazon", "Amazon: cuenta bloqueada", "Compte bloqué sur Amazon"):
        assert lexicon.scores(blocked, "")["store_closure"] == 1.0, blocked
    assert lexicon.scores("出品停止の通知が来ました", "")["listing_takedown"] == 1.0
    # Brazilian and Portuguese sellers, and Dutch ones (bol.com, Amazon.nl).
    brazil = lexicon.scores("Mercado Livre", "Conta suspensa e saldo retido por 30 dias.")
    assert brazil["store_closure"] == 0.5 and brazil["funds_hold"] == 0.5
    assert lexicon.scores("Anatel: anúncios removidos", "")["listing_takedown"] == 1.0
    assert lexicon.scores("Verkopersaccount geblokkeerd door bol", "")["store_closure"] == 1.0
    # A listing deactivated is a takedown in German too, not only one removed.
    assert lexicon.scores("GPSR: Angebote deaktiviert", "")["listing_takedown"] == 1.0
    # A Russian stem matches every case ending: "верификации", "верификацию".
    russian = lexicon.scores("Новости", "Продавцы проходят верификацию, после верификации ждут.")
    assert russian["verification"] == 0.5
    # Ordinary marketplace talk in those languages carries no topic.
    calm = lexicon.scores("Versandkosten für Händler", "Neue Tarife für den Versand nach Österreich.")
    assert not any(calm.values())
    # Korean, Vietnamese, Turkish, Indonesian, Thai and Arabic sellers (Coupang, Shopee, Trendyol,
    # Tokopedia, Lazada, noon). Turkish words are listed in their common inflected forms.
    assert lexicon.scores("스마트스토어 판매자 정산 보류", "")["funds_hold"] == 1.0
    assert lexicon.scores("Shopee khóa tài khoản người bán", "")["store_closure"] == 1.0
    assert lexicon.scores("Trendyol", "Satıcının hesabı askıya alındı.")["store_closure"] == 0.5
    assert lexicon.scores("Tokopedia: dana ditahan", "")["funds_hold"] == 1.0
    assert lexicon.scores("ร้านค้าถูกระงับ", "")["store_closure"] == 1.0
    assert lexicon.scores("تجميد الأموال للبائعين", "")["funds_hold"] == 1.0
    # Held money told as a balance "locked" (de), the seller's balance held (id), proceeds
    # withheld (ar) and settlements blocked (tr), the way sellers' own posts tell it.
    for held in ("Amazon Guthaben gesperrt", "Saldo penjual tertahan", "أمازون تحجب أرباح البائعين",
                 "Hakedişlerimiz bloke edildi"):
        assert lexicon.scores(held, "")["funds_hold"] == 1.0, held
    # A keyword inside a longer Latin-script word does not count ("sahte yorumcu" is a reviewer).
    assert lexicon.scores("Sahte yorumcu", "")["review_abuse"] == 0.0


def test_a_topic_with_only_other_language_keywords_uses_them_alone():
    from crackdown.config import TopicConfig

    topic = TopicConfig("store_closure", "Closures", keywords_other=("compte suspendu",))
    scores = Lexicon([topic]).scores("Mon compte suspendu", "account suspended")
    assert scores["store_closure"] == 1.0
    assert Lexicon([topic]).scores("Account suspended", "")["store_closure"] == 0.0


def test_keyword_matching_ignores_case_and_respects_ascii_word_edges():
    pattern = keyword_pattern(["ban wave", "ban", "KYC", "#brandgate", "二次实名", "TRO"])
    found = lambda text: [m.group(0) for m in pattern.finditer(text.lower())]  # noqa: E731
    assert found("Another BAN WAVE hit today") == ["ban wave"]
    # "ban wave" fails its end boundary in "ban waves"; the shorter keyword still counts.
    assert found("ban waves everywhere") == ["ban"]
    assert found("urban banter, kycx") == []
    # Chinese next to an English keyword is an edge (\b would see no boundary in "KYC审核").
    assert found("KYC审核又来了") == ["kyc"]
    # A keyword that starts with punctuation needs no boundary before it; Chinese needs none.
    assert found("sellers#brandgate trend") == ["#brandgate"]
    assert found("被要求二次实名认证") == ["二次实名"]
    # Latin letters in a Chinese keyword list are bounded too: "TRO" is not in "controversial".
    assert found("a controversial ruling; 店铺被TRO冻结") == ["tro"]


def test_keywords_sharing_a_prefix_match_the_longest_that_fits():
    pattern = keyword_pattern(["fake", "fake review", "fake reviews", "封号", "封号潮", "fakir"])
    found = lambda text: [m.group(0) for m in pattern.finditer(text.lower())]  # noqa: E731
    assert found("Fake reviews again") == ["fake reviews"]
    assert found("a fake review.") == ["fake review"]
    # Both longer keywords fail their end boundary here; the shortest still fits.
    assert found("fake reviewsx, fakir") == ["fake", "fakir"]
    assert found("封号潮来了，又一个封号") == ["封号潮", "封号"]


def test_scores_are_probabilities(trained):  # noqa: F811
    _, config, model = trained
    preds = model.predict(["x", "标题"], ["", "正文"], ["en", "zh"], **_encoders(config))
    values = np.array([list(p.scores.values()) for p in preds])
    assert ((values >= 0) & (values <= 1)).all()


def test_without_a_multilingual_encoder_chinese_takes_the_ngram_route(tmp_path):
    from classify.stage import config_ml_encoder, load_model
    from crackdown.config import load_config
    from tests.classify_support import SOURCE
    from tests.conftest import write_config

    config = load_config(write_config(tmp_path, [SOURCE], extra='multilingual = ""\n'))
    assert config_ml_encoder(config) is None
    model = load_model(config)
    assert model.ml is None and model.route("zh") == "zh" and model.route("de") == "en"
    preds = model.predict(["速卖通冻结大批卖家资金", "Etsy holds payouts for new shops"],
                          ["多名卖家反映账户资金被冻结，暂停放款，平台称正在风控审查。",
                           "Etsy is placing a reserve on funds and releasing payouts only after delivery."],
                          ["zh", "en"], encoder=_encoder(config))
    assert [p.method for p in preds] == ["ngram+lexicon", "embedding+lexicon"]
    assert all("funds_hold" in p.labels for p in preds), [p.scores for p in preds]


def test_english_posts_are_scored_by_both_encoders_averaged(trained):  # noqa: F811
    """Route en+ml (a close call, or every English post with multilingual_english)."""
    _, config, model = trained
    title = "Etsy suspends hundreds of shops and holds their payouts"
    body = ("Etsy suspended the accounts of hundreds of sellers this week after a spike in buyer "
            "complaints, and is holding their funds for 90 days while it reviews the orders.")
    both, alone_en, alone_ml = (model.predict([title], [body], ["en"], **_encoders(config), route=r)[0]
                                for r in ("en+ml", "en", "ml"))
    assert both.method == "embedding+multilingual+lexicon"
    assert both.scores == pytest.approx({t: (alone_en.scores[t] + alone_ml.scores[t]) / 2
                                         for t in model.topics})
    # Judged against the thresholds chosen for this route, on English posts.
    thresholds = dict(zip(model.topics, model.both_thresholds))
    assert both.labels == [t for t in model.topics if both.scores[t] >= thresholds[t]]
    assert {"funds_hold", "store_closure"} <= set(both.labels), both.scores


def test_an_english_posts_reading_is_half_its_windows_and_half_its_phrases(trained):  # noqa: F811
    """The English route mixes the encoder's windows with the phrase model (ngrams.py); a post
    in another language forced onto that route is read by its windows alone."""
    from classify.classifier import PHRASE_SHARE, blend
    from classify.lexicon import Lexicon
    from classify.ngrams import phrase_text
    from classify.windows import clean_post, window_texts

    _, config, model = trained
    encoder = _encoder(config)
    posts = [("Amazon suspended three of our ASINs", "The listings show Inactive (blocked) after a "
              "pesticide claim in the bullet points; the account itself is healthy."),
             ("Amazon sperrt Händlerkonten", "Seit Montag ist mein Verkäuferkonto gesperrt.")]
    preds = model.predict([p[0] for p in posts], [p[1] for p in posts], ["en", "de"],
                          **_encoders(config), route="en")
    cleaned = [clean_post(*p) for p in posts]
    # encoded in one batch, as predict encodes them (int8 activations are scaled per batch)
    texts = [window_texts(*c, max_windows=model.max_windows) for c in cleaned]
    flat = model.en.probs(encoder.encode([t for ts in texts for t in ts]))
    windows = [flat[:len(texts[0])].max(axis=0), flat[len(texts[0]):].max(axis=0)]
    phrases = model.phrases.probs([phrase_text(*cleaned[0])])[0]
    lex = Lexicon(model.lexicon_topics).matrix([p[0] for p in posts], [p[1] for p in posts])
    expected = blend(np.stack([(1 - PHRASE_SHARE) * windows[0] + PHRASE_SHARE * phrases,
                               windows[1]]), lex, ["en", "de"])
    for pred, row in zip(preds, expected):
        assert [pred.scores[t] for t in model.topics] == pytest.approx(row.tolist(), abs=1e-5)
    assert not np.allclose(phrases, windows[0])   # the mix is not a no-op


# A Chinese post that opens with ~170 characters of background (more than 128 e5 tokens) and
# brings the news after them, within 256 tokens.
ZH_LATE_NEWS = ("深圳卖家圈这周在聊什么",
                "这周深圳的卖家圈子里讨论最多的还是旺季备货：海运价格又涨了一轮，不少人把货提前发到了海外仓，"
                "也有人在算空运的成本划不划算。展会上几家工厂在推新款的充电器和耳机，价格比去年低了一些。"
                "几个做家居的朋友说今年的广告费用明显上升，转化率却没有跟上，只能调整关键词和预算。"
                "另外，群里有十几位卖家反映，亚马逊突然封号，店铺被关闭，账户被停用，"
                "申诉也被驳回，大批卖家的店铺被封。")


def test_a_chinese_post_is_read_past_its_first_170_characters(trained):  # noqa: F811
    from classify.classifier import multilingual_text
    from classify.windows import clean_post

    _, config, model = trained
    encoders = _encoders(config)
    ml = encoders["ml_encoder"]
    assert ml.max_tokens == 256 and model.ml_window_tokens == 128
    text = multilingual_text(*clean_post(*ZH_LATE_NEWS))
    assert 128 < len(ml.model.token_ids([text], 512)[0]) <= 256
    read = model.predict([ZH_LATE_NEWS[0]], [ZH_LATE_NEWS[1]], ["zh"], **encoders)[0]
    # The vector to store is the first 128 tokens, as an English post's is (story grouping compares
    # the two languages like with like), so this reading is not it: the stage reads the opening
    # when a story link can reach the post.
    opening = ml.with_max_tokens(128).encode([text])[0]
    assert read.ml_vector is None
    assert np.array_equal(model.grouping_vectors([ZH_LATE_NEWS[0]], [ZH_LATE_NEWS[1]], ml)[0],
                          opening)
    short = model.predict([ZH_LATE_NEWS[0]], [ZH_LATE_NEWS[1][-60:]], ["zh"], **encoders)[0]
    assert np.array_equal(short.ml_vector, ml.encode([multilingual_text(
        *clean_post(ZH_LATE_NEWS[0], ZH_LATE_NEWS[1][-60:]))])[0])   # one window: its reading
    cut = model.predict([ZH_LATE_NEWS[0]], [ZH_LATE_NEWS[1]], ["zh"], encoder=encoders["encoder"],
                        ml_encoder=ml.with_max_tokens(128))[0]
    # Cut at 128 tokens the encoder never reached the closures; only the keywords saw them.
    assert read.scores["store_closure"] > cut.scores["store_closure"] + 0.05, (read.scores, cut.scores)


def _recording(read: list[str]):
    """A wrapper of the real multilingual encoder that notes in `read` what it is asked to read."""

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        def with_max_tokens(self, n):
            return Recording(self.inner.with_max_tokens(n))

        def token_counts(self, texts):
            return self.inner.token_counts(texts)

        def encode(self, texts):
            read.extend(texts)
            return self.inner.encode(texts)

    return Recording


def test_a_post_in_another_language_is_encoded_once(trained):  # noqa: F811
    """Within one window, the post's own reading is its stored vector; a longer post's opening is
    read only when the stage asks for it (a story link can reach the post)."""
    from classify.classifier import multilingual_text, passage_readings
    from classify.windows import clean_post

    _, config, model = trained
    encoders = _encoders(config)
    read: list[str] = []
    Recording = _recording(read)
    short = ("亚马逊封号潮", "大批卖家账号被封，资金被冻结。")
    recorded = model.predict([short[0], ZH_LATE_NEWS[0]], [short[1], ZH_LATE_NEWS[1]], ["zh", "zh"],
                             encoder=encoders["encoder"],
                             ml_encoder=Recording(encoders["ml_encoder"]))
    # The short post fits one window: read once. The longer one is read whole once, and once
    # per passage at the window's length (reads_in_passages).
    assert sum(short[0] in t for t in read) == 1
    whole = multilingual_text(*clean_post(*ZH_LATE_NEWS))
    passages = passage_readings([clean_post(*ZH_LATE_NEWS)], [256], model.ml_passages, 128)[0]
    assert len(passages) >= 1 and sorted(t for t in read if ZH_LATE_NEWS[0] in t) == sorted(
        [whole, *passages])
    assert recorded[0].ml_vector is not None and recorded[1].ml_vector is None
    plain = model.predict([short[0]], [short[1]], ["zh"], **encoders)[0]
    assert recorded[0].labels == plain.labels and np.allclose(recorded[0].ml_vector, plain.ml_vector,
                                                              atol=0.02)


def test_english_posts_and_examples_are_read_by_the_multilingual_encoder_as_their_opening(trained):  # noqa: F811
    from classify.classifier import multilingual_text
    from classify.train import multilingual_vectors
    from classify.windows import clean_post

    _, config, model = trained
    encoders = _encoders(config)
    window = encoders["ml_encoder"].with_max_tokens(model.ml_window_tokens)
    title = "Amazon closes seller accounts"
    body = ("Background on the marketplace and its fees, its logistics and its seasons. " * 12
            + "This week Amazon closed hundreds of seller accounts.")
    opening = multilingual_text(*clean_post(title, body))
    assert len(window.model.token_ids([opening], 512)[0]) > 128
    model.ml_english = True   # every English post on the en+ml route
    try:
        post = model.predict([title], [body], ["en"], **encoders)[0]
    finally:
        model.ml_english = False
    assert post.method == "embedding+multilingual+lexicon"
    assert np.allclose(post.ml_vector, window.encode([opening])[0], atol=0.02)
    # A tagged post the multilingual route did not read gets the same vector for story grouping.
    assert np.allclose(model.grouping_vectors([title], [body], encoders["ml_encoder"])[0],
                       post.ml_vector, atol=0.02)
    # Training reads its examples the same way, each by its language.
    zh = multilingual_text(*clean_post(*ZH_LATE_NEWS))
    vectors = multilingual_vectors(encoders["ml_encoder"], [(*clean_post(title, body), "en"),
                                                           (*clean_post(*ZH_LATE_NEWS), "zh")], 128)
    assert np.array_equal(vectors[0], window.encode([opening])[0])
    assert np.array_equal(vectors[1], encoders["ml_encoder"].encode([zh])[0])


def test_undecided_english_posts_get_the_multilingual_second_opinion(trained):  # noqa: F811
    _, config, model = trained
    assert model.cascade_margin == config.classify.cascade_margin == 0.0   # off by default
    posts = [("Amazon suspends hundreds of seller accounts in review crackdown",
              "Sellers say their accounts were deactivated for review manipulation.")]
    args = ([p[0] for p in posts], [p[1] for p in posts], ["en"])
    margin = model.cascade_margin
    try:
        model.ml_english = True
        both = model.predict(*args, **_encoders(config))[0]
        model.ml_english, model.cascade_margin = False, 0.0
        fast = model.predict(*args, **_encoders(config))[0]
        # A margin wider than any distance to a threshold sends every English post to en+ml.
        model.cascade_margin = 1.0
        cascaded = model.predict(*args, **_encoders(config))[0]
    finally:
        model.cascade_margin, model.ml_english = margin, False
    assert fast.method == "embedding+lexicon" and fast.ml_vector is None
    assert cascaded.method == "embedding+multilingual+lexicon"
    # The second opinion reads the opening only, once, however long the post: the English
    # encoder and the phrase model have read the rest.
    read: list[str] = []
    long_body = posts[0][1] + " " + ("Sellers compared notes on appeals and timelines. " * 60)
    try:
        model.cascade_margin = 1.0
        model.predict([posts[0][0]], [long_body], ["en"], encoder=_encoder(config),
                      ml_encoder=_recording(read)(_encoders(config)["ml_encoder"]))
    finally:
        model.cascade_margin = margin
    assert len(read) == 1 and read[0].startswith(posts[0][0])
    # An undecided post is scored and judged as on the en+ml route.
    assert cascaded.scores == pytest.approx(both.scores) and cascaded.labels == both.labels
    assert cascaded.scores != fast.scores and cascaded.ml_vector is not None
    assert {"store_closure", "review_abuse"} <= set(cascaded.labels)
