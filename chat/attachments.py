"""Photos in the chat (docs/api.md "Additions (v3)"): uploaded to a channel, checked by decoding them,
stored without their metadata, thumbnailed in the background, shown on messages, and served only
to the channel's members.

An upload is refused (400, nothing stored) unless it decodes as a JPEG, PNG, WebP or HEIC image of
at most ATTACHMENT_MAX_BYTES and ATTACHMENT_MAX_PIXELS (more pixels is a decompression bomb: a few
kilobytes that would take gigabytes to decode). What is stored is the image drawn again from its
pixels, turned upright as its EXIF said, so no EXIF, GPS position or comment survives; HEIC, which
browsers do not show, is stored as JPEG.
"""

import io
import uuid
import warnings

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from channels_app.selectors import channel_for_member
from chat.models import Attachment
from core.api.errors import DomainError, NotFound

register_heif_opener()

# Decoded format -> (stored format, content type, file extension).
FORMATS = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "HEIF": ("JPEG", "image/jpeg", "jpg"),
}
THUMBNAIL_SIZE = (480, 480)
MAX_PER_MESSAGE = 10


def _refuse(detail: str) -> DomainError:
    return DomainError(detail, fields={"file": [detail]})


def _decoded(data: bytes) -> Image.Image:
    """The image, fully decoded; refused unless it is one of FORMATS within the pixel limit."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise _refuse(_("Send a JPEG, PNG, WebP or HEIC image."))
            if image.width * image.height > settings.ATTACHMENT_MAX_PIXELS:
                raise _refuse(_("This image has too many pixels."))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(_("This image has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise _refuse(_("This file is not an image we can show (JPEG, PNG, WebP or HEIC).")) from None
    return image


def _encoded(image: Image.Image, image_format: str) -> bytes:
    """The pixels alone, upright: EXIF, GPS, ICC comments and text chunks are not written."""
    upright = ImageOps.exif_transpose(image)
    if image_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    upright.save(out, format=image_format, **({"quality": 90} if image_format in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def attachment_upload(*, user, channel_id: int, upload) -> Attachment:
    """Checks and stores one photo for a later message of the channel; its thumbnail follows."""
    channel_for_member(user=user, channel_id=channel_id)
    if upload is None:
        raise _refuse(_("Choose a photo to send."))
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise _refuse(
            _("A photo may be at most %(megabytes)d MB.") % {"megabytes": settings.ATTACHMENT_MAX_BYTES // 2**20}
        )
    image = _decoded(upload.read())
    stored_format, content_type, extension = FORMATS[image.format]
    data = _encoded(image, stored_format)
    with Image.open(io.BytesIO(data)) as clean:
        width, height = clean.size
    name = default_storage.save(f"attachments/{channel_id}/{uuid.uuid4().hex}.{extension}", ContentFile(data))
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                channel_id=channel_id,
                uploaded_by=user,
                file=name,
                content_type=content_type,
                width=width,
                height=height,
                size=len(data),
            )
            # Robust: the photo is stored; with the broker away its thumbnail URL serves the photo itself.
            # (A lambda: Django's robust on_commit logs a failure by the callable's __qualname__.)
            attachment_id = attachment.pk
            transaction.on_commit(lambda: _thumbnail_later(attachment_id=attachment_id), robust=True)
    except Exception:
        default_storage.delete(name)  # no row, no file
        raise
    return attachment


def _thumbnail_later(*, attachment_id: int) -> None:
    # By name: chat.tasks imports this module (no import cycle); the registered task runs as usual.
    current_app.signature("chat.make_thumbnail", args=(attachment_id,)).delay()


def attachment_thumbnail_make(*, attachment_id: int) -> None:
    """The Celery task's work: a JPEG of at most THUMBNAIL_SIZE; once (a retry finds it made)."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.thumbnail:
        return
    with default_storage.open(attachment.file) as source, Image.open(source) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=80)
    name = default_storage.save(
        f"attachments/{attachment.channel_id}/{uuid.uuid4().hex}-thumb.jpg", ContentFile(out.getvalue())
    )
    if not Attachment.objects.filter(pk=attachment_id, thumbnail="").update(thumbnail=name):
        default_storage.delete(name)  # another run made it first


def attachment_refs(*, channel_id: int, sender_id: int, attachment_ids: list[int]) -> list[dict]:
    """What a message shows of these photos, in order: only the sender's uploads to this channel
    (chat.services refuses a message whose list this does not return whole)."""
    found = {
        attachment.pk: attachment
        for attachment in Attachment.objects.filter(
            pk__in=attachment_ids, channel_id=channel_id, uploaded_by_id=sender_id
        )
    }
    return [attachment_ref(found[attachment_id]) for attachment_id in attachment_ids if attachment_id in found]


def attachment_ref(attachment: Attachment) -> dict:
    return {
        "id": attachment.pk,
        "kind": attachment.kind,
        "width": attachment.width,
        "height": attachment.height,
        "size": attachment.size,
        "url": f"/api/attachments/{attachment.pk}",
        "thumbnail_url": f"/api/attachments/{attachment.pk}/thumbnail",
    }


def attachment_for_member(*, user, attachment_id: int) -> Attachment:
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(_("No such photo."))
    channel_for_member(user=user, channel_id=attachment.channel_id)
    return attachment
