"""The dashboard's blueprint with every page attached; `create_app` registers `bp`.

Importing the view modules attaches their routes to the one `admin` blueprint.
"""

from portal.admin import (  # noqa: F401  (imported for their routes)
    group_views,
    home_views,
    people_views,
    report_views,
    settings_views,
    submission_views,
)
from portal.admin.blueprint import bp

__all__ = ["bp"]
