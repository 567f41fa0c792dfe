"""Users (school admins), the gradebook and a student's history (all staff)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from portal.admin import exports, gradebook, groups, users
from portal.admin.blueprint import bp
from portal.admin.forms import ROLE_CHOICES, ActionForm, RoleForm
from portal.admin.progress import student_report
from portal.admin.submission_views import csv_download
from portal.auth.access import school_admin_required, staff_required
from portal.catalogue.catalogue import get_catalogue
from portal.db import get_db
from portal.models import Role, User
from portal.tenancy import current_school


def _user_or_404(user_id: int) -> User:
    user = users.find_user(get_db(), current_school(), user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@school_admin_required
def users_list():
    query = request.args.get("q", "")[:254]
    role = request.args.get("role", "")
    if role not in {r.value for r in Role}:
        role = ""
    page = users.search_users(
        get_db(), current_school(), query, role, request.args.get("page", 1, type=int)
    )
    return render_template(
        "admin/users.html",
        page=page,
        query=query,
        role=role,
        roles=[*ROLE_CHOICES, ("platform_admin", "Platform admin")],
        action_form=ActionForm(),
    )


@bp.get("/users/<int:user_id>")
@school_admin_required
def user_page(user_id: int):
    user = _user_or_404(user_id)
    return render_template(
        "admin/user.html", user=user, role_form=RoleForm(role=user.role), action_form=ActionForm()
    )


@bp.post("/users/<int:user_id>/role")
@school_admin_required
def change_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            users.change_role(get_db(), current_school(), g.user, user, form.role.data)
        except users.UserChangeRefused as error:
            form.role.errors.append(str(error))
        else:
            flash(f"{user.email} is now {user.role.replace('_', ' ')}.", "success")
            return redirect(url_for(".user_page", user_id=user.id))
    page = render_template("admin/user.html", user=user, role_form=form, action_form=ActionForm())
    return page, 422


@bp.post("/users/<int:user_id>/deactivate")
@school_admin_required
def deactivate(user_id: int):
    return _set_active(_user_or_404(user_id), active=False)


@bp.post("/users/<int:user_id>/reactivate")
@school_admin_required
def reactivate(user_id: int):
    return _set_active(_user_or_404(user_id), active=True)


def _set_active(user: User, active: bool):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        users.set_active(get_db(), current_school(), g.user, user, active)
    except users.UserChangeRefused as error:
        flash(str(error), "error")
        page = render_template(
            "admin/user.html",
            user=user,
            role_form=RoleForm(role=user.role),
            action_form=ActionForm(),
        )
        return page, 422
    flash(f"{user.email} is {'active' if active else 'deactivated'}.", "success")
    return redirect(url_for(".user_page", user_id=user.id))


@bp.post("/users/<int:user_id>/reset-password")
@school_admin_required
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        link = users.issue_password_link(get_db(), current_school(), g.user, user)
    except users.UserChangeRefused as error:
        flash(str(error), "error")
        return redirect(url_for(".user_page", user_id=user.id))
    page = render_template("admin/reset_link.html", user=user, link=link)
    # The link is shown once: no cache may keep a copy of this page.
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/progress")
@staff_required
def progress_list():
    """The gradebook of one course (the old list of names grew into it)."""
    choices = groups.group_choices(get_db(), current_school())
    book = _gradebook(choices, request.args.get("page", 1, type=int))
    if book is None:
        return render_template("admin/gradebook.html", book=None, courses=[], groups=[])
    return render_template(
        "admin/gradebook.html",
        book=book,
        courses=list(get_catalogue().courses.values()),
        groups=choices,
    )


@bp.get("/progress.csv")
@staff_required
def progress_csv():
    """The gradebook's table as CSV, under the same filters as the page."""
    book = _gradebook(groups.group_choices(get_db(), current_school()))
    if book is None:
        abort(404)
    header, rows = gradebook.csv_rows(book)
    # The group's id, not its name, in the file's name: a name is free text.
    group = f"-group-{book.filters.group_id}" if book.filters.group_id is not None else ""
    return csv_download(f"gradebook-{book.course.id}{group}", exports.to_csv(header, rows))


def _gradebook(
    group_choices: list[tuple[int, str]], page: int | None = None
) -> gradebook.Gradebook | None:
    """The gradebook the request's arguments ask for, among the school's groups
    `group_choices`: page `page`, or every row."""
    courses = get_catalogue().courses
    group_ids = {group_id for group_id, _ in group_choices}
    filters = gradebook.filters_from(request.args, courses, group_ids)
    course = courses.get(filters.course_id)
    if course is None:
        return None
    return gradebook.gradebook(get_db(), current_school(), course, filters, page)


@bp.get("/progress/<int:user_id>")
@staff_required
def student_progress(user_id: int):
    user = _user_or_404(user_id)
    report = student_report(get_db(), current_school(), get_catalogue(), user)
    in_groups = groups.groups_of(get_db(), current_school(), user)
    return render_template("admin/progress.html", report=report, groups=in_groups)
