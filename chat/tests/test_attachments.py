"""Photos in the chat, with real image files: checked by decoding (a renamed text file and a
decompression bomb are refused), stored without EXIF or GPS, thumbnailed, attached to messages and
served to members only."""

import io
import os
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pillow_heif import register_heif_opener
from rest_framework.test import APIClient

import chat.tasks  # noqa: F401 - registers the thumbnail task, as a worker's start does
from accounts.tests.factories import UserFactory
from channels_app.tests.factories import channel_with_members
from chat.models import Attachment

register_heif_opener()
pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _photo(image_format: str = "JPEG", size=(1200, 900), exif: bool = True) -> bytes:
    """A photo as a phone takes it: with the camera's EXIF and the GPS position where it was taken."""
    image = Image.new("RGB", size, (30, 120, 200))
    data = io.BytesIO()
    extra = {}
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "PhoneMaker"  # Make
        tags[0x0110] = "Phone 15"  # Model
        gps = tags.get_ifd(0x8825)
        gps.update({1: "N", 2: (37.0, 33.0, 58.0), 3: "E", 4: (126.0, 58.0, 40.0)})  # Seoul
        extra["exif"] = tags.tobytes()
    image.save(data, format=image_format, **extra)
    return data.getvalue()


def _files() -> set[Path]:
    return {path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()}


@pytest.fixture
def club():
    channel, (alice, bob) = channel_with_members(name="hikers", usernames=["alice", "bob"])
    return {"channel": channel.pk, "alice": _client(alice), "bob": _client(bob), "alice_user": alice}


def _upload(client, channel_id: int, data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return client.post(f"/api/channels/{channel_id}/attachments", {"file": upload}, format="multipart")


@pytest.mark.parametrize(
    ("image_format", "name", "stored_type"),
    [
        ("JPEG", "a.jpg", "image/jpeg"),
        ("PNG", "a.png", "image/png"),
        ("WEBP", "a.webp", "image/webp"),
        ("HEIF", "a.heic", "image/jpeg"),
    ],
)
def test_a_photo_is_stored_without_its_exif_and_location_and_only_members_fetch_it(
    club, image_format, name, stored_type, django_capture_on_commit_callbacks
):
    data = _photo(image_format)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the upload does carry a location
    with django_capture_on_commit_callbacks(execute=True):  # the thumbnail's task, run eagerly here
        response = _upload(club["alice"], club["channel"], data, name=name)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["width"], body["height"]) == ("image", 1200, 900)
    assert body["url"] == f"/api/attachments/{body['id']}"

    fetched = club["bob"].get(body["url"])
    assert (fetched.status_code, fetched["Content-Type"]) == (200, stored_type)
    stored = Image.open(io.BytesIO(b"".join(fetched.streaming_content)))
    assert stored.size == (1200, 900)
    assert dict(stored.getexif()) == {}  # no camera, no GPS
    assert "exif" not in stored.info
    thumbnail = club["bob"].get(body["thumbnail_url"])  # made by the task (eager in tests)
    assert thumbnail.status_code == 200
    assert max(Image.open(io.BytesIO(b"".join(thumbnail.streaming_content))).size) == 480

    outsider = _client(UserFactory())
    assert outsider.get(body["url"]).status_code == 403
    assert outsider.get(body["thumbnail_url"]).status_code == 403


def test_what_is_not_a_photo_is_refused_and_nothing_is_stored(club, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    before = _files()
    bomb = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(bomb, format="PNG")  # 900 megapixels in a few kilobytes
    assert len(bomb.getvalue()) < 200_000
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    cases = [
        ("a renamed text file", b"Dear club, the hike is on Saturday.\n" * 20, "photo.jpg"),
        ("a decompression bomb", bomb.getvalue(), "bomb.png"),
        ("a cut-off JPEG", _photo()[:2000], "cut.jpg"),
        ("a GIF", gif.getvalue(), "a.gif"),
        ("too big", _photo("PNG", size=(1000, 1000), exif=False) + b"\0" * (1024 * 1024), "big.png"),
    ]
    for what, data, name in cases:
        response = _upload(club["alice"], club["channel"], data, name=name)
        assert (response.status_code, response.json()["code"], list(response.json()["fields"])) == (
            400,
            "invalid",
            ["file"],
        ), what
    assert _upload(club["alice"], club["channel"], b"", name="empty.jpg").status_code == 400
    outsider = _client(UserFactory())
    assert _upload(outsider, club["channel"], _photo()).status_code == 403
    assert (Attachment.objects.count(), _files()) == (0, before)


def test_a_message_shows_only_photos_its_sender_uploaded_to_its_channel(club):
    photo = _upload(club["alice"], club["channel"], _photo()).json()
    other, (carol,) = channel_with_members(name="elsewhere", usernames=["carol"])
    elsewhere = _upload(_client(carol), other.pk, _photo()).json()
    path = f"/api/channels/{club['channel']}/messages"
    for ids in ([elsewhere["id"]], [photo["id"], elsewhere["id"]], [999_999]):
        response = club["alice"].post(path, {"body": "from the summit", "attachments": ids}, format="json")
        assert (response.status_code, list(response.json()["fields"])) == (400, ["attachments"])
    not_hers = club["bob"].post(path, {"body": "mine now", "attachments": [photo["id"]]}, format="json")
    assert not_hers.status_code == 400
    assert club["alice"].get(path).json()["results"] == []

    sent = club["alice"].post(path, {"body": "from the summit", "attachments": [photo["id"]]}, format="json")
    assert sent.status_code == 201, sent.json()
    (shown,) = club["bob"].get(path).json()["results"]
    assert [(a["id"], a["width"], a["url"]) for a in shown["attachments"]] == [(photo["id"], 1200, photo["url"])]


def test_ten_megabytes_is_the_limit_a_photo_just_under_it_is_kept_one_byte_over_is_refused(club):
    """The shipped limit (settings.ATTACHMENT_MAX_BYTES untouched): a real 9.7 MB photo of noise
    (it does not compress) is kept; the same photo padded past 10 MB is refused, nothing stored."""
    assert settings.ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024
    noise = Image.frombytes("RGB", (1840, 1840), os.urandom(1840 * 1840 * 3))
    data = io.BytesIO()
    noise.save(data, format="PNG", compress_level=1)
    photo = data.getvalue()
    assert 9.5 * 1024 * 1024 < len(photo) < settings.ATTACHMENT_MAX_BYTES
    before = _files()
    over = photo + b"\0" * (settings.ATTACHMENT_MAX_BYTES + 1 - len(photo))  # a valid PNG, then padding
    refused = _upload(club["alice"], club["channel"], over, name="big.png", content_type="image/png")
    assert (refused.status_code, refused.json()["code"], list(refused.json()["fields"])) == (400, "invalid", ["file"])
    assert "10 MB" in refused.json()["fields"]["file"][0]
    assert (Attachment.objects.count(), _files()) == (0, before)

    kept = _upload(club["alice"], club["channel"], photo, name="noise.png", content_type="image/png")
    assert kept.status_code == 201, kept.json()
    assert (kept.json()["width"], kept.json()["height"]) == (1840, 1840)


def test_with_s3_storage_members_are_sent_to_a_signed_url_that_expires_and_others_are_refused(club, settings):
    """S3-compatible storage by configuration: the checked view sends a member to a signed URL
    valid ATTACHMENTS_URL_SECONDS (300 s; S3 refuses it after that), never to a public object."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "club-photos",
                "endpoint_url": "http://127.0.0.1:9",  # never reached: signing a URL is local
                "region_name": "us-east-1",
                "access_key": "test-key",
                "secret_key": "test-secret",
                "default_acl": "private",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
            },
        },
    }
    attachment = Attachment.objects.create(
        channel_id=club["channel"],
        uploaded_by=club["alice_user"],
        file="attachments/1/summit.jpg",
        content_type="image/jpeg",
        width=10,
        height=10,
        size=100,
    )
    response = club["alice"].get(f"/api/attachments/{attachment.pk}")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("http://127.0.0.1:9/club-photos/attachments/1/summit.jpg?")
    query = parse_qs(urlsplit(location).query)
    assert query["Signature"] and query["AWSAccessKeyId"] == ["test-key"]
    assert 295 <= int(query["Expires"][0]) - time.time() <= 300  # an absolute time five minutes on
    assert response["Cache-Control"] == "private, max-age=300"
    outsider = _client(UserFactory())
    assert outsider.get(f"/api/attachments/{attachment.pk}").status_code == 403
    assert outsider.get(f"/api/attachments/{attachment.pk}/thumbnail").status_code == 403
