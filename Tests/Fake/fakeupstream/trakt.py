"""Trakt API (api.trakt.tv) and Trakt OAuth (auth.trakt.tv) endpoints.

Behaviour follows Trakt's public API (https://trakt.docs.apiary.io/): Cloudflare blocks requests
without a User-Agent, the API wants trakt-api-version/trakt-api-key, refresh tokens are single-use.
"""

from __future__ import annotations

import secrets
from typing import Any

from .responses import (
    Request,
    Response,
    cloudflare_block,
    empty_response,
    json_response,
    raw_json_response,
)
from .scenario import Scenario
from .state import FakeState
from .tokens import DEVICE_STATUS, TokenPair

DEFAULT_PAGE_LIMIT = 10
MAX_PAGE_LIMIT = 250  # larger limits are clamped, not rejected (reference doc, section 2.4)
VERIFICATION_URL = "https://trakt.tv/activate"


def _api_headers() -> list[tuple[str, str]]:
    # Trakt's own answers carry these; Cloudflare's do not, which is how clients tell them apart.
    return [
        ("X-Request-Id", secrets.token_hex(16)),
        ("X-Runtime", "0.012345"),
        ("Cache-Control", "private, max-age=0, must-revalidate"),
    ]


def _oauth_headers() -> list[tuple[str, str]]:
    return [("Cache-Control", "no-store"), ("Pragma", "no-cache"), ("X-Request-Id", secrets.token_hex(16))]


def bearer_token(request: Request) -> str | None:
    scheme, _, token = (request.header("Authorization") or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _blocked_by_cloudflare(request: Request) -> Response | None:
    if not (request.header("User-Agent") or "").strip():
        return cloudflare_block()
    return None


def _api_guard(state: FakeState, request: Request) -> Response | None:
    """Checks every api.trakt.tv request gets before routing: WAF, API key, API version."""
    blocked = _blocked_by_cloudflare(request)
    if blocked:
        return blocked
    key = request.header("trakt-api-key")
    if not key or (not state.demo and key != state.scenario.get().client_id):
        payload = {"error": "forbidden", "error_description": "Forbidden - invalid API key or unapproved app"}
        return json_response(403, payload, _api_headers())
    if request.header("trakt-api-version") != "2":
        payload = {"error": "bad_request", "error_description": "trakt-api-version header must be 2"}
        return json_response(400, payload, _api_headers())
    return None


def _unauthorized(description: str) -> Response:
    challenge = f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{description}"'
    payload = {"error": "invalid_token", "error_description": description}
    return json_response(401, payload, [("WWW-Authenticate", challenge), *_api_headers()])


def _int_param(raw: str | None, default: int, low: int, high: int | None = None) -> int:
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    value = max(low, value)
    return min(high, value) if high is not None else value


def _watched_at(item: Any) -> str:
    return str(item.get("watched_at") or "") if isinstance(item, dict) else ""


def _newest_first(items: list[Any]) -> list[Any]:
    # Stable, so items with equal timestamps keep the order the test gave them.
    return sorted(items, key=_watched_at, reverse=True)


def _history_items(state: FakeState, kind: str | None) -> list[Any]:
    scenario = state.scenario.get()
    if kind == "movies":
        items = state.movies()
    elif kind == "episodes":
        items = state.episodes()
    else:  # /history without a type mixes both, "sorted by most recent"
        return _newest_first(state.movies() + state.episodes())
    return _newest_first(items) if scenario.sort_history else list(items)


def _paginated(request: Request, items: list[Any]) -> Response:
    page = _int_param(request.params.get("page"), 1, 1)
    limit = _int_param(request.params.get("limit"), DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT)
    total = len(items)
    headers = [
        ("X-Pagination-Page", str(page)),
        ("X-Pagination-Limit", str(limit)),
        ("X-Pagination-Page-Count", str(-(-total // limit))),
        ("X-Pagination-Item-Count", str(total)),
        *_api_headers(),
    ]
    return json_response(200, items[(page - 1) * limit : page * limit], headers)


def sync_history(state: FakeState, request: Request, kind: str | None = None) -> Response:
    denied = _api_guard(state, request)
    if denied:
        return denied
    reason = state.tokens.access_ok(bearer_token(request))
    if reason:
        return _unauthorized(reason)
    return _paginated(request, _history_items(state, kind))


def _profile_denied(state: FakeState, request: Request, username: str) -> Response | None:
    """The checks every /users/{id}/... path makes: `me` needs a token, private profiles their owner."""
    denied = _api_guard(state, request)
    if denied:
        return denied
    token = bearer_token(request)
    if username == "me" and token is None:
        return _unauthorized("The access token is missing")
    # OAuth is optional here, but a token that is sent must still be valid.
    if token is not None:
        reason = state.tokens.access_ok(token)
        if reason:
            return _unauthorized(reason)
    scenario = state.scenario.get()
    name = username.lower()
    if name == "me":
        return None
    if not state.demo and name not in {u.lower() for u in scenario.public_users}:
        if name not in {u.lower() for u in scenario.private_users}:
            return empty_response(404, _api_headers())
        if token is None:  # a private profile is visible only to its owner
            return _unauthorized("This user's profile is private")
    return None


def user_history(state: FakeState, request: Request, username: str, kind: str | None = None) -> Response:
    return _profile_denied(state, request, username) or _paginated(request, _history_items(state, kind))


def user_watching(state: FakeState, request: Request, username: str) -> Response:
    """The scenario's `watching` body, or 204 with no body when idle, as Trakt does."""
    denied = _profile_denied(state, request, username)
    if denied:
        return denied
    watching = state.scenario.get().watching
    if watching is None:
        return empty_response(204, _api_headers())
    return json_response(200, watching, _api_headers())


def _deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def _timestamps(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [t for value in node.values() for t in _timestamps(value)]
    return [node] if isinstance(node, str) else []


def last_activities(state: FakeState, request: Request) -> Response:
    denied = _api_guard(state, request)
    if denied:
        return denied
    reason = state.tokens.access_ok(bearer_token(request))
    if reason:
        return _unauthorized(reason)
    body = state.fixtures.load("trakt-last-activities.json")
    # Derived from the history so that changing the history changes last_activities, like on Trakt.
    for section, items in (("movies", state.movies()), ("episodes", state.episodes())):
        newest = max((_watched_at(i) for i in items), default="")
        if newest:
            body[section]["watched_at"] = newest
    overrides = state.scenario.get().last_activities
    _deep_merge(body, overrides)
    if "all" not in overrides:
        rest = {k: v for k, v in body.items() if k != "all"}
        body["all"] = max(_timestamps(rest) + [body.get("all", "")])
    return json_response(200, body, _api_headers())


# --- OAuth (auth host) -------------------------------------------------------------------------


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description}, _oauth_headers())


_INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication included, "
    "or unsupported authentication method."
)
_REDIRECT_MISMATCH = (
    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI "
    "used in the authorization request, or was issued to another client."
)


def _client_error(state: FakeState, fields: dict[str, Any], need_secret: bool = True) -> Response | None:
    scenario = state.scenario.get()
    if state.demo:
        return None
    if fields.get("client_id") != scenario.client_id or (
        need_secret and fields.get("client_secret") != scenario.client_secret
    ):
        return _oauth_error(401, "invalid_client", _INVALID_CLIENT)
    return None


def _missing(fields: dict[str, Any], names: list[str]) -> Response | None:
    for name in names:
        value = fields.get(name)
        if not isinstance(value, str) or not value:
            return _oauth_error(400, "invalid_request", f"Missing required parameter: {name}.")
    return None


def token_body(pair: TokenPair, scenario: Scenario) -> dict[str, Any]:
    # Field order of the recorded trakt-oauth-token.json.
    return {
        "access_token": pair.access_token,
        "token_type": scenario.token_type,
        "expires_in": pair.expires_in,
        "refresh_token": pair.refresh_token,
        "scope": scenario.scope,
        "created_at": pair.created_at,
    }


def oauth_token(state: FakeState, request: Request) -> Response:
    blocked = _blocked_by_cloudflare(request)
    if blocked:
        return blocked
    fields = request.body_fields()
    if fields is None:
        return _oauth_error(400, "invalid_request", "Missing required parameter: grant_type.")
    grant = fields.get("grant_type")
    if grant not in ("refresh_token", "authorization_code"):
        if not grant:
            return _oauth_error(400, "invalid_request", "Missing required parameter: grant_type.")
        return _oauth_error(400, "unsupported_grant_type", "The authorization grant type is not supported.")
    secret_field = "refresh_token" if grant == "refresh_token" else "code"
    problem = _missing(fields, ["client_id", "client_secret", "redirect_uri", secret_field]) or _client_error(
        state, fields
    )
    if problem:
        return problem
    scenario = state.scenario.get()
    # A mismatched redirect_uri is rejected before the grant is looked at, so it does not burn the token.
    if not state.demo and fields["redirect_uri"] != scenario.redirect_uri:
        return _oauth_error(400, "invalid_grant", _REDIRECT_MISMATCH)
    if grant == "refresh_token":
        pair = state.tokens.refresh(fields["refresh_token"], scenario.expires_in)
    else:
        pair = state.tokens.exchange_code(fields["code"], scenario.expires_in)
    if pair is None:
        return raw_json_response(400, state.fixtures.raw("trakt-oauth-error-invalid-grant.json"), _oauth_headers())
    return json_response(200, token_body(pair, scenario), _oauth_headers())


def device_code(state: FakeState, request: Request) -> Response:
    blocked = _blocked_by_cloudflare(request)
    if blocked:
        return blocked
    fields = request.body_fields() or {}
    problem = _missing(fields, ["client_id"]) or _client_error(state, fields, need_secret=False)
    if problem:
        return problem
    scenario = state.scenario.get()
    code = state.device.new_code(scenario.device_expires_in)
    payload = {
        "device_code": code.device_code,
        "user_code": code.user_code,
        "verification_url": VERIFICATION_URL,
        "expires_in": scenario.device_expires_in,
        "interval": scenario.device_interval,
    }
    return json_response(200, payload, _oauth_headers())


def device_token(state: FakeState, request: Request) -> Response:
    blocked = _blocked_by_cloudflare(request)
    if blocked:
        return blocked
    fields = request.body_fields() or {}
    problem = _client_error(state, fields)
    if problem:
        return problem
    code = fields.get("code")
    outcome = state.device.poll(code) if isinstance(code, str) else "invalid"
    if outcome == "success":
        scenario = state.scenario.get()
        pair = state.tokens.issue(scenario.expires_in)
        return json_response(200, token_body(pair, scenario), _oauth_headers())
    # Trakt signals every non-success polling state by status code alone, with no body.
    return empty_response(DEVICE_STATUS[outcome], _oauth_headers())


def revoke(state: FakeState, request: Request) -> Response:
    blocked = _blocked_by_cloudflare(request)
    if blocked:
        return blocked
    fields = request.body_fields() or {}
    problem = _missing(fields, ["token"]) or _client_error(state, fields)
    if problem:
        return problem
    state.tokens.revoke(fields["token"])
    return json_response(200, {}, _oauth_headers())
