"""Full-text search of the archive: FTS5 (English, bm25) and a trigram index (Chinese).

Two indexes, one entry point:

1. `posts_fts` (unicode61 words, the sqlite-utils layout) answers every query without Chinese
   characters. Results rank by bm25 with the title weighted `TITLE_WEIGHT` times the body, or by
   date. The id list is found first and snippets are computed only for the rows shown, so a broad
   query does not pay for a snippet per match.
2. `posts_trigram` (FTS5, tokenize='trigram', only posts containing CJK ideographs) answers queries
   with Chinese characters, which unicode61 cannot split into words. Trigrams need terms of at
   least three characters; a shorter term such as 封号 ("account banned") is matched as a
   substring (LIKE) over that same table, which holds only the Chinese posts, so the scan stays
   small. Those results sort by date: LIKE has no relevance score.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from sqlite_utils import Database

from crackdown.archive.days import DAY_EXPR, day_window

TITLE_WEIGHT = 5.0
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# The same range as a GLOB class, for the triggers that keep posts_trigram in sync (schema.py).
CJK_GLOB = "*[\u3400-\u9fff\uf900-\ufaff]*"
TRIGRAM_MIN = 3
SNIPPET_TOKENS = 12

SYNTAX_HELP = ('words match all of them; "exact phrase"; a OR b; a NOT b; prefix*; (a OR b) c; '
               'quote words with punctuation, e.g. "co-op"; Chinese: 视频验证, 封号 (terms under '
               'three characters match as substrings and cannot use OR/NOT)')


class SearchSyntaxError(ValueError):
    """The full-text query could not be parsed (by FTS5, or the Chinese substring fallback)."""


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text or ""))


def search(db: Database, query: str, *, topics: Sequence[str] = (), marketplaces: Sequence[str] = (),
           sources: Sequence[str] = (), since: str | None = None, until: str | None = None,
           limit: int = 20, sort: str = "relevance") -> list[dict]:
    """Full-text search with filters; ranked by bm25 (title weighted) or by date, newest first.

    Rows: id, url, title, dated_at, source_id, lang, snippet (matches in [brackets]), topics,
    marketplaces (comma-separated), rank (bm25, lower is better; None when sorted by date only).
    """
    query = (query or "").strip()
    if not query:
        raise SearchSyntaxError("the query is empty")
    where, params = _filters(topics, marketplaces, sources, since, until)
    if has_cjk(query):
        terms = _terms(query)
        if all(len(t) >= TRIGRAM_MIN for t in terms):
            ids = _ranked_ids(db, "posts_trigram", query, where, params, limit, sort)
            return _rows(db, ids, _snippets(db, "posts_trigram", query, ids))
        ids = _substring_ids(db, query, terms, where, params, limit)
        return _rows(db, ids, _substring_snippets(db, ids, terms))
    ids = _ranked_ids(db, "posts_fts", query, where, params, limit, sort)
    return _rows(db, ids, _snippets(db, "posts_fts", query, ids))


def _filters(topics, marketplaces, sources, since, until) -> tuple[list[str], list]:
    where: list[str] = []
    params: list = []
    if topics:
        where.append(f"p.id IN (SELECT post_id FROM tags WHERE topic IN ({_marks(topics)}))")
        params += list(topics)
    if marketplaces:
        where.append("p.id IN (SELECT post_id FROM marketplaces WHERE marketplace IN "
                     f"({_marks(marketplaces)}))")
        params += list(marketplaces)
    if sources:
        where.append(f"p.source_id IN ({_marks(sources)})")
        params += list(sources)
    clauses, window_params = day_window(since, until)
    return where + clauses, params + window_params


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


def _run(db: Database, sql: str, params: list) -> list[tuple]:
    try:
        return db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if any(word in message for word in ("locked", "disk", "readonly", "no such table", "interrupt")):
            raise
        raise SearchSyntaxError(message) from exc   # fts5 syntax, unterminated string, bad column


def _ranked_ids(db: Database, index: str, query: str, where: list[str], params: list, limit: int,
                sort: str) -> list[tuple[int, float | None]]:
    """(post id, bm25) of the best `limit` matches, in result order."""
    rank = f"bm25({index}, {TITLE_WEIGHT}, 1.0)"
    if sort != "date" and not where:
        # Bare relevance query: FTS5 sorts by its own rank column internally (much faster than
        # an outer ORDER BY over a join), configured with the title weight.
        sql = (f"SELECT rowid, rank FROM {index} WHERE {index} MATCH ? "
               f"AND rank MATCH 'bm25({TITLE_WEIGHT}, 1.0)' ORDER BY rank LIMIT ?")
        return _run(db, sql, [query, limit])
    order = f"{DAY_EXPR} DESC, p.id DESC" if sort == "date" else "2"
    sql = (f"SELECT p.id, {rank} FROM {index} JOIN posts p ON p.id = {index}.rowid "
           f"WHERE {index} MATCH ? {''.join(' AND ' + w for w in where)} ORDER BY {order} LIMIT ?")
    return _run(db, sql, [query, *params, limit])


def _snippets(db: Database, index: str, query: str, ids: list[tuple]) -> dict[int, str]:
    if not ids:
        return {}
    id_list = [i for i, _ in ids]
    sql = (f"SELECT rowid, snippet({index}, -1, '[', ']', ' … ', {SNIPPET_TOKENS}) FROM {index} "
           f"WHERE {index} MATCH ? AND rowid IN ({_marks(id_list)})")
    return dict(_run(db, sql, [query, *id_list]))


def _terms(query: str) -> list[str]:
    return [t.strip('"') for t in query.split() if t.strip('"')]


def _substring_ids(db: Database, query: str, terms: list[str], where: list[str], params: list,
                   limit: int) -> list[tuple[int, None]]:
    """Chinese query with a term too short for trigrams: every term as a substring, newest first."""
    if any(t in ("OR", "NOT", "AND") or t.endswith("*") or "(" in t or ")" in t for t in terms):
        raise SearchSyntaxError("a Chinese term shorter than three characters is matched as a "
                                "substring, which cannot be combined with OR, NOT, * or brackets")
    like: list[str] = []
    like_params: list[str] = []
    for term in terms:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        like.append("(t.title LIKE ? ESCAPE '\\' OR t.body LIKE ? ESCAPE '\\')")
        like_params += [pattern, pattern]
    sql = (f"SELECT p.id, NULL FROM posts_trigram t JOIN posts p ON p.id = t.rowid "
           f"WHERE {' AND '.join(like + where)} ORDER BY {DAY_EXPR} DESC, p.id DESC LIMIT ?")
    return _run(db, sql, [*like_params, *params, limit])


def _substring_snippets(db: Database, ids: list[tuple], terms: list[str], width: int = 30) -> dict:
    out = {}
    for post_id, _ in ids:
        title, body = db.execute("SELECT title, body FROM posts WHERE id = ?", [post_id]).fetchone()
        text = body if any(t.lower() in (body or "").lower() for t in terms) else title
        at = min((text.lower().find(t.lower()) for t in terms if t.lower() in text.lower()), default=0)
        start, end = max(0, at - width), at + width * 2
        piece = text[start:end]
        for term in sorted(terms, key=len, reverse=True):
            piece = re.sub(re.escape(term), lambda m: f"[{m.group(0)}]", piece, flags=re.I)
        out[post_id] = ("… " if start else "") + piece + (" …" if end < len(text) else "")
    return out


def _rows(db: Database, ids: list[tuple], snippets: dict[int, str]) -> list[dict]:
    if not ids:
        return []
    id_list = [i for i, _ in ids]
    cursor = db.execute(
        f"""SELECT p.id, p.url, p.title, {DAY_EXPR} AS dated_at, p.source_id, p.lang,
                   (SELECT group_concat(topic, ',') FROM tags WHERE post_id = p.id) AS topics,
                   (SELECT group_concat(marketplace, ',') FROM marketplaces
                      WHERE post_id = p.id) AS marketplaces
            FROM posts p WHERE p.id IN ({_marks(id_list)})""", id_list)
    cols = [c[0] for c in cursor.description]
    by_id = {row[0]: dict(zip(cols, row)) for row in cursor.fetchall()}
    out = []
    for post_id, rank in ids:
        row = by_id[post_id]
        row["snippet"] = snippets.get(post_id, "")
        row["rank"] = rank
        out.append(row)
    return out
