"""A short excerpt of a post's body: its first sentences, cut at a sentence end where possible."""

from __future__ import annotations

import re

EN_CHARS = 320   # about three English sentences
ZH_CHARS = 120   # Chinese packs ~2.5× more meaning per character; 120 is 2–3 sentences
# A sentence ends at ASCII . ! ? followed by a space (so "Amazon.com" and "4.5" stay whole),
# or at a full-width 。！？ (Chinese puts no space after them).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def is_mostly_chinese(text: str) -> bool:
    sample = text[:200]
    return len(_HAN.findall(sample)) * 3 >= len(sample.replace(" ", "")) > 0


def excerpt(body: str | None, limit: int | None = None) -> str:
    """Two or three whole sentences within `limit` characters, else a cut with an ellipsis."""
    text = re.sub(r"\s+", " ", (body or "")[:4000]).strip()   # only the opening matters
    chinese = is_mostly_chinese(text)
    limit = limit or (ZH_CHARS if chinese else EN_CHARS)
    text = text[:limit * 3] if len(text) > limit * 3 else text
    if len(text) <= limit:
        return text
    out = ""
    for sentence in [s for s in _SENTENCE_END.split(text, maxsplit=3) if s][:3]:
        joined = out + sentence if (chinese or not out) else f"{out} {sentence}"
        if len(joined) > limit:
            break
        out = joined
    if len(out) >= limit // 3:
        return out
    cut = text[:limit]
    if not chinese and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip("，,；;：: ") + " …" if not chinese else cut.rstrip("，,；;：: ") + "…"
