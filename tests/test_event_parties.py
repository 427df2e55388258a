"""Named-party extraction (reports/parties.py) on English and Chinese titles."""

from reports.parties import extract_parties, parse_known


def post(title, source, day="2021-05-12", body=""):
    return {"title": title, "body": body, "source_id": source, "dated_at": f"{day}T09:00:00+00:00"}


ENGLISH = [
    post("Aukey goes dark on Amazon.com", "ledger"),
    post("AUKEY IS GONE FROM AMAZON", "reddit"),
    post("Megathread: review manipulation deactivations (Aukey, Mpow, etc.) — post here", "reddit2",
         "2021-05-13"),
    post("Where did Mpow go? Shoppers and sellers notice listings vanishing", "bytes", "2021-05-05",
         "Several sellers say the Mpow catalogue is gone; RAVPower may be next."),
    post("Several sellers deactivated after Amazon reviews purge", "wire",
         body="Sellers on Amazon said reviews were removed. The purge hit several brands."),
    post("Sellers ask the FTC and the CMA to act on fake reviews", "wire2",
         body="Consumer groups wrote to the FTC. The CMA said it was looking at the issue."),
]


def test_english_titles_give_brands_ranked_by_sources():
    parties = extract_parties(ENGLISH)
    names = [p.name for p in parties]
    assert names[:2] == ["Aukey", "Mpow"]              # by sources, not by first mention
    aukey = parties[0]
    assert aukey.sources == 3 and aukey.first_day == "2021-05-12"
    assert parties[1].sources == 2 and parties[1].first_day == "2021-05-05"
    # sentence-openers, marketplaces and words also written in lower case are not parties
    for word in ("Several", "Amazon", "Sellers", "Where", "Megathread", "Shoppers", "IS", "GONE"):
        assert word not in names
    # one source is not enough for an unknown word, even a real name in a body (RAVPower)
    assert "RAVPower" not in names and "FTC" not in names


def test_known_names_count_from_one_source_and_from_bodies():
    parties = extract_parties(ENGLISH, known=("RAVPower", "FTC", "CMA", "Anker"))
    by_name = {p.name: p for p in parties}
    assert by_name["RAVPower"].sources == 1 and by_name["FTC"].sources == 1
    assert by_name["CMA"].sources == 1
    assert "Anker" not in by_name                       # known, but nobody named it


def test_display_form_prefers_the_usual_spelling_over_capitals():
    parties = extract_parties([post("AUKEY IS GONE", "a"), post("AUKEY gone, Aukey fans sad", "b"),
                               post("About Aukey", "c")])
    assert [p.name for p in parties] == ["Aukey"]


CHINESE = [
    post("傲基Aukey亚马逊店铺“消失” 大卖封号事件再升级", "kjnews"),
    post("傲基Aukey的店也没了???", "bbs"),
    post("傲基的店铺今天彻底搜不到了", "bbs2", "2021-05-13"),
    post("帕拓逊旗下Mpow亚马逊店铺疑似被关闭 多条热销链接下架", "kjnews", "2021-05-06"),
    post("Mpow的链接是不是都没了?刚搜了一圈", "bbs", "2021-05-05"),
    post("上市卖家汇远科技公告:子公司部分亚马逊店铺被停用", "kjnews", "2021-05-13"),
]


def test_chinese_name_before_its_latin_form_joins_that_party():
    parties = extract_parties(CHINESE)
    aukey = next(p for p in parties if p.name == "Aukey")
    # 傲基 was learnt from "傲基Aukey", so the Chinese-only post (bbs2) counts for Aukey too
    assert aukey.aliases == ("傲基",) and aukey.sources == 3 and aukey.label == "Aukey (傲基)"
    mpow = next(p for p in parties if p.name == "Mpow")
    assert mpow.aliases == () and mpow.sources == 2    # "帕拓逊旗下" is no name: five characters
    assert not any("亚马逊" in a for p in parties for a in p.aliases)


def test_configured_chinese_and_latin_forms_are_one_party():
    parties = extract_parties(CHINESE, known=("Patozon|帕拓逊", "Huiyuan|汇远科技"))
    by_name = {p.name: p for p in parties}
    assert by_name["Patozon"].label == "Patozon (帕拓逊)" and by_name["Patozon"].sources == 1
    assert by_name["Huiyuan"].first_day == "2021-05-13"


def test_mixed_languages_rank_by_distinct_sources():
    parties = extract_parties(ENGLISH + CHINESE, known=("Patozon|帕拓逊",))
    assert [p.name for p in parties[:2]] == ["Aukey", "Mpow"]
    assert parties[0].sources == 6                      # ledger, reddit, reddit2, kjnews, bbs, bbs2


def test_parse_known_and_limit():
    assert parse_known(["Aukey| 傲基 ", " ", "FTC"]) == [("Aukey", "傲基"), ("FTC",)]
    many = [post(f"Brand{n}x and Brand{n}x again", s) for n in range(15) for s in ("a", "b")]
    assert len(extract_parties(many, limit=10)) == 10
