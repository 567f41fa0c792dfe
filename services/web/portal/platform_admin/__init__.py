"""The platform admin's pages: every school, the grading system's health, activity charts.

Only platform admins reach them (`/platform/...`). Counts across schools are read
through `portal.db.open_cross_school_session()`; every write goes through the request's
own session and is audited against the admin's school.
"""
