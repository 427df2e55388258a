"""The Chinese catalogue: English message id (as written in `_()` / `tr()`) → Chinese.

Keep the `%(name)s` placeholders of the id; a plural pair is keyed by its plural form. Add new
strings to the section of the template or module they come from (reports/i18n.py explains the
mechanism; tests/test_brief_zh.py fails when a template string is missing here).
"""

ZH: dict[str, str] = {
    # --- brief subject (reports/brief.py) --------------------------------------------------
    "Crackdown %(date)s: %(topic)s surge%(where)s (%(count)d posts, %(ratio)s× usual)":
        "Crackdown %(date)s：%(topic)s激增%(where)s（%(count)d 篇，平时的 %(ratio)s 倍）",
    " on %(markets)s": "·%(markets)s",
    "Crackdown %(date)s: %(count)d enforcement posts, no surge":
        "Crackdown %(date)s：%(count)d 篇执法相关帖子，无激增",

    # --- brief.html.j2 and brief.txt.j2 -----------------------------------------------------
    "Crackdown brief %(date)s": "Crackdown 简报 %(date)s",
    "CRACKDOWN BRIEF %(date)s": "Crackdown 简报 %(date)s",
    "Marketplace enforcement brief": "平台执法简报",
    "All marketplaces": "全部平台",
    "Marketplaces: %(markets)s": "平台：%(markets)s",
    "%(enforcement)d enforcement posts of %(total)d": "%(total)d 篇中 %(enforcement)d 篇涉及执法",
    "%(num)d naming no marketplace left out": "另有 %(num)d 篇未提及平台，未计入",
    "Wave: %(topic)s": "激增：%(topic)s",
    "WAVES": "激增",
    "%(posts)d posts from %(sources)s (%(tiers)s),": "%(posts)d 篇，来自 %(sources)s（%(tiers)s），",
    "%(num)d sources": "%(num)d 个来源",
    "the usual %(mean)s/day": "（平时每天 %(mean)s 篇）",
    "No surge today: every topic is within its usual range.": "今日无激增：各主题均在正常范围内。",
    "Today by topic": "今日各主题",
    "TODAY BY TOPIC (last %(days)d days, today last)": "今日各主题（最近 %(days)d 天，最后一列为今天）",
    "SURGE": "激增",
    "Bars: the last %(days)d days, today on the right.": "柱状图：最近 %(days)d 天，最右为今天。",
    "%(num)d stories": "%(num)d 条报道",
    "also:": "另属：",
    "Also reported by": "其他报道来源",
    "First reported %(date)s by %(source)s": "最早于 %(date)s 由 %(source)s 报道",
    "%(num)d more in the archive:": "存档中还有 %(num)d 条：",
    "Source health": "来源状态",
    "SOURCE HEALTH": "来源状态",
    "failing since %(date)s": "自 %(date)s 起抓取失败",
    "failing, never succeeded": "抓取失败，从未成功",
    "went silent since %(date)s": "自 %(date)s 起无新帖",
    "failing %(num)d runs": "连续 %(num)d 次抓取失败",
    ", last good crawl %(date)s": "，上次成功为 %(date)s",
    ", never succeeded": "，从未成功",
    "no new posts since %(date)s (%(days)d days;": "自 %(date)s 起无新帖（已 %(days)d 天；",
    "usually none in the previous %(days)d days)": "此前 %(days)d 天也没有帖子）",
    "usually %(rate)s a day)": "平时每天 %(rate)s 篇）",
    "usually one every %(days)s days)": "平时每 %(days)s 天一篇）",
    "All sources answered on their last crawl and are posting as usual.":
        "所有来源在上次抓取时均正常响应，发帖频率正常。",
    "Sent by Crackdown. Topics are assigned by a classifier; correct one with":
        "由 Crackdown 发送。主题由分类器自动标注；如需更正，请运行",
    ".": "。",

    # --- event cards and story events (_event_cards.*.j2, _story_event.*.j2) ------------------
    "Events under way": "进行中的事件",
    "EVENTS UNDER WAY": "进行中的事件",
    "%(topic)s — %(market)s": "%(topic)s·%(market)s",
    "%(topic)s - %(market)s": "%(topic)s·%(market)s",
    "day %(num)d": "第 %(num)d 天",
    "%(posts)s from %(sources)s": "%(posts)s，来自 %(sources)s",
    "%(num)d posts": "%(num)d 篇",
    " (official since %(date)s)": "（自 %(date)s 起有官方消息）",
    "named: %(names)s": "涉及：%(names)s",
    "rising": "上升中",
    "peak": "高峰",
    "fading": "回落中",
    "over": "已结束",
    "per day: %(counts)s": "每日帖数：%(counts)s",
    "First post %(date)s: %(post)s (%(source)s, %(tier)s); flagged %(flagged)s":
        "首帖 %(date)s：%(post)s（%(source)s，%(tier)s）；于 %(flagged)s 判定为激增",
    "first post %(date)s (%(source)s, %(tier)s); flagged %(flagged)s":
        "首帖 %(date)s（%(source)s，%(tier)s）；于 %(flagged)s 判定为激增",
    "%(num)d more under way:": "另有 %(num)d 个事件进行中：",
    "Over: %(event)s, %(start)s to %(end)s (%(active)s, %(coverage)s, peak %(peak)d/day)":
        "已结束：%(event)s，%(start)s至%(end)s（%(active)s，%(coverage)s，峰值每天 %(peak)d 篇）",
    "%(num)d active days": "活跃 %(num)d 天",
    "Bars: posts per day since the first post; the last %(days)d at most; light = before the "
    "flag, red = today.":
        "柱状图：自首帖起每天的帖数，最多显示最近 %(days)d 天；浅色为判定激增之前，红色为今天。",
    "Part of the event: %(event)s, day %(num)d": "所属事件：%(event)s，第 %(num)d 天",

    # --- chat messages (reports/notify/messages.py) ------------------------------------------
    "Wave starting: %(topic)s%(where)s": "激增开始：%(topic)s%(where)s",
    "%(count)d posts today so far (by %(time)s %(tz)s); about %(expected)s expected by now":
        "今天截至 %(time)s（%(tz)s）已有 %(count)d 篇，平时此时约 %(expected)s 篇",
    "Reported by %(sources)s (%(tiers)s)": "报道来源：%(sources)s（%(tiers)s）",
    "%(topic)s%(where)s: %(count)d posts, %(ratio)s× the usual":
        "%(topic)s%(where)s：%(count)d 篇，为平时的 %(ratio)s 倍",
    "Top stories:": "主要报道：",
    "Full brief: %(url)s": "完整简报：%(url)s",
    "Full brief: in your email, or `crackdown brief --date %(date)s`":
        "完整简报：见邮件，或运行 `crackdown brief --date %(date)s`",
    "(shortened: %(num)d more lines in the full brief)": "（已截短：完整简报中还有 %(num)d 行）",
    "Test message from Crackdown: channel %(id)s (%(type)s) is set up.":
        "Crackdown 测试消息：频道 %(id)s（%(type)s）已配置成功。",
    "Crackdown test": "Crackdown 测试",
}
