"""Keywords for the eight default topics: the lexicon of a config whose [[topics]] give none.

config.toml lists the same words explicitly (a test keeps the two equal), so they can be edited there.
"""

from __future__ import annotations

DEFAULT_KEYWORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "review_abuse": (
        ("fake reviews", "fake review", "fake-review", "review manipulation", "review-manipulation",
         "manipulating reviews", "manipulated reviews", "incentivized reviews", "incentivised reviews",
         "paid reviews", "paid reviewers", "review abuse", "review broker", "review brokers",
         "reviews removed", "removed reviews", "review fraud", "review farm", "review farms",
         "review hijacking", "refund for review", "free products for reviews"),
        ("刷单", "刷评", "测评", "操纵评论", "评论操纵", "好评返现", "虚假评论", "买评论", "删评",
         "索评", "滥用评论", "不当使用评论", "虚假交易", "评论被删"),
    ),
    "verification": (
        ("identity verification", "ID verification", "video verification", "address verification",
         "business verification", "document verification", "re-verification", "reverification",
         "re-verify", "reverify", "KYC", "INFORM Consumers Act", "verify your identity",
         "verify their identity", "video call verification", "seller verification",
         "Seller Identity Verification", "in-person verification", "proof of address",
         "video call", "video authentication", "live video", "identity check", "identity checks",
         "trader traceability"),
        ("视频验证", "地址验证", "二审", "身份验证", "KYC", "视频审核", "身份审核", "验证视频",
         "人脸识别", "重新验证", "明信片验证", "二次验证", "实名认证", "二次实名"),
    ),
    "store_closure": (
        ("account suspended", "accounts suspended", "suspended account", "suspended accounts",
         "suspended seller", "suspended sellers", "account suspension", "account deactivated",
         "accounts deactivated", "deactivated account", "account deactivation", "account terminated",
         "accounts terminated", "banned from selling", "banned sellers", "accounts closed",
         "store closure", "store closures", "stores closed", "ban wave", "plan of action",
         "reinstated", "reinstatement"),
        ("封号", "封店", "账号被封", "封号潮", "申诉", "POA", "账号停用", "账户停用", "被停用",
         "被封", "店铺被关", "店铺关闭", "清退", "炸号"),
    ),
    "funds_hold": (
        ("funds held", "funds on hold", "funds frozen", "frozen funds", "funds withheld",
         "withheld funds", "withholding funds", "frozen balance", "balance frozen",
         "disbursement hold", "disbursements paused", "disbursements suspended", "payout hold",
         "payouts on hold", "payouts paused", "payout paused", "payments on hold", "payment hold",
         "payment holds", "payment reserve", "rolling reserve", "placed a reserve", "held funds",
         "payouts withheld", "withheld payouts", "withheld pay", "payouts frozen", "payments frozen"),
        ("冻结资金", "资金冻结", "资金被冻", "冻结", "冻住", "钱被冻", "暂停放款", "暂停回款",
         "资金被扣", "扣留资金", "余额冻结", "提现失败"),
    ),
    "listing_takedown": (
        ("listings removed", "listing removed", "removed listings", "listings suppressed",
         "listing suppressed", "suppressed listings", "search suppression", "delisted", "delisting",
         "taken down", "ASINs removed", "listing deactivated", "listings deactivated",
         "pulled listings", "pulled from sale", "removed from sale", "products removed",
         "listings blocked", "blocked listings", "ASIN suspended", "ASINs suspended",
         "search suppressed", "inactive (blocked)", "listings inactive"),
        ("下架", "listing被删", "链接被删", "删除listing", "被下架", "商品被移除", "屏蔽", "禁售",
         "停售", "搜索抑制", "被压制", "链接没了"),
    ),
    "counterfeit_ip": (
        ("counterfeit", "counterfeits", "infringement", "infringing", "intellectual property",
         "trademark infringement", "patent infringement", "Counterfeit Crimes Unit", "knockoff",
         "knockoffs", "VeRO", "IP complaint", "IP complaints", "Schedule A", "brand protection", "IPR"),
        ("侵权", "假货", "知识产权", "商标侵权", "专利侵权", "仿冒", "侵权投诉", "IP投诉", "TRO",
         "假冒"),
    ),
    "data_leak": (
        ("data leak", "data leaks", "leaked", "leaked data", "leaked database", "breach",
         "data breach", "exposed database", "Elasticsearch", "unsecured server", "unsecured database",
         "leaked documents", "hacked", "hackers"),
        ("泄露", "数据泄露", "泄漏", "信息泄露", "数据库泄露", "黑客", "拖库"),
    ),
    "policy_change": (
        ("new policy", "policy update", "policy change", "policy changes", "new rules", "new rule",
         "updated policy", "new requirement", "new requirements", "will require", "will be required",
         "takes effect", "take effect", "goes into effect", "Digital Services Act", "GPSR"),
        ("新规", "新政", "新政策", "政策更新", "规则更新", "新规则", "法规", "生效", "正式实施",
         "起施行"),
    ),
}
