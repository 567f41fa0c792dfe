"""The course portal: a Flask app that serves courses and labs and queues grading.

`create_app` is the table of contents: configuration, one `init_app` per resource,
the feature blueprints, error handlers and commands. It does no I/O beyond reading the
configuration and the course content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from portal import (
    bidi,
    cli,
    db,
    errors,
    headers,
    health,
    icons,
    metrics,
    proxy,
    queue,
    security,
    tenancy,
)
from portal.ada import passages as ada_passages
from portal.ada import views as ada_views
from portal.admin import public_views as branding_views
from portal.admin import views as admin_views
from portal.auth import access
from portal.auth import views as auth_views
from portal.catalogue import catalogue, markdown
from portal.config import load_config
from portal.courses import views as courses_views
from portal.feed import views as feed_views
from portal.gamification import views as gamification_views
from portal.labs import push
from portal.labs import views as labs_views
from portal.metrics import views as metrics_views
from portal.notifications import views as notifications_views
from portal.platform_admin import views as platform_admin_views
from portal.premium import views as premium_views
from portal.questions import views as questions_views
from portal.reports import views as reports_views


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the portal app; `test_config` overrides any configuration key."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_config(app.instance_path, test_config))

    metrics.init_app(app)  # first: its timer covers every other hook
    db.init_app(app)
    tenancy.init_app(app)
    queue.init_app(app)
    push.init_app(app)  # the lab page's result stream
    catalogue.init_app(app)
    ada_passages.init_app(app)
    markdown.init_app(app)
    bidi.init_app(app)
    icons.init_app(app)
    security.init_app(app)
    headers.init_app(app)
    proxy.init_app(app)
    access.init_app(app)

    app.register_blueprint(courses_views.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(labs_views.bp)
    app.register_blueprint(questions_views.bp)
    app.register_blueprint(gamification_views.bp)
    app.register_blueprint(platform_admin_views.bp)
    app.register_blueprint(premium_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(branding_views.bp)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(feed_views.bp)
    app.register_blueprint(notifications_views.bp)
    app.register_blueprint(ada_views.bp)
    health.init_app(app)
    app.register_blueprint(metrics_views.bp)

    errors.init_app(app)
    cli.init_app(app)
    return app
