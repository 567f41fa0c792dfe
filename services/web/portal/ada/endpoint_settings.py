"""A school admin's settings of the school's own chat endpoint for A.D.A.

The key is write-only: it can be replaced or cleared, never read back, and the audit
event says only whether it changed. The URL must be https (plain http only to this
machine, and only outside production: for development and tests; in production a school
admin must not make the server talk plain http to its own ports), without credentials,
query or fragment, so nothing secret can hide in the one setting the pages do show.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from portal.ada.endpoint import LOOPBACK_HOSTS
from portal.audit import record_action
from portal.models import School, User

MAX_URL = 500
MAX_MODEL = 100
MAX_KEY = 500


class EndpointSettingsRefused(Exception):
    """The settings cannot be saved like this; `field` is the form field to blame."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_endpoint_url(url: str, allow_http_loopback: bool = False) -> str:
    """The URL, trimmed, if it may be used; raises EndpointSettingsRefused otherwise."""
    url = url.strip()
    problem = "Give the endpoint's base URL, such as https://api.example.org/v1."
    if not url or len(url) > MAX_URL:
        raise EndpointSettingsRefused("url", problem)
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        raise EndpointSettingsRefused("url", problem) from None
    host = parts.hostname or ""
    if not host or parts.scheme not in ("https", "http") or port == 0:
        raise EndpointSettingsRefused("url", problem)
    if parts.scheme == "http" and not (allow_http_loopback and host in LOOPBACK_HOSTS):
        allowed = " (plain http only for 127.0.0.1 or localhost)" if allow_http_loopback else ""
        raise EndpointSettingsRefused("url", f"The URL must start with https://{allowed}.")
    if parts.username or parts.password or "@" in parts.netloc:
        raise EndpointSettingsRefused("url", "Put the key in the key field, not in the URL.")
    if parts.query or parts.fragment:
        raise EndpointSettingsRefused("url", "The base URL has no ?query or #fragment.")
    return url.rstrip("/")


def endpoint_host(url: str | None) -> str:
    """The host name of the endpoint's URL (what the page tells students), or ""."""
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:
        return ""


def set_ada_endpoint(
    session: Session,
    school: School,
    actor: User,
    *,
    enabled: bool,
    url: str,
    model: str,
    new_key: str = "",
    clear_key: bool = False,
    allow_http_loopback: bool = False,
) -> None:
    """Store the endpoint's settings; audited (never with the key) and committed."""
    url, model, new_key = (url or "").strip(), (model or "").strip(), (new_key or "").strip()
    if url or enabled:
        url = check_endpoint_url(url, allow_http_loopback)
    if enabled and not model:
        raise EndpointSettingsRefused("model", "Name the model the endpoint should use.")
    if len(model) > MAX_MODEL:
        raise EndpointSettingsRefused("model", f"A model name is 1 to {MAX_MODEL} characters.")
    if new_key and clear_key:
        raise EndpointSettingsRefused("key", "Either give a new key or clear the key, not both.")
    if len(new_key) > MAX_KEY:
        raise EndpointSettingsRefused("key", f"A key is at most {MAX_KEY} characters.")
    school.ada_endpoint_enabled = enabled
    school.ada_endpoint_url = url or None
    school.ada_endpoint_model = model or None
    key_change = "unchanged"
    if new_key:
        school.ada_endpoint_key, key_change = new_key, "replaced"
    elif clear_key:
        school.ada_endpoint_key, key_change = None, "cleared"
    record_action(
        session,
        school,
        actor,
        "school.ada_endpoint_changed",
        f"school:{school.id}",
        enabled=enabled,
        host=endpoint_host(url),
        model=model,
        key=key_change,
    )
    session.commit()
