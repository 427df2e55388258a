"""Build the multilingual vectors of the seed and dev texts that ship with the package.

Run after editing classify/data/ (`make vectors`): training then finds every text's vector and a
fresh install trains in seconds instead of encoding ~1,500 texts with the multilingual encoder.
A stale file is harmless: texts it lacks are encoded at training time.
"""

from __future__ import annotations

import logging

from classify.classifier import multilingual_text
from classify.data_io import load_dev, load_seed
from classify.embedding_cache import write_packaged
from classify.multilingual import get_multilingual
from classify.train import example_passages, multilingual_readings, prepare_examples
from crackdown.config import DEFAULT_TOPICS, ClassifyConfig


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    topics = [t.id for t in DEFAULT_TOPICS]
    rows = load_seed(topics) + load_dev(topics)   # held-out rows too: training scores them
    defaults = ClassifyConfig()
    encoder = get_multilingual(defaults.multilingual, defaults.multilingual_max_tokens)
    prepared = prepare_examples(rows)
    window = defaults.multilingual_window_tokens
    # Read as training reads them, passages too; each length has its own file.
    texts: dict[int, tuple[object, list[str]]] = {}
    for reader, picked in multilingual_readings(encoder, prepared, window):
        texts.setdefault(reader.max_tokens, (reader, []))[1].extend(
            multilingual_text(*prepared[i][:2]) for i in picked)
    passages, _ = example_passages(encoder, prepared, defaults.multilingual_passages, window)
    texts.setdefault(window, (encoder.with_max_tokens(window), []))[1].extend(passages)
    for reader, batch in texts.values():
        target = write_packaged(reader, batch)
        logging.info("wrote %s (%d texts)", target, len(batch))


if __name__ == "__main__":
    main()
