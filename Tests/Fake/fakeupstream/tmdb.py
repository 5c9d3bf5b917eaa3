"""TMDB v3 endpoints (api.themoviedb.org/3) used for posters."""

from __future__ import annotations

import hashlib
import struct
import zlib
from typing import Any

from .responses import Request, Response, json_response, raw_json_response
from .state import FakeState
from .trakt import bearer_token

_FIXTURES = {"movie": "tmdb-movie.json", "tv": "tmdb-tv.json"}
_TITLE_FIELDS = {"movie": ("title", "original_title"), "tv": ("name", "original_name")}
_HEADERS = [("Cache-Control", "public, max-age=28800"), ("Server", "openresty")]


def _unauthorized() -> Response:
    payload = {
        "status_code": 7,
        "status_message": "Invalid API key: You must be granted a valid key.",
        "success": False,
    }
    return json_response(401, payload, list(_HEADERS))


def _auth_error(state: FakeState, request: Request) -> Response | None:
    """TMDB takes a v3 key as ?api_key= or a read token as a Bearer header; either is enough."""
    scenario = state.scenario.get()
    key = request.params.get("api_key")
    token = bearer_token(request)
    if state.demo and (key or token):
        return None
    if (key and key == scenario.tmdb_api_key) or (token and token == scenario.tmdb_read_token):
        return None
    return _unauthorized()


def _not_found(state: FakeState) -> Response:
    return raw_json_response(404, state.fixtures.raw("tmdb-error-404.json"), list(_HEADERS))


def _title_from_history(state: FakeState, kind: str, tmdb_id: int) -> str | None:
    """The title Trakt reports for this TMDB id, so generated records agree with the history."""
    items = state.movies() if kind == "movie" else state.episodes()
    key = "movie" if kind == "movie" else "show"
    for item in items:
        media = item.get(key) if isinstance(item, dict) else None
        ids = media.get("ids") if isinstance(media, dict) else None
        if isinstance(ids, dict) and ids.get("tmdb") == tmdb_id and isinstance(media.get("title"), str):
            return media["title"]
    return None


def record(state: FakeState, request: Request, kind: str, tmdb_id: str) -> Response:
    denied = _auth_error(state, request)
    if denied:
        return denied
    if not tmdb_id.isdigit():
        return _not_found(state)
    scenario = state.scenario.get()
    configured = scenario.tmdb_movies if kind == "movie" else scenario.tmdb_tv
    overrides: dict[str, Any]
    if tmdb_id in configured:
        if configured[tmdb_id] is None:
            return _not_found(state)
        overrides = configured[tmdb_id]
    elif scenario.tmdb_strict:
        return _not_found(state)
    else:
        overrides = {}

    numeric_id = int(tmdb_id)
    fixture = _FIXTURES[kind]
    body = state.fixtures.load(fixture)
    if numeric_id == body["id"] and not overrides:
        # The recorded body, byte for byte (its poster_path is a real TMDB image, used by --demo).
        return raw_json_response(200, state.fixtures.raw(fixture), list(_HEADERS))
    if numeric_id != body["id"]:
        body["id"] = numeric_id
        body["poster_path"] = f"/fake-{kind}-{numeric_id}.jpg"
        body["backdrop_path"] = f"/fake-{kind}-{numeric_id}-backdrop.jpg"
        title = _title_from_history(state, kind, numeric_id)
        if title:
            for name in _TITLE_FIELDS[kind]:
                body[name] = title
    body.update(overrides)
    return json_response(200, body, list(_HEADERS))


def configuration(state: FakeState, request: Request) -> Response:
    denied = _auth_error(state, request)
    if denied:
        return denied
    if not state.fixtures.has("tmdb-configuration.json"):
        return _not_found(state)
    return raw_json_response(200, state.fixtures.raw("tmdb-configuration.json"), list(_HEADERS))


# Poster sizes TMDB serves (tmdb-configuration.json `poster_sizes`), as pixel widths; height is 1.5×.
_POSTER_WIDTHS = {"w92": 92, "w154": 154, "w185": 185, "w342": 342, "w500": 500, "w780": 780, "original": 1000}
_IMAGE_HEADERS = [("Cache-Control", "public, max-age=31536000"), ("Server", "cloudfront")]


def _png(width: int, height: int, seed: bytes) -> bytes:
    """A real PNG poster: two colours from the file name in horizontal bands, so each poster looks
    different and a screenshot shows where it landed, plus one band of noise so the file is about as
    large as TMDB's JPEG of that size (w154 ≈ 14 KB)."""
    top = seed[0:3]
    bottom = bytes(255 - b for b in seed[3:6])
    noise = hashlib.shake_256(seed).digest(width * 3 * height)

    def row(y: int) -> bytes:
        band = y * 8 // height
        if band == 3:
            return noise[y * width * 3 : (y + 1) * width * 3]
        return (top if band % 2 == 0 else bottom) * width

    rows = b"".join(b"\x00" + row(y) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def image(state: FakeState, request: Request, size: str, name: str) -> Response:
    """image.tmdb.org/t/p/{size}/{file}: no key needed, any file exists unless the scenario lists it
    as missing (then CloudFront's 404 with a text body, as for a bad path)."""
    width = _POSTER_WIDTHS.get(size)
    if width is None or name in state.scenario.get().tmdb_images:
        return Response(404, b"Not Found", [("Content-Type", "text/plain"), *_IMAGE_HEADERS])
    png = _png(width, width * 3 // 2, hashlib.sha256(name.encode()).digest())
    return Response(200, png, [("Content-Type", "image/png"), *_IMAGE_HEADERS])
