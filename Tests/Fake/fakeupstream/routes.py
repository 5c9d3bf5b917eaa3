"""Maps upstream paths (all three hosts share one port) to their handlers."""

from __future__ import annotations

import re
from typing import Any, Callable
from urllib.parse import unquote

from . import letterboxd, simkl, tmdb, trakt
from .responses import Request, Response, json_response
from .state import FakeState

Handler = Callable[..., Response]

_ROUTES: list[tuple[str, re.Pattern[str], Handler, dict[str, Any]]] = [
    (method, re.compile(pattern), handler, extra)
    for method, pattern, handler, extra in [
        # api.trakt.tv
        ("GET", r"/sync/last_activities", trakt.last_activities, {}),
        ("GET", r"/sync/history(?:/(?P<kind>movies|episodes))?", trakt.sync_history, {}),
        ("GET", r"/users/(?P<username>[^/]+)/history(?:/(?P<kind>movies|episodes))?", trakt.user_history, {}),
        ("GET", r"/users/(?P<username>[^/]+)/watching", trakt.user_watching, {}),
        # auth.trakt.tv
        ("POST", r"/oauth/token", trakt.oauth_token, {}),
        ("POST", r"/oauth/device/code", trakt.device_code, {}),
        ("POST", r"/oauth/device/token", trakt.device_token, {}),
        ("POST", r"/oauth/revoke", trakt.revoke, {}),
        # api.themoviedb.org
        ("GET", r"/3/movie/(?P<tmdb_id>[^/]+)", tmdb.record, {"kind": "movie"}),
        ("GET", r"/3/tv/(?P<tmdb_id>[^/]+)", tmdb.record, {"kind": "tv"}),
        ("GET", r"/3/configuration", tmdb.configuration, {}),
        # image.tmdb.org
        ("GET", r"/t/p/(?P<size>w\d+|original)/(?P<name>[^/]+)", tmdb.image, {}),
        # api.simkl.com
        ("GET", r"/oauth/pin", simkl.pin, {}),
        ("GET", r"/oauth/pin/(?P<user_code>[^/]+)", simkl.pin_poll, {}),
        ("GET", r"/sync/activities", simkl.activities, {}),
        ("GET", r"/sync/all-items/?(?:(?P<kind>shows|anime|movies)/?(?:(?P<status>[a-z]+)/?)?)?", simkl.all_items, {}),
        # letterboxd.com
        ("GET", r"/(?P<username>[A-Za-z0-9_-]+)/rss/?", letterboxd.rss, {}),
    ]
]


def dispatch(state: FakeState, request: Request) -> Response:
    wrong_method = False
    for method, pattern, handler, extra in _ROUTES:
        match = pattern.fullmatch(request.path)
        if not match:
            continue
        if request.method != method:
            wrong_method = True
            continue
        groups = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
        return handler(state, request, **groups, **extra)
    if wrong_method:
        return json_response(405, {"error": "method_not_allowed"})
    return json_response(404, {"error": "not_found", "error_description": "the fake does not serve this path"})
