"""Club life on two phones in Korean: the owner pins a notice, a poll's counts change live on the
other phone, the poll closes and the treasurer turns it into dues for those going.

Then a bill split and paid from the other phone.

Screenshots (var/test-artifacts/screens/): club-notice-*, club-poll-*, club-poll-dues-*, club-split-*."""

import time

import pytest
from playwright.sync_api import expect

from chat.models import Attachment
from chat.tests.live import post_json, request_json
from tests.browser.helpers import PHONE, PIN, messages, send_message, shoot, sign_up, user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def two_phones_in_a_club(node, new_page, name: str):
    """Ana (the channel's owner and its group wallet's treasurer) and Ben, each on a phone in Korean."""
    ana, ben = new_page(size=PHONE, locale="ko-KR"), new_page(size=PHONE, locale="ko-KR")
    sign_up(ana, node, "ana", language="ko")
    sign_up(ben, node, "ben", language="ko")
    channel = post_json(node, "/api/channels", user("ana"), {"name": name})
    post_json(node, f"/api/channels/{channel['id']}/join", user("ben"), {})
    wallet = post_json(node, f"/api/channels/{channel['id']}/group-wallets", user("ana"), {"name": "산악회 회비"})
    post_json(node, f"/api/wallets/{wallet['id']}/join", user("ben"), {})
    for page in (ana, ben):
        page.goto(f"{node.http_url}/#/channel/{channel['id']}")
        page.reload()  # the page read its channels before they existed
        expect(page.get_by_role("heading", name=f"#{name}")).to_be_visible()
    return ana, ben


def test_a_notice_and_a_poll_turned_into_dues_on_two_phones(node, new_page):
    ana, ben = two_phones_in_a_club(node, new_page, "산악회")

    # The owner pins a notice: it shows at the top of Ben's chat at once.
    send_message(ana, "토요일 아침 9시, 수서역 3번 출구에서 만나요")
    expect(messages(ben)).to_have_count(1)
    messages(ana).first.get_by_test_id("more").click()
    messages(ana).first.get_by_test_id("pin-notice").click()
    expect(ben.get_by_test_id("notice-bar")).to_contain_text("공지 토요일 아침 9시, 수서역 3번 출구에서 만나요")
    expect(ben.get_by_test_id("notice-unpin")).to_have_count(0)  # only the owner takes it down
    expect(ben.get_by_test_id("notice-bar")).not_to_contain_text("null")
    shoot(ben, "club-notice")

    # Ana asks who is going; Ben votes and Ana watches the count change.
    ana.get_by_test_id("new-poll").click()
    form = ana.get_by_test_id("poll-form")
    form.get_by_label("질문").fill("토요일 등산 가실 분?")
    form.get_by_test_id("poll-options").fill("갈래요\n못 가요")
    form.get_by_role("button", name="투표 올리기").click()
    ben_poll = ben.get_by_test_id("poll-card")
    expect(ben_poll).to_contain_text("토요일 등산 가실 분?")
    ben_poll.get_by_test_id("poll-option").filter(has_text="갈래요").click()
    ana_going = ana.get_by_test_id("poll-card").get_by_test_id("poll-option").filter(has_text="갈래요")
    expect(ana_going.get_by_test_id("poll-count")).to_have_text("1")
    expect(ana_going).to_contain_text("ben")
    ana.get_by_test_id("poll-card").get_by_test_id("poll-option").filter(has_text="못 가요").click()
    expect(ben_poll.get_by_test_id("poll-option").filter(has_text="못 가요").get_by_test_id("poll-count")).to_have_text(
        "1"
    )
    expect(ben_poll.get_by_test_id("poll-state")).to_contain_text("2명 투표")
    expect(ben_poll).not_to_contain_text("null")
    shoot(ben, "club-poll")

    # Ana closes it and asks those going for the bus fare; Ben's chat shows the dues naming him.
    ana.get_by_test_id("poll-close").click()
    expect(ben_poll.get_by_test_id("poll-state")).to_contain_text("마감")
    expect(ben_poll.get_by_test_id("poll-option").first).to_be_disabled()
    expect(ben.get_by_test_id("poll-dues")).to_have_count(0)  # Ben is not the treasurer
    ana.get_by_test_id("poll-dues").locator("summary").click()
    dues_form = ana.get_by_test_id("poll-dues-form")
    dues_form.get_by_label("항목").select_option(label="갈래요 (1)")
    dues_form.get_by_label("1인당 금액").fill("15000")
    dues_form.get_by_role("button", name="회비 요청하기").click()
    ben_dues = ben.get_by_test_id("dues-card")
    expect(ben_dues.get_by_test_id("dues-member-ben")).to_be_visible()  # the card names who was asked
    expect(ben_dues.locator("[data-testid^=dues-member-]")).to_have_count(1)  # Ana chose "못 가요"
    expect(ben_dues.get_by_test_id("dues-pay")).to_contain_text("15,000원")
    expect(ana.get_by_test_id("poll-dues-form")).to_be_hidden()  # folded once asked
    shoot(ben, "club-poll-dues")
    shoot(ana, "club-poll-dues-treasurer")

    # The owner takes the notice down: it leaves Ben's chat at once.
    ana.get_by_test_id("notice-unpin").click()
    expect(ben.get_by_test_id("notice-bar")).to_be_hidden()
    expect(ana.get_by_test_id("notice-bar")).to_be_hidden()


def test_a_bill_split_in_the_chat_and_paid_from_the_other_phone(node, new_page):
    ana, ben = two_phones_in_a_club(node, new_page, "저녁모임")
    for name in ("ana", "ben"):
        post_json(node, "/api/wallets", user(name), {"pin": PIN})
    ben_wallet = request_json(node, "GET", "/api/wallets/me", user("ben"))
    post_json(node, f"/api/wallets/{ben_wallet['id']}/deposit", user("ben"), {"amount": 50_000})

    # Ana paid 50,001 won for dinner and splits it with Ben: the odd won is hers (she is first).
    send_message(ana, "오늘 저녁 맛있었어요")
    expect(messages(ben)).to_have_count(1)
    ana.get_by_test_id("new-split").click()
    form = ana.get_by_test_id("split-form")
    form.get_by_label("무엇에 썼나요").fill("삼겹살")
    form.get_by_label("총액 (원)").fill("50001")
    form.get_by_role("button", name="나눠 내기 요청").click()
    card = ben.get_by_test_id("split-card")
    expect(card.get_by_test_id("split-member-ben")).to_contain_text("25,000원")
    expect(card.get_by_test_id("split-member-ana")).to_contain_text("✓ ana 25,001원")
    shoot(ben, "club-split")

    card.get_by_test_id("split-pay").get_by_label("PIN").fill(PIN)
    card.get_by_test_id("split-pay").get_by_role("button").click()
    expect(ana.get_by_test_id("split-card").get_by_test_id("split-member-ben")).to_contain_text("✓ ben")
    expect(ana.get_by_test_id("split-card").get_by_test_id("split-progress")).to_contain_text("2명 중 2명")
    expect(card.get_by_test_id("split-pay")).to_have_count(0)
    settled = ana.locator(".message.activity")
    expect(settled).to_contain_text("“삼겹살” 정산 완료")
    # Ana is told of Ben's payment without losing the composer: on a phone the notice drops in at the top.
    toast = ana.locator(".toast").filter(has_text="25,000원")
    expect(toast).to_be_visible()
    told, send = toast.bounding_box(), ana.get_by_role("button", name="보내기", exact=True).bounding_box()
    assert told["y"] + told["height"] <= send["y"], (told, send)
    shoot(ana, "club-split-paid")

    # Only the money: the chatter hides, the split's card and the feed's line stay.
    ana.get_by_test_id("money-filter").click()
    expect(messages(ana).filter(has_text="오늘 저녁 맛있었어요")).to_be_hidden()
    expect(ana.get_by_test_id("split-card")).to_be_visible()
    expect(settled).to_be_visible()
    shoot(ana, "club-money-only")
    ana.get_by_test_id("money-filter").click()
    expect(messages(ana).filter(has_text="오늘 저녁 맛있었어요")).to_be_visible()


def test_a_photo_from_the_file_chooser_shows_as_a_thumbnail_on_the_other_phone(node, new_page, tmp_path):
    from PIL import Image

    ana, ben = two_phones_in_a_club(node, new_page, "사진동호회")
    path = tmp_path / "IMG_0412.jpg"
    Image.new("RGB", (1600, 1200), (46, 139, 87)).save(path, format="JPEG")
    with ana.expect_file_chooser() as chooser:
        ana.get_by_test_id("send-photo").click()
    chooser.value.set_files(str(path))

    thumbnail = ben.get_by_test_id("photo-thumbnail")
    expect(thumbnail).to_be_visible()
    ben.wait_for_function("() => document.querySelector('[data-testid=photo-thumbnail]')?.naturalWidth > 0")
    # The worker makes the thumbnail (until then the view serves the photo itself); then it is small.
    deadline = time.monotonic() + 60
    while not Attachment.objects.exclude(thumbnail="").exists():
        assert time.monotonic() < deadline, "the worker made no thumbnail"
        time.sleep(0.2)
    ben.reload()
    ben.wait_for_function("() => document.querySelector('[data-testid=photo-thumbnail]')?.naturalWidth > 0")
    assert ben.evaluate("document.querySelector('[data-testid=photo-thumbnail]').naturalWidth") == 480
    shoot(ben, "club-photo")
    thumbnail.click()
    full = ben.get_by_test_id("photo-full")
    expect(full).to_be_visible()
    ben.wait_for_function("() => document.querySelector('[data-testid=photo-full]')?.naturalWidth === 1600")
    shoot(ben, "club-photo-full")
    ben.get_by_test_id("photo-close").click()
    expect(full).to_have_count(0)


def test_photos_chosen_together_show_as_a_grid_on_the_other_phone_heic_too(node, new_page, tmp_path):
    """Four photos from the chooser at once (JPEG, PNG, WebP and an iPhone's HEIC): one message,
    a grid of four thumbnails on Ben's phone, each opening full screen."""
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    ana, ben = two_phones_in_a_club(node, new_page, "사진동호회")
    files = []
    for name, image_format, colour in (
        ("IMG_0001.jpg", "JPEG", (46, 139, 87)),
        ("screenshot.png", "PNG", (70, 130, 180)),
        ("sticker.webp", "WEBP", (218, 165, 32)),
        ("IMG_0002.HEIC", "HEIF", (178, 34, 34)),
    ):
        path = tmp_path / name
        Image.new("RGB", (1200, 900), colour).save(path, format=image_format)
        files.append(str(path))
    with ana.expect_file_chooser() as chooser:
        ana.get_by_test_id("send-photo").click()
    chooser.value.set_files(files)

    grid = ben.get_by_test_id("photo-grid")
    expect(grid.get_by_test_id("photo-thumbnail")).to_have_count(4)
    expect(messages(ben)).to_have_count(1)  # sent together, as one message
    ben.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=photo-thumbnail]')].every((img) => img.naturalWidth > 0)"
    )
    boxes = [grid.get_by_test_id("photo-thumbnail").nth(n).bounding_box() for n in range(4)]
    rows = sorted({round(box["y"]) for box in boxes})
    columns = sorted({round(box["x"]) for box in boxes})
    assert (len(rows), len(columns)) == (2, 2), boxes  # two by two, none left alone on a row
    shoot(ben, "club-photo-grid")
    grid.get_by_test_id("photo-thumbnail").nth(3).click()  # the HEIC, shown as JPEG
    ben.wait_for_function("() => document.querySelector('[data-testid=photo-full]')?.naturalWidth === 1200")
    shoot(ben, "club-photo-grid-full")
