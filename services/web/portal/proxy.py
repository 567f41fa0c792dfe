"""Trusting a reverse proxy's X-Forwarded-* headers, and only when told there is one.

Behind a TLS-terminating proxy the app sees the proxy's address and plain http. With
TRUSTED_PROXY_COUNT = n, werkzeug's ProxyFix takes the client's address, the scheme and
the host from the last n proxies' X-Forwarded-For, -Proto and -Host, so login throttling
counts the real client, url_for builds https links and the school is found by the host the
visitor typed. Without a proxy (n = 0, the default) those headers are ignored: anyone can
send them, and believing them would let a client pick its own address.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    """Wrap the WSGI app in ProxyFix when TRUSTED_PROXY_COUNT is above zero."""
    count = int(app.config["TRUSTED_PROXY_COUNT"])
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
