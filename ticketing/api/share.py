"""Event pages with their own title and link preview in the HTML itself (Open Graph, Twitter
cards): crawlers and chat apps do not run the page's JavaScript. The app's built page is served
with the event's tags added; the page itself then renders as usual."""

from __future__ import annotations

import html
import uuid
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from ticketing.db import session_scope
from ticketing.services.catalog.sharing import share_preview
from ticketing.services.errors import ServiceError
from ticketing.settings import get_settings

router = APIRouter(tags=["pages"], include_in_schema=False)


def _built_page() -> Path | None:
    """The compiled single-page fallback that serves dynamic routes (production build)."""
    from reflex import constants
    from reflex.utils import prerequisites

    path = prerequisites.get_web_dir() / constants.Dirs.STATIC / "__spa-fallback.html"
    return path if path.exists() else None


@lru_cache(maxsize=4)
def _page_text(path: str, mtime: float) -> str:
    return Path(path).read_text(encoding="utf-8")


def preview_tags(*, title: str, description: str, url: str, image: str, site: str = "Ticketing") -> str:
    """<title> and the meta tags of a link preview, escaped."""
    e = html.escape
    tags = [f"<title>{e(title)} — {e(site)}</title>", f'<meta name="description" content="{e(description)}"/>',
            '<meta property="og:type" content="website"/>', f'<meta property="og:site_name" content="{e(site)}"/>',
            f'<meta property="og:title" content="{e(title)}"/>',
            f'<meta property="og:description" content="{e(description)}"/>',
            f'<meta property="og:url" content="{e(url)}"/>',
            f'<meta name="twitter:card" content="{"summary_large_image" if image else "summary"}"/>',
            f'<meta name="twitter:title" content="{e(title)}"/>',
            f'<meta name="twitter:description" content="{e(description)}"/>']
    if image:
        tags += [f'<meta property="og:image" content="{e(image)}"/>', f'<meta name="twitter:image" content="{e(image)}"/>']
    return "".join(tags)


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page_html(event_id: uuid.UUID) -> HTMLResponse:
    page = _built_page()
    if page is None:
        raise HTTPException(404)  # no production build here (development serves pages itself)
    text = _page_text(str(page), page.stat().st_mtime)
    base = get_settings().app_url.rstrip("/")
    try:
        with session_scope(readonly=True) as db:
            p = share_preview(db=db, event_id=event_id)
    except ServiceError:
        return HTMLResponse(text)  # the page says "not available" itself
    where = " · ".join(part for part in (p.location, f"by {p.organizer}" if p.organizer else "") if part)
    description = " — ".join(part for part in (where, p.description) if part)
    tags = preview_tags(title=p.title, description=description, url=f"{base}/events/{event_id}",
                        image=f"{base}/_upload/{p.cover_image}" if p.cover_image else "")
    return HTMLResponse(text.replace("<head>", "<head>" + tags, 1))
