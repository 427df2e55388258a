"""The pieces of a post the English encoder reads: its title with each of several body windows.

The encoder reads 128 tokens (about 600 characters of English), but real articles bring their
enforcement content in the second to fourth paragraph, after background. So the cleaned body is
cut into consecutive windows at paragraph or sentence ends, each read together with the title,
up to `max_windows`; the classifier pools the windows' scores. A post that fits one window (a
forum post, a short news item) costs exactly one encoding, as before.
"""

from __future__ import annotations

import re

from classify.textprep import strip_boilerplate

WINDOW_CHARS = 600          # ~128 tokens of English with the title in front
TITLE_CHARS = 160           # a title longer than this is cut in every window
MIN_TAIL_CHARS = 200        # a remainder shorter than this rides with the previous window
MAX_WINDOWS = 3             # when no count is given; a model reads [classify] max_windows (1)
PASSAGE_CHARS = 300         # the multilingual route's passages (classifier.passage_readings)
_BREAK = re.compile(r"\n+|(?<=[.!?。！？])\s+")


def clean_post(title: str, body: str) -> tuple[str, str]:
    """(title, body) as classified: whitespace-trimmed title, body without page furniture."""
    return (title or "").strip(), strip_boilerplate(body or "")


def body_windows(body: str, size: int = WINDOW_CHARS, max_windows: int = MAX_WINDOWS) -> list[str]:
    """Consecutive windows of about `size` characters, cut at paragraph or sentence ends."""
    body = body.strip()
    if not body:
        return [""]
    windows: list[str] = []
    start = 0
    while start < len(body) and len(windows) < max_windows:
        if len(body) - start <= size + MIN_TAIL_CHARS:
            windows.append(body[start:])
            break
        end = start + size
        # the last paragraph or sentence break inside the window, if it keeps half of it
        cut = max((m.end() for m in _BREAK.finditer(body, start + size // 2, end)), default=end)
        windows.append(body[start:cut].strip())
        start = cut
    return [w for w in windows if w] or [""]


def window_texts(title: str, body: str, max_windows: int = MAX_WINDOWS,
                 size: int = WINDOW_CHARS) -> list[str]:
    """The texts to encode for one (cleaned) post: "title. window" for each window."""
    head = title[:TITLE_CHARS]
    out = []
    for window in body_windows(body, size=size, max_windows=max_windows):
        if head and window:
            out.append(f"{head}. {window}")
        else:
            out.append(head or window)
    return out
