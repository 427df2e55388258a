"""`crackdown search`: bm25 ranking with the title weighted, filters, output formats, syntax
errors, and Chinese search through the trigram index (with a substring fallback for 2-character
terms)."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from crackdown.archive import search as archive_search
from crackdown.archive.search import SearchSyntaxError, search
from crackdown.cli import cli
from tests.archive_samples import build, save
from tests.conftest import REPO


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "archive.db"
    db, ids = build(path)
    yield path, db, ids
    db.close()


def _ids(rows):
    return [r["id"] for r in rows]


def _cli(path, *args):
    return CliRunner().invoke(cli, ["--config", str(REPO / "config.toml"), "--db", str(path), *args])


def test_title_match_outranks_body_mention(sample):
    _, db, ids = sample
    hits = search(db, "verification")
    english = [i for i in _ids(hits) if i in (ids["verify_title"], ids["verify_body"], ids["frozen"])]
    assert english[0] == ids["verify_title"]
    assert set(english) == {ids["verify_title"], ids["verify_body"], ids["frozen"]}
    ranks = [h["rank"] for h in hits]
    assert ranks == sorted(ranks)   # bm25: lower is better


def test_title_weight_changes_the_order(sample, monkeypatch):
    _, db, ids = sample
    # The body-only post repeats nothing, so without a title weight the shorter body can win:
    # the weight is what puts the titled post first.
    monkeypatch.setattr(archive_search, "TITLE_WEIGHT", 1.0)
    unweighted = [h["rank"] for h in search(db, "verification") if h["id"] == ids["verify_title"]][0]
    monkeypatch.setattr(archive_search, "TITLE_WEIGHT", 5.0)
    weighted = [h["rank"] for h in search(db, "verification") if h["id"] == ids["verify_title"]][0]
    assert weighted < unweighted


def test_sort_by_date_is_newest_first(sample):
    _, db, ids = sample
    hits = search(db, "verification", sort="date")
    days = [h["dated_at"] for h in hits]
    assert days == sorted(days, reverse=True) and hits[0]["id"] == ids["frozen"]


@pytest.mark.parametrize("kwargs, expected", [
    ({"topics": ["verification"]}, {"verify_title", "frozen"}),
    ({"marketplaces": ["ebay"]}, {"frozen"}),
    ({"sources": ["forum"]}, {"verify_body"}),
    ({"since": "2021-05-11", "until": "2021-05-13"}, {"verify_body"}),
    ({"topics": ["verification", "funds_hold"], "marketplaces": ["amazon"]}, {"verify_title"}),
])
def test_filters(sample, kwargs, expected):
    _, db, ids = sample
    assert set(_ids(search(db, "verification", **kwargs))) == {ids[k] for k in expected}


@pytest.mark.parametrize("query, expected", [
    ('"fake reviews"', {"fake_reviews"}),
    ("frozen OR counterfeit", {"frozen", "counterfeit"}),
    ("verification NOT ebay", {"verify_title", "verify_body"}),
    ("incentiv*", {"fake_reviews"}),
    ("title:verification", {"verify_title"}),
])
def test_fts5_syntax(sample, query, expected):
    _, db, ids = sample
    assert set(_ids(search(db, query))) == {ids[k] for k in expected}


def test_limit(sample):
    _, db, _ = sample
    assert len(search(db, "sellers", limit=2)) == 2


@pytest.mark.parametrize("query", ['"unbalanced', "AND", "frozen OR", "nosuchcolumn:funds", "(funds",
                                   "   "])
def test_malformed_query_is_a_usage_error_with_the_syntax(sample, query):
    path, db, _ = sample
    with pytest.raises(SearchSyntaxError):
        search(db, query)
    result = _cli(path, "search", query)
    assert result.exit_code == 2
    assert "cannot parse query" in result.output and '"exact phrase"' in result.output
    assert "Traceback" not in result.output and not isinstance(result.exception, SearchSyntaxError)


def test_table_view_shows_highlighted_snippet(sample):
    path, _, ids = sample
    result = _cli(path, "search", "paid reviews")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "Walmart suspends accounts for fake reviews" in lines[0]
    assert "[paid]" in lines[1] and "[reviews]" in lines[1]


def test_json_and_csv_output(sample):
    path, _, ids = sample
    out = _cli(path, "search", "verification", "--format", "json", "--sort", "date")
    rows = [json.loads(line) for line in out.output.splitlines()]
    assert rows[0]["id"] == ids["frozen"] and rows[0]["marketplaces"] == "ebay"
    assert set(rows[0]) >= {"id", "url", "title", "dated_at", "source_id", "topics", "snippet"}
    out = _cli(path, "search", "verification", "--format", "csv", "--topic", "funds_hold")
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert [int(r["id"]) for r in table] == [ids["frozen"]]
    assert table[0]["topics"].split(",") == ["funds_hold", "verification"]


def test_missing_archive_is_an_error_not_a_new_file(tmp_path):
    result = _cli(tmp_path / "none.db", "search", "funds")
    assert result.exit_code == 3 and "no archive" in result.output
    assert not (tmp_path / "none.db").exists()


# --- Chinese ----------------------------------------------------------------------------------

def test_chinese_phrase_uses_the_trigram_index(sample):
    _, db, ids = sample
    hits = search(db, "视频验证")
    assert set(_ids(hits)) == {ids["zh_ban"], ids["zh_video"]}
    assert hits[0]["id"] == ids["zh_video"]            # in the title, and twice
    assert "[视频验证]" in hits[0]["snippet"]
    assert search(db, "视频验证", topics=["store_closure"])[0]["id"] == ids["zh_ban"]


def test_two_character_chinese_term_matches_as_substring(sample):
    path, db, ids = sample
    hits = search(db, "封号")
    assert _ids(hits) == [ids["zh_ban"]] and "[封号]" in hits[0]["snippet"]
    assert set(_ids(search(db, "卖家"))) == {ids["zh_ban"], ids["zh_rules"]}
    assert _ids(search(db, "卖家 封号")) == [ids["zh_ban"]]        # every term must match
    result = _cli(path, "search", "封号")
    assert result.exit_code == 0 and "亚马逊卖家大规模封号" in result.output


def test_short_chinese_term_rejects_operators(sample):
    _, db, _ = sample
    with pytest.raises(SearchSyntaxError, match="three characters"):
        search(db, "封号 OR 冻结")


def test_trigram_index_follows_inserts_updates_and_deletes(tmp_path):
    db, ids = build(tmp_path / "a.db")
    trigram_rows = {r[0] for r in db.execute("SELECT rowid FROM posts_trigram")}
    assert trigram_rows == {ids["zh_ban"], ids["zh_video"], ids["zh_rules"]}   # Chinese posts only
    new = save(db, "zh_new", "zhforum", "2021-05-14", "资金冻结", "卖家反映资金被冻结三十天。",
               ["funds_hold"], ["amazon"], "zh")
    assert _ids(search(db, "冻结三十天")) == [new]
    db.execute("UPDATE posts SET title = '物流讨论', body = '现在讨论的是物流问题。' WHERE id = ?",
               [ids["zh_ban"]])
    assert _ids(search(db, "封号")) == []
    db.execute("UPDATE posts SET title = 'English title', body = 'now English' WHERE id = ?", [new])
    assert _ids(search(db, "冻结")) == [] and new not in {
        r[0] for r in db.execute("SELECT rowid FROM posts_trigram")}
    db.execute("DELETE FROM posts WHERE id = ?", [ids["zh_video"]])
    assert _ids(search(db, "视频验证")) == []
