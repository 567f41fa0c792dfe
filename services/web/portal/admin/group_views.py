"""Student groups (all staff): the list, one group's page, and the forms that change them.

CSRFProtect (portal.security) refuses a POST without its token before these views run;
a form that fails its checks is shown again with the error, answered 422.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from portal.admin import groups, users
from portal.admin.blueprint import bp
from portal.admin.forms import ActionForm, GroupForm, GroupMembersForm
from portal.auth.access import staff_required
from portal.db import get_db
from portal.models import StudentGroup
from portal.tenancy import current_school


def _group_or_404(group_id: int) -> StudentGroup:
    group = groups.find_group(get_db(), current_school(), group_id)
    if group is None:
        abort(404)
    return group


def _list_page(form: GroupForm, status: int = 200):
    summaries = groups.group_summaries(get_db(), current_school())
    return render_template("admin/groups.html", groups=summaries, form=form), status


def _group_page(
    group: StudentGroup,
    rename_form: GroupForm | None = None,
    members_form: GroupMembersForm | None = None,
    status: int = 200,
):
    page = render_template(
        "admin/group.html",
        group=group,
        members=groups.members(get_db(), group),
        rename_form=rename_form or GroupForm(name=group.name, formdata=None),
        members_form=members_form or GroupMembersForm(formdata=None),
        action_form=ActionForm(),
    )
    return page, status


@bp.get("/groups")
@staff_required
def groups_list():
    return _list_page(GroupForm(formdata=None))


@bp.post("/groups")
@staff_required
def create_group():
    form = GroupForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    try:
        group = groups.create_group(get_db(), current_school(), g.user, form.name.data)
    except groups.GroupChangeRefused as error:
        form.name.errors = [str(error)]
        return _list_page(form, 422)
    flash(f"Group “{group.name}” created: add its students below.", "success")
    return redirect(url_for(".group_page", group_id=group.id))


@bp.get("/groups/<int:group_id>")
@staff_required
def group_page(group_id: int):
    return _group_page(_group_or_404(group_id))


@bp.post("/groups/<int:group_id>/rename")
@staff_required
def rename_group(group_id: int):
    group = _group_or_404(group_id)
    form = GroupForm()
    if not form.validate_on_submit():
        return _group_page(group, rename_form=form, status=422)
    try:
        groups.rename_group(get_db(), current_school(), g.user, group, form.name.data)
    except groups.GroupChangeRefused as error:
        form.name.errors = [str(error)]
        return _group_page(group, rename_form=form, status=422)
    flash(f"The group is now named “{group.name}”.", "success")
    return redirect(url_for(".group_page", group_id=group.id))


@bp.post("/groups/<int:group_id>/delete")
@staff_required
def delete_group(group_id: int):
    group = _group_or_404(group_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = group.name
    groups.delete_group(get_db(), current_school(), g.user, group)
    flash(f"Group “{name}” deleted; its students and their work are untouched.", "success")
    return redirect(url_for(".groups_list"))


@bp.post("/groups/<int:group_id>/members")
@staff_required
def add_group_members(group_id: int):
    group = _group_or_404(group_id)
    form = GroupMembersForm()
    if not form.validate_on_submit():
        return _group_page(group, members_form=form, status=422)
    try:
        added = groups.add_members(get_db(), current_school(), g.user, group, form.emails.data)
    except groups.GroupChangeRefused as error:
        form.emails.errors = [str(error)]
        return _group_page(group, members_form=form, status=422)
    count = len(added)
    flash(f"{count} student{'' if count == 1 else 's'} added to “{group.name}”.", "success")
    return redirect(url_for(".group_page", group_id=group.id))


@bp.post("/groups/<int:group_id>/members/<int:user_id>/remove")
@staff_required
def remove_group_member(group_id: int, user_id: int):
    group = _group_or_404(group_id)
    user = users.find_user(get_db(), current_school(), user_id)
    if user is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if groups.remove_member(get_db(), current_school(), g.user, group, user):
        flash(f"{user.email} left “{group.name}”.", "success")
    else:
        flash(f"{user.email} was not in “{group.name}”.", "error")
    return redirect(url_for(".group_page", group_id=group.id))
