"""Letterboxd's public RSS feed (letterboxd.com/{user}/rss/), with its conditional GET.

The feed is the recorded capture (or items a test sets), served with an ETag and a Last-Modified
that change only when the feed does, so If-None-Match / If-Modified-Since get 304. Cloudflare's
403 and 429 pages come from the `html403` fault (status 403 or 429).
"""

from __future__ import annotations

import hashlib
from email.utils import format_datetime, parsedate_to_datetime
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from .responses import Request, Response, cloudflare_block, empty_response
from .state import FakeState

RSS_TYPE = "application/rss+xml; charset=utf-8"
NAMESPACES = ('xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:letterboxd="https://letterboxd.com" xmlns:tmdb="https://themoviedb.org"')


def _item(user: str, spec: dict[str, Any]) -> str:
    """One feed item from a test's spec; list items have no film fields, as on Letterboxd."""
    slug = spec.get("slug") or "film"
    fields = [
        f"<title>{escape(str(spec.get('feed_title', spec.get('title', ''))))}</title>",
        f"<link>https://letterboxd.com/{user}/{'list' if spec.get('list') else 'film'}/{escape(slug)}/</link>",
        f'<guid isPermaLink="false">{escape(str(spec.get("guid", "letterboxd-watch-1")))}</guid>',
        f"<pubDate>{escape(str(spec.get('pub_date', 'Sat, 01 Aug 2026 12:00:00 +0000')))}</pubDate>",
    ]
    if not spec.get("list"):
        # `title_xml` is written as is, to carry entity references the way Letterboxd writes them.
        title = spec.get("title_xml") or escape(str(spec.get("title", "")))
        fields += [f"<letterboxd:watchedDate>{escape(str(spec.get('watched_date', '2026-08-01')))}</letterboxd:watchedDate>",
                   f"<letterboxd:rewatch>{'Yes' if spec.get('rewatch') else 'No'}</letterboxd:rewatch>",
                   f"<letterboxd:filmTitle>{title}</letterboxd:filmTitle>"]
        if spec.get("year") is not None:
            fields.append(f"<letterboxd:filmYear>{int(spec['year'])}</letterboxd:filmYear>")
        if spec.get("rating") is not None:
            fields.append(f"<letterboxd:memberRating>{float(spec['rating']):.1f}</letterboxd:memberRating>")
        if spec.get("tmdb_id") is not None:
            fields.append(f"<tmdb:movieId>{int(spec['tmdb_id'])}</tmdb:movieId>")
    fields.append("<description><![CDATA[<p>Watched.</p>]]></description><dc:creator>Test</dc:creator>")
    return "<item>" + "".join(fields) + "</item>"


def feed_body(state: FakeState, user: str) -> bytes:
    scenario = state.scenario.get()
    if scenario.letterboxd_items is None:
        return state.fixtures.raw(scenario.letterboxd_feed)
    items = "".join(_item(user, spec) for spec in scenario.letterboxd_items)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" {NAMESPACES}><channel>'
            f"<title>Letterboxd - {escape(user)}</title><link>https://letterboxd.com/{escape(user)}/</link>"
            f"<description>Letterboxd - {escape(user)}</description>{items}</channel></rss>").encode("utf-8")


def _not_modified_since(header: str | None, modified: datetime) -> bool:
    if not header:
        return False
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    return since is not None and since.tzinfo is not None and modified <= since


def rss(state: FakeState, request: Request, username: str) -> Response:
    if not (request.header("User-Agent") or "").strip():
        return cloudflare_block()
    if username not in state.scenario.get().letterboxd_users:
        return Response(404, b"<html><body>Sorry, we can\xe2\x80\x99t find the page.</body></html>",
                        [("Content-Type", "text/html; charset=utf-8")])
    body = feed_body(state, username)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    modified = state.letterboxd.last_modified(etag)
    validators = [("ETag", etag), ("Last-Modified", format_datetime(modified, usegmt=True)),
                  ("Cache-Control", "max-age=0, must-revalidate")]
    inm = request.header("If-None-Match")
    if inm is not None:
        if etag in [tag.strip() for tag in inm.split(",")]:
            return empty_response(304, validators)
    elif _not_modified_since(request.header("If-Modified-Since"), modified):
        return empty_response(304, validators)
    return Response(200, body, [("Content-Type", RSS_TYPE), *validators])
