"""The WSGI entry point: `gunicorn portal.wsgi:app`.

Each gunicorn worker builds the app here, sends the process's logs through
`contract.logs` (JSON in production) and, in production, refuses to serve with an unsafe
setting or the demo logins (`portal.production`). A refusal is raised as gunicorn's
AppImportError: gunicorn then prints the refusal's lines alone, without a traceback, and
stops the server ("App failed to load.") rather than restart workers that would fail the
same way.
"""

import logging

from gunicorn.errors import AppImportError

from contract.logs import configure_logging
from portal import create_app
from portal.config import ConfigError
from portal.production import check_before_serving

try:
    app = create_app()
    configure_logging(app.config["LOG_FORMAT"], service="web")
    check_before_serving(app, web=True)
except ConfigError as error:
    raise AppImportError(str(error)) from None

logging.getLogger(__name__).info(
    "portal ready to serve", extra={"event": "web.started", "env": app.config["PORTAL_ENV"]}
)
