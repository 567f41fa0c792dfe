"""Security headers on every response: a strict Content-Security-Policy and friends.

The policy allows scripts, styles, fonts and fetches from this site only, and no inline
script or style at all, so an injected `<script>` or `style=` does nothing even if some
text slipped past the escaping. The pages are written for it: JS lives in static files,
CSS in portal.css, and htmx is told not to inject its indicator `<style>` (see base.html).
A view that needs a stricter policy sets its own (the lab chart's SVG: `default-src
'none'`), and that one is kept.
"""

from __future__ import annotations

from flask import Flask, Response, current_app

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Powerful browser features no page of the platform uses, switched off for every frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)

# Browsers remember "https only" for a year, for the schools' subdomains too. Sent only
# in production: on a development machine it would pin localhost to https.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
}


def init_app(app: Flask) -> None:
    """Add the headers to every response, error pages and static files included."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """Set each header the view did not set itself (a view may be stricter)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["PORTAL_ENV"] == "production":
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response
