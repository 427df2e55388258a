"""Classifier speed, memory and accuracy: prints figures (not a test).

1. Train the model once into a temporary model_dir (int8 ONNX backend; export included).
2. `classify` 1,000 new English posts of ~120 words in a fresh process: posts/s and peak RSS.
3. Bare `SentenceTransformer.encode` on the same texts in the same process: posts/s.
4. A second `classify` with nothing new, in a fresh process: seconds after start-up, and whether
   torch was imported.
5. Macro-F1 on the held-out seed split and on the demo corpus, int8 ONNX against torch vectors.

Usage: .venv/bin/python benchmarks/bench_classify.py [--posts 1000] [--skip-torch-f1]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crackdown.config import ArchiveConfig, ClassifyConfig, Config, SourceConfig  # noqa: E402

DEMO_CORPUS = REPO / "crawlers" / "demo_site" / "corpus"


def demo_eval_rows() -> list[dict]:
    """The demo corpus as labelled eval rows (its human `topics`; never used for training)."""
    from crawlers.normalize import detect_lang

    rows = []
    for path in sorted(DEMO_CORPUS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                post = json.loads(line)
                rows.append({"id": post["id"], "title": post["title"], "text": post["body"],
                             "lang": detect_lang(f"{post['title']}\n{post['body']}"),
                             "labels": post["topics"]})
    return rows


def english_posts(n: int, words: int = 120) -> list[tuple[str, str]]:
    """n (title, body) pairs of ~`words` words from the demo corpus and seed data, made unique."""
    from classify.data_io import seed_files

    pool = [(r["title"], r["text"]) for r in demo_eval_rows() if r["lang"] == "en"]
    for path in seed_files():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row.get("lang", "en") == "en":
                pool.append((row["title"], row["text"]))
    out = []
    for i in range(n):
        title, body = pool[i % len(pool)]
        filler = " ".join(pool[(i * 7 + 3) % len(pool)][1].split())
        body_words = (body + " " + filler).split()[:words - len(title.split())]
        out.append((f"{title} ({i})", " ".join(body_words)))
    return out


def bench_config(tmp: Path) -> Config:
    src = SourceConfig(id="bench", name="Bench", type="feed", url="http://127.0.0.1/feed")
    return Config(path=tmp / "config.toml", sources=(src,),
                  classify=ClassifyConfig(model_dir=tmp / "model"),
                  archive=ArchiveConfig(path=tmp / "archive.db"))


def run_child(code: str, tmp: Path) -> dict:
    """Run `code` in a fresh interpreter; it prints one JSON line last."""
    script = textwrap.dedent(f"""
        import json, resource, sys, time
        sys.path.insert(0, {str(REPO)!r})
        sys.path.insert(0, {str(REPO / 'benchmarks')!r})
        from bench_classify import bench_config
        from pathlib import Path
        config = bench_config(Path({str(tmp)!r}))
        """) + textwrap.dedent(code)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--skip-torch-f1", action="store_true", help="skip training a torch model")
    args = parser.parse_args()
    import os

    print(f"cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        (tmp / "posts.json").write_text(json.dumps(english_posts(args.posts)), encoding="utf-8")
        started = time.perf_counter()
        first = run_child("""
            from classify.stage import config_encoder, load_model
            model = load_model(config)
            print(json.dumps({"backend": config_encoder(config).backend,
                              "heldout": model.metrics["heldout"]}))
            """, tmp)
        print(f"train (incl. one-time int8 export): {time.perf_counter() - started:.1f} s, "
              f"backend {first['backend']}")
        speed = run_child("""
            from crackdown.archive import open_archive, posts, sources
            from classify.classifier import post_text
            from classify.stage import classify_archive
            items = json.loads((Path(config.archive.path).parent / "posts.json").read_text())
            db = open_archive(config.archive.path)
            sources.sync_sources(db, config.sources)
            with db.atomic():
                for i, (title, body) in enumerate(items):
                    posts.save_post(db, {"url": f"http://127.0.0.1/p/{i}", "source_id": "bench",
                                         "title": title, "body": body, "lang": "en",
                                         "fetched_at": "2021-05-13T00:00:00+00:00",
                                         "content_hash": str(i)})
            db.close()
            t = time.perf_counter(); report = classify_archive(config)
            classify_s = time.perf_counter() - t
            rss_classify = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            from sentence_transformers import SentenceTransformer
            from classify.encoder import resolve_model
            st = SentenceTransformer(resolve_model(config.classify.model), device="cpu")
            st.max_seq_length = config.classify.max_seq_length
            texts = [post_text(t, b) for t, b in items]
            t = time.perf_counter()
            st.encode(texts, batch_size=config.classify.batch_size, normalize_embeddings=True)
            encode_s = time.perf_counter() - t
            print(json.dumps({"n": report.classified, "classify_s": classify_s, "encode_s": encode_s,
                              "rss_classify_mb": rss_classify,
                              "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
            """, tmp)
        n = speed["n"]
        print(f"classify {n} posts: {speed['classify_s']:.1f} s = {n / speed['classify_s']:.0f} posts/s "
              f"(peak RSS {speed['rss_classify_mb']:.0f} MB)")
        print(f"bare SentenceTransformer.encode, same texts, same process: {speed['encode_s']:.1f} s = "
              f"{n / speed['encode_s']:.0f} posts/s (peak RSS incl. torch {speed['rss_peak_mb']:.0f} MB)")
        again = run_child("""
            t = time.perf_counter()
            from classify.stage import classify_archive
            report = classify_archive(config)
            print(json.dumps({"s": time.perf_counter() - t, "n": report.classified,
                              "torch": "torch" in sys.modules}))
            """, tmp)
        print(f"second classify, nothing new: {again['s']:.2f} s after start-up, "
              f"{again['n']} posts, torch imported: {again['torch']}")
        print_f1(tmp, first, args.skip_torch_f1)


def print_f1(tmp: Path, first: dict, skip_torch: bool) -> None:
    (tmp / "demo.json").write_text(json.dumps(demo_eval_rows()), encoding="utf-8")
    code = """
        from classify.encoder import get_encoder
        from classify.evaluate import score_predictions
        from classify.train import load_or_train
        rows = json.loads((Path(config.archive.path).parent / "demo.json").read_text())
        c = config.classify
        encoder = get_encoder(c.model, c.max_seq_length, c.batch_size, cache_dir=c.model_dir,
                              prefer_onnx=PREFER)
        model = load_or_train(config, [], encoder)
        en = [r for r in rows if model.uses_embedding(r["lang"])]
        zh = [r for r in rows if not model.uses_embedding(r["lang"])]
        preds = {}
        for group in (en, zh):
            out = model.predict([r["title"] for r in group], [r["text"] for r in group],
                                [r["lang"] for r in group], encoder=encoder)
            preds.update({r["id"]: p.labels for r, p in zip(group, out)})
        demo = score_predictions(model.topics, [r["labels"] for r in rows], [preds[r["id"]] for r in rows])
        print(json.dumps({"heldout": model.metrics["heldout"], "demo": demo}))
        """
    onnx = run_child(code.replace("PREFER", "True"), tmp)
    print_report("int8 ONNX", onnx)
    if not skip_torch:
        torch = run_child(code.replace("PREFER", "False"), tmp)
        print_report("torch", torch)
        for split in ("heldout", "demo"):
            delta = onnx[split]["macro"]["f1"] - torch[split]["macro"]["f1"]
            print(f"macro-F1 change int8 - torch on {split}: {delta:+.4f}")


def print_report(label: str, result: dict) -> None:
    for split in ("heldout", "demo"):
        report = result[split]
        per_topic = "  ".join(f"{t} {m['f1']:.2f}" for t, m in report["per_topic"].items())
        print(f"{label} {split} ({report['examples']} posts): macro-F1 {report['macro']['f1']:.4f} | "
              f"{per_topic}")


if __name__ == "__main__":
    main()
