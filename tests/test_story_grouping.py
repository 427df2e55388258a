"""Grouping posts into stories (reports/stories.py): links merge strongest first, a loose
embedding link cannot chain two stories, and a busy day of look-alike posts (thousands of links,
walked in chunks) still ends up as one story."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from reports.stories import group_posts
from tests.test_stories_sizes import angle

START = datetime(2021, 5, 13, 8, tzinfo=timezone.utc)
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"]


def post(post_id: int, hours: float | None = 0.0, content_hash: str | None = None) -> dict:
    # Titles share no word, so no title link forms: only embeddings and hashes link these posts.
    title = f"{WORDS[post_id % len(WORDS)]} {post_id} zz{post_id}"
    dated = None if hours is None else (START + timedelta(hours=hours)).isoformat()
    return {"id": post_id, "title": title, "dated_at": dated, "lang": "en",
            "content_hash": content_hash, "topics": ["store_closure"]}


def stories(groups: list[list[dict]]) -> list[list[int]]:
    return sorted(sorted(p["id"] for p in g) for g in groups)


def test_a_busy_day_of_look_alike_posts_is_one_story():
    # 150 posts within 10° of each other, over one day: 11,175 links above the cosine bar.
    day = [post(i, hours=i / 10) for i in range(150)]
    vectors = {i: angle(i / 15) for i in range(150)}
    late = post(150, hours=4 * 24)                 # the same look, four days on: a new story
    vectors[150] = angle(0)
    undated = post(151, hours=None)                # no date, but nothing like the others
    vectors[151] = angle(90)
    assert stories(group_posts([*day, late, undated], vectors)) == [list(range(150)), [150], [151]]


def test_a_loose_link_does_not_chain_two_stories_but_a_copy_always_joins():
    posts = [post(i, hours=i) for i in range(7)]
    vectors = {0: angle(0), 1: angle(2), 2: angle(4),      # one story
               3: angle(70), 4: angle(72),                 # another, 70° away
               5: angle(36)}                               # close enough to both (cosine ≈ 0.81)
    posts[6]["content_hash"] = posts[3]["content_hash"] = "syndicated"   # post 6 has no vector
    # Post 5 joins the nearer story first; then its link to the other story would make a group
    # whose posts are mostly 70° apart, below GROUP_COHESION, so that link is not taken. The
    # syndicated copy joins its original whatever the vectors say.
    assert stories(group_posts(posts, vectors)) == [[0, 1, 2, 5], [3, 4, 6]]
    # The same posts without the cohesion guard's vectors: hashes alone, nothing else links.
    assert stories(group_posts(posts)) == [[0], [1], [2], [3, 6], [4], [5]]
