"""What `PORTAL_ENV=production` refuses to start with, and where each refusal is checked.

Settings, checked wherever the app is built for a process that serves or works
(`check_before_serving`, called by the web's `portal.wsgi` and by the web-worker):
  - no SECRET_KEY (also refused by `load_config` itself, for every process: without it
    a development key would be generated, and the refusal then lists every setting at fault);
  - a SQLite database;
  - a PORTAL_BASE_URL that is not https.
They are not checked in `create_app`, so a test may build a production-flavoured app on
SQLite to check what production does (its headers, its cookies).

The database, checked only where the web starts serving (`portal.wsgi`, as each gunicorn
worker boots): an active demo login of `seed-demo`, whose password the README prints. Not
in `create_app` and not in the CLI, because `flask --app portal db upgrade` must migrate an
empty database and the operators must be able to run `flask --app portal deactivate-demo`.
A database without tables holds no demo login, so it is no refusal (the web starts and
/readyz says "not migrated"); nor is a database that cannot be reached: a gunicorn worker
restarted during a database outage would otherwise stop the whole server, and /readyz
reports the outage instead.

Every problem is one line under one heading (`portal.config.refusal`), so gunicorn's log
shows all of them at once, with no traceback (see `portal.wsgi`).
"""

from __future__ import annotations

import logging

from flask import Flask

from portal.config import ConfigError, refusal, unsafe_production_settings
from portal.database_state import DatabaseState, database_state
from portal.db import get_engine, get_unscoped_db
from portal.demo import active_demo_accounts

log = logging.getLogger(__name__)


def is_production(app: Flask) -> bool:
    """Whether the app runs with PORTAL_ENV=production."""
    return app.config["PORTAL_ENV"] == "production"


def check_before_serving(app: Flask, *, web: bool) -> None:
    """Raise ConfigError listing every reason production must not start; no-op otherwise.

    `web`: also check the database for demo logins (the web server only, see above), once
    the settings pass: a SQLite file or an unsafe setup is no place to look for them.
    """
    if not is_production(app):
        return
    problems = unsafe_production_settings(app.config)
    if web and not problems:
        problems = unsafe_database(app)
    if problems:
        raise ConfigError(refusal(problems))


def unsafe_database(app: Flask) -> list[str]:
    """One line naming the active demo logins, if any; nothing on an empty or absent database."""
    with app.app_context():
        state = database_state(get_engine())
        if state is not DatabaseState.READY:
            log.warning(
                "demo-login check skipped: the database is %s",
                state.value,
                extra={"event": "startup.database_not_ready", "database": state.value},
            )
            return []
        accounts = active_demo_accounts(get_unscoped_db())
    if not accounts:
        return []
    emails = ", ".join(sorted({account.email for account in accounts}))
    return [
        f"demo logins are active ({emails}): their passwords are public; "
        "run `flask --app portal deactivate-demo`"
    ]
