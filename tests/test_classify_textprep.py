"""Text preparation on its own: furniture removal, language detection, body windows."""

from __future__ import annotations

import numpy as np
import pytest

from classify.language import detect_language
from classify.textprep import strip_boilerplate, without_cjk
from classify.windows import MAX_WINDOWS, WINDOW_CHARS, body_windows, window_texts

FURNITURE = [
    "Skip to main content",
    "Menu",
    "Share on Facebook Share on Twitter Share on LinkedIn Email",
    "Facebook | Twitter | LinkedIn | Print",
    "By Jane Doe | May 13, 2021, 9:41 AM EDT",
    "By Jane Doe and Li Wei",
    "Published: 13 May 2021",
    "May 13, 2021 at 9:41 a.m. EDT",
    "4 min read",
    "Photo: Boxes at a fulfilment centre in Shenzhen (Getty Images)",
    "Image credit: Shutterstock",
    "We may earn a commission when you buy through links on our site.",
    "This site uses cookies to improve your experience. Accept all cookies or manage preferences.",
    "Sign up for our daily newsletter to get seller news in your inbox.",
    "Related: Amazon bans another big Chinese brand",
    "Read more: How to write a plan of action",
    "© 2021 Example Media Ltd. All rights reserved.",
    "Advertisement",
    "This alert is provided for informational purposes only and does not constitute legal advice.",
    "Attorney Advertising. Prior results do not guarantee a similar outcome.",
    "点击上方蓝字关注我们",
    "来源：雨果网",
    "责任编辑：王明",
    "免责声明：本文仅代表作者观点。",
    "Zum Inhalt springen",
    "Teilen",
]

CONTENT = [
    "By May 2021, Amazon had closed the stores of about 600 Chinese brands.",
    "Amazon froze the funds of dozens of sellers; payouts have been on hold for 90 days.",
    "Not legal advice, but I would appeal at once and attach the supplier invoices.",
    "Share your experience: has anyone else had the video verification call this week?",
    "The new policy on cookies and tracking does not change what sellers must disclose.",
    "亚马逊冻结了大量卖家的资金，平台称正在进行风控审查。",
    "Di recente Amazon ha sospeso molti account di venditori cinesi.",
    "Photos of the seized counterfeit goods were shown at the press conference on Tuesday.",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_lines_are_removed(line):
    assert strip_boilerplate(f"{line}\nAmazon suspended the seller accounts.") == \
        "Amazon suspended the seller accounts."


@pytest.mark.parametrize("line", CONTENT)
def test_content_lines_stay(line):
    assert strip_boilerplate(line) == line


def test_a_share_bar_glued_to_a_paragraph_is_cut_off_and_paragraphs_keep_their_breaks():
    text = ("Share on Facebook Share on Twitter The FTC finalised its rule on fake reviews.\n\n\n"
            "Menu\nMenu\nSellers face fines.\nSellers face fines.")
    # A repeated short line (a menu printed twice) goes; a repeated sentence is kept once.
    assert strip_boilerplate(text) == "The FTC finalised its rule on fake reviews.\n\nSellers face fines."


def test_a_long_paragraph_mentioning_notice_words_is_content():
    paragraph = ("Etsy said it would hold payouts for new shops and that its terms of service and "
                 "privacy policy now require a verified bank account before the first sale, " * 3)
    assert strip_boilerplate(paragraph) == paragraph.strip()


@pytest.mark.parametrize("text,hint,expected", [
    ("Amazon suspended hundreds of seller accounts this week after a review scandal.", None, "en"),
    ("Amazon hat die Konten von mehreren hundert Händlern gesperrt und die Auszahlungen "
     "zurückgehalten.", "en", "de"),
    ("Amazon a suspendu les comptes de plusieurs vendeurs chinois et bloqué leurs fonds.", "en", "fr"),
    ("Amazon ha suspendido las cuentas de cientos de vendedores por reseñas falsas.", "en", "es"),
    ("Amazon ha sospeso gli account di molti venditori per recensioni false e la verifica.", "en", "it"),
    ("A Amazon suspendeu as contas de centenas de vendedores por avaliações falsas.", "en", "pt"),
    ("Amazon zawiesił konta wielu sprzedawców i wstrzymał wypłaty do czasu weryfikacji.", "en", "pl"),
    ("Amazonはレビュー操作を理由に多くの中国系セラーのアカウントを停止した。", "en", "ja"),
    ("亚马逊封号潮持续发酵，多家深圳大卖店铺被关，资金被冻结。", "en", "zh"),
    ("Amazon заблокировал аккаунты сотен продавцов за фейковые отзывы.", "en", "ru"),
    ("쿠팡이 상품명 정책을 위반한 판매자들의 판매를 일괄 중단했다.", "en", "ko"),
    ("ร้านค้าของฉันบน Shopee ถูกระงับและยอดขายถูกพักไว้ 30 วัน", "en", "th"),
    ("تم تعليق حسابي على نون وتجميد أرباحي حتى إشعار آخر", "en", "ar"),
    ("Shopee khóa tài khoản người bán và giữ lại tiền hàng trong 30 ngày.", "en", "vi"),
    ("Trendyol satıcı hesabımı kapattı ve ödemelerim bloke edildi, bu konuda bilen var mı?", "en", "tr"),
    ("Akun toko saya di Tokopedia dibekukan dan dana penjualan ditahan karena dugaan pelanggaran.",
     "en", "id"),
    ("Το Amazon ανέστειλε τους λογαριασμούς πολλών πωλητών για ψεύτικες κριτικές.", "en", "el"),
    # a script none of the rules names: not English (never the English-only encoder), the hint
    # naming its language if there is one
    ("Amazon-მა გამყიდველების ანგარიშები დაბლოკა და თანხები გაყინა.", "en", "und"),
    ("Amazon-მა გამყიდველების ანგარიშები დაბლოკა და თანხები გაყინა.", "ka", "ka"),
    # a long Latin-script text with almost no English function words is not English either
    ("Amazon har stängt av hundratals säljarkonton den här veckan och hållit inne utbetalningarna. "
     "Säljarna säger att de inte fått någon förklaring och att pengarna har varit frysta i över en "
     "månad nu, vilket gör det svårt att betala leverantörer och personal.", "en", "und"),
    ("ASIN suspended", "de", "de"),        # too few words to call: the hint stands
    ("", "fr", "fr"),
])
def test_languages_are_read_from_the_text(text, hint, expected):
    assert detect_language(text, hint) == expected


def test_short_bodies_are_one_window_and_long_ones_are_cut_at_sentence_ends():
    assert body_windows("Short post.") == ["Short post."]
    assert body_windows("") == [""]
    sentence = "Amazon placed a reserve on the account and payouts are held for review. "
    body = sentence * 40                                   # ~2,900 characters
    windows = body_windows(body)
    assert len(windows) == MAX_WINDOWS
    assert all(w.endswith(".") for w in windows)           # cut after a sentence, not mid-word
    assert all(len(w) <= WINDOW_CHARS for w in windows)
    # A tail shorter than MIN_TAIL_CHARS rides with the window before it.
    assert len(body_windows("x" * (WINDOW_CHARS + 100))) == 1
    texts = window_texts("Funds held", body, max_windows=2)
    assert len(texts) == 2 and all(t.startswith("Funds held. ") for t in texts)


def test_posts_in_other_languages_are_read_in_passages_of_their_body():
    from classify.classifier import passage_readings, reads_in_passages
    from classify.windows import PASSAGE_CHARS

    assert reads_in_passages("de") and reads_in_passages("zh") and not reads_in_passages("en")
    long_body = " ".join(f"Satz {i} über Versand, Verpackung und Preise im Frühjahr." for i in range(60))
    short = ("Konto gesperrt", "Amazon hat das Konto gesperrt.")
    texts, owners = passage_readings([short, ("Quartal", long_body)], [12, 700], 6, 128)
    # The short post is one passage within one window: its opening, already read whole.
    assert owners == [1] * 6 and all(t.startswith("Quartal. ") for t in texts)
    pieces = [t.removeprefix("Quartal. ") for t in texts]
    assert long_body.startswith(" ".join(pieces[:2]))   # consecutive pieces from the start
    assert all(len(p) <= PASSAGE_CHARS + 200 for p in pieces)
    # One passage but longer than a window (a Chinese post of ~300 characters): read as well.
    assert passage_readings([("标题", "亚马逊封号。" * 40)], [200], 6, 128)[1] == [0]


def test_a_posts_passages_add_their_best_reading_to_its_whole_one():
    from classify.classifier import pool_passages

    whole = np.array([[0.2, 0.6], [0.1, 0.1], [0.5, 0.5]])
    passages = np.array([[0.9, 0.1], [0.3, 0.2], [0.1, 0.9]])   # two of post 0, one of post 2
    pooled = pool_passages(whole, passages, [0, 0, 2])
    assert np.allclose(pooled, [[0.55, 0.4], [0.1, 0.1], [0.3, 0.7]])


@pytest.mark.parametrize(("text", "expected"), [
    ("Amazon suspended 600 brands", "Amazon suspended 600 brands"),       # English: untouched
    ("美亚新账号被封，如何申诉？ Your seller account has been deactivated.",
     "Your seller account has been deactivated."),                       # title and full-width marks
    ("所在分类: Amazon 发帖24次 Dear Seller,\nWe are reviewing your account.",
     ": Amazon 24 Dear Seller,\nWe are reviewing your account."),          # line breaks stay
    ("Rakuten の退店方法 guide", "Rakuten guide"),                            # kana too
    ("封号潮", ""),
])
def test_without_cjk_keeps_what_the_english_encoder_reads(text, expected):
    assert without_cjk(text) == expected
