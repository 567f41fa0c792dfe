"""The school's dashboard: users, submissions, progress, exports, branding, sign-up, reports.

Views live in the `*_views.py` modules and only parse, call a service module and respond;
every decision (who may change whose role, what a logo may be) is in the service modules.
"""
