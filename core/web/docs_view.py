"""The product's own documentation (docs/*.md), served as it is in the repository."""

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse

DOCS = Path(settings.BASE_DIR) / "docs"


def doc(request, name: str):
    page = DOCS / f"{name}.md"
    if page.parent != DOCS or not page.is_file():  # the slug converter keeps names in the folder
        raise Http404("No such page.")
    return HttpResponse(page.read_text(), content_type="text/markdown; charset=utf-8")
