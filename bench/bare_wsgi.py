"""The portal's WSGI app plus `/bench/bare`, the baseline `bench/portal_load.py` loads.

Served by the same gunicorn as the portal (`gunicorn bare_wsgi:app` with bench/ on the
path), so the baseline runs through the same workers, middleware and per-request hooks
(proxy fix, tenancy, session user) and differs from a portal page only by what the page
itself does: the bare route renders one small template and touches nothing else.
Registered here only, never in the portal.
"""

from pathlib import Path

from flask import Blueprint, render_template

from portal.wsgi import app

bare = Blueprint("bench_bare", __name__, template_folder=str(Path(__file__).parent / "templates"))


@bare.get("/bench/bare")
def bare_page():
    return render_template("bench/bare.html", items=range(10))


app.register_blueprint(bare)
