"""The SVG card (`/api/watch/card.svg`, `/api/trakt/card.svg`) through the real stack: nginx (shipped
config) -> responder -> fake Trakt/TMDB, the poster bytes served by the fake's image.tmdb.org stand-in.

Every body is parsed with a real XML parser; GitHub shows an invalid SVG as a broken image."""

from __future__ import annotations

import base64
import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any, Callable

import pytest

from harness import FakeUpstream, Stack, http_request
from harness.widget_site import trakt_episode, trakt_movie

SVG = "{http://www.w3.org/2000/svg}"
CARD = "/api/watch/card.svg"
SVG_TYPE = "image/svg+xml; charset=utf-8"
MAX_CARD_BYTES = 48 * 1024


def ago(**delta: float) -> str:
    return (dt.datetime.now(dt.timezone.utc) - dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse(body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def images(root: ET.Element) -> list[str]:
    return [i.get("href", "") for i in root.iter(f"{SVG}image")]


@pytest.fixture
def card_stack(fake: FakeUpstream, make_stack: Callable[..., Stack]) -> Callable[..., Stack]:
    """A stack whose TMDB image base is the fake, so posters are really fetched and embedded."""
    def build(**env: Any) -> Stack:
        return make_stack({"TMDB_IMAGE_URL": fake.url + "/t/p", **env})
    return build


def history(fake: FakeUpstream, *items: dict) -> None:
    fake.scenario(movies=[i for i in items if i["type"] == "movie"],
                  episodes=[i for i in items if i["type"] == "episode"])


def card(stack: Stack, query: str = "", path: str = CARD, **headers: str):
    response = stack.request(path + (f"?{query}" if query else ""), headers=headers or None)
    return response


@pytest.mark.parametrize("theme", ["light", "dark", "auto"])
def test_valid_xml_in_every_theme_and_layout(fake, card_stack, theme):
    history(fake, trakt_episode(ago(hours=3)))
    stack = card_stack()
    for query in (f"theme={theme}", f"theme={theme}&limit=5&width=600", f"theme={theme}&hide=poster,year&radius=0"):
        response = card(stack, query)
        assert response.status == 200, query
        assert response.headers["Content-Type"] == SVG_TYPE
        root = parse(response.body)
        assert root.get("role") == "img"
        assert root.find(f"{SVG}title").text == "Last watched: Severance S2E7, 3 hours ago"
        assert "Severance S2E7 · Chikhai Bardo" in root.find(f"{SVG}desc").text
        style = root.find(f"{SVG}style").text
        assert ("prefers-color-scheme:dark" in style) == (theme == "auto")
        assert "@import" not in style and "url(" not in style, "nothing may load from the network"


def test_trakt_path_serves_the_same_card(fake, card_stack):
    history(fake, trakt_movie(ago(hours=2)))
    stack = card_stack()
    watch, trakt = card(stack, "theme=dark"), card(stack, "theme=dark", path="/api/trakt/card.svg")
    assert trakt.status == 200 and trakt.body == watch.body


def test_escaping_of_markup_and_control_characters(fake, card_stack):
    history(fake, trakt_movie(ago(hours=1), title="Tom & Jerry <\"Live\"> 'n'\x01\x0b end"))
    body = card(card_stack(), "width=600").body
    root = parse(body)  # a stray & or control character would make this raise
    assert "Tom & Jerry <\"Live\"> 'n' end" in texts(root)
    assert b"\x01" not in body and b"\x0b" not in body
    assert b"&amp;" in body and b"&lt;" in body


@pytest.mark.parametrize("title, check", [
    ("千と千尋の神隠し", lambda t, el: t == "千と千尋の神隠し"),
    ("Family Night 👨‍👩‍👧‍👦🎬", lambda t, el: t == "Family Night 👨‍👩‍👧‍👦🎬"),
    ("שלום עולם", lambda t, el: el.get("direction") == "rtl"),
])
def test_cjk_emoji_and_rtl_titles(fake, card_stack, title, check):
    history(fake, trakt_movie(ago(hours=1), title=title))
    root = parse(card(card_stack()).body)
    title_el = [el for el in root.iter(f"{SVG}text") if el.get("font-weight") == "700"][0]
    assert check("".join(title_el.itertext()), title_el)


def test_truncation_at_each_width(fake, card_stack):
    long = "The Very Long Title of a Film That Goes On and On Past Every Width " * 3
    history(fake, trakt_movie(ago(hours=1), title=long))
    stack = card_stack()
    shown = []
    for width in (280, 360, 420, 500, 600):
        root = parse(card(stack, f"width={width}").body)
        assert root.get("width") == str(width)
        title = [t for t in texts(root) if t.startswith("The Very")][0]
        assert title.endswith("…") and long.startswith(title[:-1])
        shown.append(len(title))
    assert shown == sorted(shown) and len(set(shown)) == len(shown), f"wider cards show more: {shown}"


def test_poster_is_embedded_as_a_data_uri(fake, card_stack):
    history(fake, trakt_movie(ago(hours=1), tmdb=155))
    stack = card_stack()
    response = card(stack)
    # Fetched during the refresh, once, at w154: requests never fetch.
    for _ in range(3):
        card(stack, "theme=light")
    assert fake.count("/t/p/w154/fake-movie-155.jpg") == 1
    hrefs = images(parse(response.body))
    expected = http_request(fake.url + "/t/p/w154/fake-movie-155.jpg").body
    assert hrefs == ["data:image/png;base64," + base64.b64encode(expected).decode()]
    assert len(response.body) < MAX_CARD_BYTES


def test_missing_poster_is_a_placeholder(fake, card_stack):
    history(fake, trakt_movie(ago(hours=1), tmdb=155))
    fake.tmdb("movie", 155, poster_path=None)
    root = parse(card(card_stack()).body)
    assert images(root) == []
    assert any(r.get("class") == "p" for r in root.iter(f"{SVG}rect"))


@pytest.mark.parametrize("failure", ["404", "503", "drop", "html"])
def test_failing_tmdb_image_is_a_placeholder(fake, card_stack, failure):
    history(fake, trakt_movie(ago(hours=1), tmdb=155))
    if failure == "404":
        fake.scenario(tmdb_images={"fake-movie-155.jpg": None})
    elif failure == "503":
        fake.fault("status", prefix="/t", status=503, body="busy", content_type="text/plain")
    elif failure == "drop":
        fake.fault("drop", prefix="/t")
    else:
        fake.fault("status", prefix="/t", status=200, body="<html>not an image</html>", content_type="text/html")
    response = card(card_stack())
    assert response.status == 200
    root = parse(response.body)
    assert images(root) == [] and any(r.get("class") == "p" for r in root.iter(f"{SVG}rect"))
    assert "Last watched" in root.find(f"{SVG}title").text


def test_headers_etag_and_304(fake, card_stack):
    history(fake, trakt_movie(ago(hours=1)))
    stack = card_stack()
    first = card(stack, "theme=dark")
    assert first.status == 200
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    cache_control = first.headers["Cache-Control"]
    assert cache_control.startswith("public, max-age=") and "stale-while-revalidate=300" in cache_control
    assert 0 < int(cache_control.split("max-age=")[1].split(",")[0]) <= 300
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    again = card(stack, "theme=dark", **{"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    # The bytes are the same on every hit, and nginx answers repeats from its cache.
    hits = [card(stack, "theme=dark") for _ in range(3)]
    assert {h.body for h in hits} == {first.body}
    assert hits[-1].headers["X-Cache-Status"] == "HIT"
    # Another variant is another cache entry; a parameter the card ignores is not.
    assert card(stack, "theme=light").body != first.body
    assert card(stack, "theme=dark&v=2").headers["X-Cache-Status"] == "HIT"
    # A repeated parameter: nginx keys the first value, and the responder reads the first one too.
    assert parse(card(stack, "width=300&width=500").body).get("width") == "300"
    assert parse(card(stack, "width=300").body).get("width") == "300"


def test_cors_on_the_card(fake, card_stack):
    history(fake, trakt_movie(ago(hours=1)))
    stack = card_stack()
    allowed = card(stack, **{"Origin": "http://allowed.test"})
    assert allowed.headers.get("Access-Control-Allow-Origin") == "http://allowed.test"
    assert "img-src data:" in allowed.headers["Content-Security-Policy"]


def test_bad_parameters_are_json_400_naming_them(fake, card_stack):
    history(fake, trakt_movie(ago(hours=1)))
    stack = card_stack()
    card(stack)
    before = sum(fake.counters().values())
    for query, name in (("theme=blue", "theme"), ("width=279", "width"), ("width=601", "width"),
                        ("limit=6", "limit"), ("radius=25", "radius"), ("hide=title", "hide")):
        response = card(stack, query)
        assert response.status == 400, query
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        body = response.json()
        assert body["code"] == "INVALID_PARAMETER" and f"`{name}`" in body["error"]
    assert sum(fake.counters().values()) == before, "bad input costs no upstream call"


def test_empty_history_is_a_200_card_for_a_minute(fake, card_stack):
    fake.scenario(movies=[], episodes=[])
    response = card(card_stack())
    assert response.status == 200 and response.headers["Content-Type"] == SVG_TYPE
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert "No recent activity" in texts(parse(response.body))


def test_upstream_failure_is_a_200_card_without_detail(fake, card_stack):
    fake.fault("status", prefix="/sync", status=500, json={"error": "boom"})
    fake.fault("status", prefix="/users", status=500, json={"error": "boom"})
    response = card(card_stack())
    assert response.status == 200 and response.headers["Content-Type"] == SVG_TYPE
    assert response.headers["Cache-Control"] == "public, max-age=60"
    root = parse(response.body)
    assert texts(root) == ["Temporarily unavailable", "Trying again shortly"]
    for detail in (b"Trakt", b"REAUTH", b"UPSTREAM", b"500", b"boom", b"auth"):
        assert detail not in response.body


def test_card_size_stays_under_48_kb_with_posters(fake, card_stack):
    history(fake, *[trakt_movie(ago(hours=n), title=f"Film {n}", tmdb=1000 + n) for n in range(1, 8)])
    stack = card_stack()
    for query in ("", "limit=5&width=600"):
        response = card(stack, query)
        assert len(response.body) < MAX_CARD_BYTES, (query, len(response.body))
        assert images(parse(response.body)), "at least the first poster is embedded"
