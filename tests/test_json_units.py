"""Units of the `json` source type and of old-item skipping: config validation (file + key in every
error), JSON paths over hostile shapes, time placeholders, epoch dates, id gaps."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from crackdown.config import ConfigError, load_config
from crawlers import json_path
from crawlers.items import PostItem
from crawlers.list_age import numeric_id, split_old
from crawlers.spiders.json_api import epoch_to_iso, fill_placeholders, item_date, items_from_json
from tests.conftest import REPO

BASE = """[[sources]]
id = "api"
name = "API"
type = "{type}"
url = "https://api.example.test/list"
{extra}
"""
FIELDS = '[sources.fields]\nitems = "data.rows"\ntitle = "title"\nlink_template = "https://x.test/{id}"\n'


def _load(tmp_path, extra: str, type_: str = "json"):
    path = tmp_path / "config.toml"
    path.write_text(BASE.format(type=type_, extra=extra), encoding="utf-8")
    return load_config(path)


def test_a_valid_json_source_loads(tmp_path):
    src = _load(tmp_path, '[sources.request]\nmethod = "post"\nbody = { a = 1, since = "{now_ms-12h}" }\n'
                          'headers = { Origin = "https://x.test" }\npage_param = "page"\nmax_pages = 3\n'
                          + FIELDS).sources[0]
    assert src.request.method == "POST" and src.request.body_dict() == {"a": 1, "since": "{now_ms-12h}"}
    assert src.request.max_pages == 3 and src.fields.items == "data.rows"


@pytest.mark.parametrize("extra, key, problem", [
    ("", "sources[0] (api).fields", "is required"),
    ('[sources.request]\nmethod = "PUT"\n' + FIELDS, "request.method", "must be one of GET, POST"),
    ('[sources.request]\nbody = { a = 1 }\n' + FIELDS, "request.body", 'only with method = "POST"'),
    ('[sources.request]\nmethod = "POST"\nbody = { when = 2026-12-04 }\n' + FIELDS,
     "request.body.when", "cannot be sent as JSON"),
    ('[sources.request]\nmethod = "POST"\nbody = { t = "{now-2x}" }\n' + FIELDS,
     "request.body.t", "not a time placeholder"),
    ('[sources.request]\nheaders = { Host = "evil.test" }\n' + FIELDS, "request.headers.Host",
     "cannot be set here"),
    ('[sources.request]\nheaders = { X-A = "a\\r\\nSet-Cookie: x" }\n' + FIELDS, "request.headers.X-A",
     "one-line string"),
    ('[sources.request]\nmax_pages = 3\n' + FIELDS, "request.max_pages", "needs page_param"),
    ('[sources.request]\npage_param = "p"\nmax_pages = 500\n' + FIELDS, "request.max_pages",
     "at most 50"),
    ('[sources.request]\npages = 2\n' + FIELDS, "request.pages", "unknown key"),
    ('[sources.fields]\nitems = "rows"\nlink = "url"\n', "fields.title", "is required"),
    ('[sources.fields]\nitems = "rows"\ntitle = "t"\n', "fields.link", "link_template"),
    ('[sources.fields]\nitems = "rows..x"\ntitle = "t"\nlink = "u"\n', "fields.items", "not a path"),
    ('[sources.fields]\ntitle = "t"\nlink_template = "https://x.test/news"\n', "fields.link_template",
     "must contain a field"),
    ('[sources.fields]\ntitle = "t"\nlink = "u"\ndate_unit = "us"\n', "fields.date_unit",
     "auto, s, ms, text"),
    ('[sources.fields]\ntitle = "t"\nlink = "u"\nstatus_ok = "0"\n', "fields.status_ok", "needs status"),
])
def test_json_config_errors_name_file_and_key(tmp_path, extra, key, problem):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, extra)
    message = str(err.value)
    assert message.startswith(str(tmp_path / "config.toml")) and key in message and problem in message


def test_json_tables_on_another_type_and_a_negative_id_gap_are_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"sources\[0\] \(api\)\.fields: only applies to type"):
        _load(tmp_path, FIELDS, type_="feed")
    with pytest.raises(ConfigError, match=r"max_id_gap: must be >= 0"):
        _load(tmp_path, "max_id_gap = -5", type_="feed")


def test_shipped_config_moves_amz123_to_json_and_ebay_to_html():
    config = load_config(REPO / "config.toml")
    kx, ebay = config.source("amz123_kx"), config.source("ebay_community_selling")
    assert kx.type == "json" and kx.request.method == "POST" and kx.url.endswith("/kx_list")
    assert dict(kx.request.headers)["Origin"] == "https://www.amz123.com"
    assert set(kx.request.body_dict()) == {"is_important", "category_id", "start_time", "end_time",
                                           "keyword", "is_query_zb", "is_query_total_count"}
    assert ebay.type == "html" and "/forum/selling-57920/" in ebay.url
    assert config.source("etsy_community_technical").type == "khoros"


def test_paths_reach_both_row_shapes_and_survive_hostile_input():
    data = {"data": {"row_map": {"a": [{"kx_content": [{"id": 1}, {"id": 2}]}],
                                 "b": {"kx_content": [{"id": 3}, "junk", 7]}}}}
    assert [i["id"] for i in json_path.items_at(data, "data.row_map.*.kx_content")] == [1, 2, 3]
    assert json_path.items_at(data, "data.rows") is None
    assert json_path.items_at({"data": {"rows": []}}, "data.rows") == []
    assert json_path.items_at([{"id": 1}], "") == [{"id": 1}]
    assert json_path.scalar({"a": [{"b": "x"}]}, "a.0.b") == "x"
    assert json_path.scalar({"a": [1, 2]}, "a.9") is None and json_path.scalar({"a": True}, "a") is None
    assert json_path.text({"a": {"b": 1}}, "a") == ""              # containers are not values
    assert json_path.items_at("a string", "data") is None
    wide = {"x": [{"y": list(range(300))} for _ in range(1000)]}   # 300k nodes: capped, no blow-up
    assert len(json_path.resolve(wide, "x.*.y.*")) <= 100_300


def test_time_placeholders_fill_at_crawl_time():
    now = 1_764_800_000.0
    body = {"s": "{now-2d}", "e": "{now}", "m": "{now_ms-12h}", "k": "{now is text}",
            "nested": [{"t": "{now-1h}"}]}
    filled = fill_placeholders(body, now)
    assert filled == {"s": int(now - 172800), "e": int(now), "m": int((now - 43200) * 1000),
                      "k": "{now is text}", "nested": [{"t": int(now - 3600)}]}


def test_epoch_dates_seconds_milliseconds_and_garbage():
    assert epoch_to_iso(1764806400, "s") == "2025-12-04T00:00:00+00:00"
    assert epoch_to_iso(1764806400000, "auto") == "2025-12-04T00:00:00+00:00"
    assert epoch_to_iso("1764806400", "auto") == "2025-12-04T00:00:00+00:00"
    assert epoch_to_iso(1764806400, "ms") == "1970-01-21T10:13:26+00:00"
    assert epoch_to_iso(1e300, "s") is None and epoch_to_iso("soon", "s") is None
    fields = load_config(REPO / "config.toml").source("amz123_kx").fields
    assert item_date({"published_at": "2026-12-04 09:30"}, fields) == "2026-12-04 09:30"


def test_items_skip_rows_without_title_or_safe_link():
    fields = load_config(REPO / "config.toml").source("amz123_kx").fields
    data = {"status": 0, "data": {"row_map": {"d": [{"kx_content": [
        {"id": 1, "title": "ok", "published_at": 1764806400, "description": "<b>x</b>"},
        {"id": "../../evil?x=1", "title": "escaped id"},
        {"id": None, "title": "no id"}, {"id": 4, "title": ""}, {"id": 5, "title": {"zh": "x"}}]}]}}}
    items = items_from_json(data, fields, "amz123_kx", "https://api.amz123.com/x")
    assert [i.url for i in items] == ["https://www.amz123.com/kx/1",
                                      "https://www.amz123.com/kx/..%2F..%2Fevil%3Fx%3D1"]
    assert items[0].published == "2025-12-04T00:00:00+00:00" and items[0].guid == "1"
    assert json.loads(json.dumps(items[0].body_html)) == "<b>x</b>"


def _item(url: str, published: str | None = None, guid: str | None = None) -> PostItem:
    return PostItem(source_id="s", url=url, title="t", published=published, guid=guid)


def test_split_old_by_list_date_in_the_source_zone_and_by_id_gap():
    now = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
    items = [_item("https://x.test/article/180104"), _item("https://x.test/article/25783"),
             _item("https://x.test/a/9", published="2026-11-01 10:00"),
             # 13 days 20 hours ago as Beijing prints it: young enough only when read in that zone
             _item("https://x.test/a/8", published=(now - timedelta(days=13, hours=20)).astimezone(
                 ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")),
             _item("https://x.test/no-number")]
    keep, old = split_old(items, 14, 3000, "Asia/Shanghai", now)
    assert [i.url for i in keep] == ["https://x.test/article/180104", "https://x.test/a/8",
                                     "https://x.test/no-number"]
    assert [o[0].url for o in old] == ["https://x.test/article/25783", "https://x.test/a/9"]
    assert "154321 below the newest" in old[0][1] and "over 14 days old" in old[1][1]
    assert [o[0].url for o in split_old(items[2:4], 14, 0, "America/New_York", now)[1]] == [
        "https://x.test/a/9"]
    assert [o[0].url for o in split_old(items[3:4], 14, 0, "Pacific/Kiritimati", now)[1]] == [
        "https://x.test/a/8"]   # the same text read at UTC+14 is six hours older
    # switched off: nothing is judged old
    assert split_old(items, 0, 0, "", now)[1] == []


def test_numeric_id_prefers_a_numeric_guid_then_the_last_number_in_the_path():
    assert numeric_id(_item("https://x.test/t/slug/123?page=99999", guid="4567")) == 4567
    assert numeric_id(_item("https://c.test/forum/selling-57920/topic/funds-held-471188/")) == 471188
    assert numeric_id(_item("https://x.test/t/ab12")) is None


@pytest.mark.parametrize("text", ["2026-12-04T10:00:00+08:00", "2026-12-04 10:00", "2026-12-04",
                                  "2026-12-04T02:00:00Z", "1970-01-01T00:00:00+00:00", "20261204",
                                  "Thu, 03 Dec 2026 10:00:00 GMT", "3小时前", "not a date"])
def test_list_dates_read_exactly_as_the_normalise_pipeline_reads_them(text):
    from crawlers.list_age import _list_date
    from crawlers.normalize import to_utc_iso

    now = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
    tz = ZoneInfo("Asia/Shanghai")
    assert _list_date(text, tz, now) == to_utc_iso(text, tz, now)


def test_field_alternatives_take_the_first_with_a_value():
    assert json_path.text({"description": "", "content": "正文"}, "description|content") == "正文"
    assert json_path.text({"resource_id": 77}, "id|resource_id") == "77"
    assert json_path.text({"id": 5, "resource_id": 77}, "id|resource_id") == "5"
