"""The admins' pages on the workers' blueprint: add and edit workers, and groups with their
safeguarding contacts. A worker who is not an admin gets "not found", so nothing shows.

Each form posts, then redirects to a page that says what changed. The logs say which
admin changed which account or group, by id only (no emails)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required, login_user
from flask_wtf import FlaskForm

from voicebox.storage.workers import (
    EmailTaken,
    GroupListing,
    GroupNameTaken,
    LastAdmin,
    WorkerAccount,
    add_group_contact,
    create_group,
    create_worker,
    get_group,
    get_worker,
    group_contacts,
    group_members,
    has_worker,
    list_group_listings,
    list_groups,
    list_workers,
    remove_group_contact,
    rename_group,
    set_password,
    set_worker_active,
    update_worker,
)
from voicebox.workers import auth
from voicebox.workers.forms import (
    AddWorkerForm,
    ButtonForm,
    ContactForm,
    GroupNameForm,
    NewPasswordForm,
    RemoveContactForm,
    WorkerAccessForm,
)
from voicebox.workers.views import blueprint

log = logging.getLogger(__name__)

OWN_ROLE = "You cannot remove your own admin role. Ask another admin to do it."
OWN_ACCOUNT = "You cannot turn off your own account. Ask another admin to do it."
NO_ADMIN_LEFT = "There must always be an admin. Make someone else an admin first."
EMAIL_TAKEN = "There is already a worker with this email address"
CONTACT_THERE = "This address is already told about this group's flags"

# A problem for the summary at the top: the id of the field to go to, and the words.
Problem = tuple[str, str]


def admin_only(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Sign in first; then a worker who is not an admin is told the page is not found."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not auth.worker().is_admin:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def problems(*forms: FlaskForm | None) -> list[Problem]:
    """Each field's first error, in page order, with the id its summary link goes to."""
    found = []
    for form in forms:
        for field in form or ():
            if field.errors and field.name != "csrf_token":
                choices = field.type in ("PlainRadioField", "GroupsField")
                found.append((f"{field.id}-0" if choices else field.id, field.errors[0]))
    return found


def _add_error(field: Any, message: str) -> None:
    """Put a problem found after the form's own checks beside its field."""
    field.errors = [*field.errors, message]


def _groups_to_offer(*forms: Any) -> None:
    groups = list_groups(auth.services().database)
    for form in forms:
        form.groups.offer(groups)


# Workers


@blueprint.get("/admin")
@admin_only
def admin() -> ResponseReturnValue:
    """The admins' pages start with the workers."""
    return redirect(url_for("workers.admin_workers"))


@blueprint.get("/admin/workers")
@admin_only
def admin_workers() -> ResponseReturnValue:
    """Every worker: email, role, groups, and whether their account is turned on."""
    workers = list_workers(auth.services().database)
    return render_template("workers/admin_workers.html", workers=workers)


@blueprint.route("/admin/workers/new", methods=["GET", "POST"])
@admin_only
def add_worker() -> ResponseReturnValue:
    """Add a worker with a role, groups and a first password."""
    form = AddWorkerForm()
    _groups_to_offer(form)
    if not form.is_submitted():
        form.role.data = "worker"
        return render_template("workers/admin_add_worker.html", form=form, problems=[])
    valid = form.validate()
    if not form.email.errors and has_worker(auth.services().database, form.email.data or ""):
        _add_error(form.email, EMAIL_TAKEN)  # said with the other problems, not after them
    elif valid:
        try:
            worker_id = create_worker(
                auth.services().database,
                form.email.data or "",
                form.password.data or "",
                form.role.data or "",
                group_ids=form.groups.data or [],
            )
        except EmailTaken:
            _add_error(form.email, EMAIL_TAKEN)
        else:
            log.info("admin %s added worker %s", auth.worker().id, worker_id)
            email = (form.email.data or "").strip().lower()
            flash(f"Added {email}. Tell them their first password privately.")
            return redirect(url_for("workers.admin_workers"))
    page = render_template("workers/admin_add_worker.html", form=form, problems=problems(form))
    return page, 400


def _target(worker_id: int) -> WorkerAccount:
    found = get_worker(auth.services().database, worker_id)
    if found is None:
        abort(404)
    return found


def _worker_page(
    target: WorkerAccount,
    access: WorkerAccessForm | None = None,
    password: NewPasswordForm | None = None,
    problem: Problem | None = None,
) -> ResponseReturnValue:
    """One worker's page with its three forms; any form given was sent with a problem."""
    failed = access is not None or password is not None or problem is not None
    if access is None:
        access = WorkerAccessForm(formdata=None, role=target.role, groups=sorted(target.group_ids))
    _groups_to_offer(access)
    found = problems(access, password) + ([problem] if problem else [])
    page = render_template(
        "workers/admin_worker.html",
        target=target,
        group_names=[n for i, n in list_groups(auth.services().database) if i in target.group_ids],
        access=access,
        password=password or NewPasswordForm(formdata=None),
        button=ButtonForm(),
        problems=found,
        is_self=target.id == auth.worker().id,
    )
    return (page, 400) if failed else page


@blueprint.get("/admin/workers/<int:worker_id>")
@admin_only
def admin_worker(worker_id: int) -> ResponseReturnValue:
    """One worker: change their role and groups, set a new password, turn them off or on."""
    return _worker_page(_target(worker_id))


@blueprint.post("/admin/workers/<int:worker_id>/access")
@admin_only
def worker_access(worker_id: int) -> ResponseReturnValue:
    """Save a worker's role and groups."""
    target = _target(worker_id)
    form = WorkerAccessForm()
    _groups_to_offer(form)
    if form.validate():
        role = form.role.data or ""
        if target.id == auth.worker().id and role != "admin":
            _add_error(form.role, OWN_ROLE)
            return _worker_page(target, access=form)
        try:
            update_worker(auth.services().database, target.id, role, form.groups.data or [])
        except LastAdmin:
            _add_error(form.role, NO_ADMIN_LEFT)
        else:
            log.info("admin %s set the role and groups of worker %s", auth.worker().id, target.id)
            flash(f"Saved the role and groups of {target.email}.")
            return redirect(url_for("workers.admin_worker", worker_id=target.id))
    return _worker_page(target, access=form)


@blueprint.post("/admin/workers/<int:worker_id>/password")
@admin_only
def worker_password(worker_id: int) -> ResponseReturnValue:
    """Give a worker a new password (their other sessions end)."""
    target = _target(worker_id)
    form = NewPasswordForm()
    if not form.validate():
        return _worker_page(target, password=form)
    set_password(auth.services().database, target.id, form.password.data or "")
    log.info("admin %s set a new password for worker %s", auth.worker().id, target.id)
    if target.id == auth.worker().id:
        _stay_signed_in(target.id)
    flash(f"Set a new password for {target.email}. Tell them it privately.")
    return redirect(url_for("workers.admin_worker", worker_id=target.id))


def _stay_signed_in(worker_id: int) -> None:
    """After changing their own password, the admin stays signed in on this device."""
    account = get_worker(auth.services().database, worker_id)
    if account is not None:
        login_user(auth.SignedInWorker(account))


@blueprint.post("/admin/workers/<int:worker_id>/turn-off")
@admin_only
def turn_off(worker_id: int) -> ResponseReturnValue:
    """Turn an account off: the worker is signed out at once and cannot sign in."""
    target = _target(worker_id)
    if target.id == auth.worker().id:
        return _worker_page(target, problem=("turn-off", OWN_ACCOUNT))
    try:
        set_worker_active(auth.services().database, target.id, False)
    except LastAdmin:
        return _worker_page(target, problem=("turn-off", NO_ADMIN_LEFT))
    log.info("admin %s turned off worker %s", auth.worker().id, target.id)
    flash(f"Turned off {target.email}. They are signed out and cannot sign in.")
    return redirect(url_for("workers.admin_worker", worker_id=target.id))


@blueprint.post("/admin/workers/<int:worker_id>/turn-on")
@admin_only
def turn_on(worker_id: int) -> ResponseReturnValue:
    """Turn an account back on: the worker can sign in again."""
    target = _target(worker_id)
    set_worker_active(auth.services().database, target.id, True)
    log.info("admin %s turned on worker %s", auth.worker().id, target.id)
    flash(f"Turned {target.email} back on. They can sign in again.")
    return redirect(url_for("workers.admin_worker", worker_id=target.id))


# Groups


@blueprint.route("/admin/groups", methods=["GET", "POST"])
@admin_only
def admin_groups() -> ResponseReturnValue:
    """Every group with its workers, check-ins and contacts; and a form to add one."""
    database = auth.services().database
    form = GroupNameForm()
    if form.is_submitted() and form.validate():
        try:
            group_id = create_group(database, form.name.data or "")
        except GroupNameTaken as error:
            _add_error(form.name, _taken(str(error)))
        else:
            log.info("admin %s added group %s", auth.worker().id, group_id)
            flash(f"Added the group {_group(group_id).name}.")
            return redirect(url_for("workers.admin_groups"))
    page = render_template(
        "workers/admin_groups.html",
        groups=list_group_listings(database),
        form=form,
        problems=problems(form),
    )
    return (page, 400) if form.is_submitted() else page


def _taken(error: str) -> str:
    """The storage's words for a taken name, as a sentence for the page."""
    return error[0].upper() + error[1:]


def _group(group_id: int) -> GroupListing:
    found = get_group(auth.services().database, group_id)
    if found is None:
        abort(404)
    return found


def _group_page(
    group: GroupListing,
    name: GroupNameForm | None = None,
    contact: ContactForm | None = None,
) -> ResponseReturnValue:
    """One group's page with its forms; any form given was sent with a problem."""
    database = auth.services().database
    page = render_template(
        "workers/admin_group.html",
        group=group,
        members=group_members(database, group.id),
        contacts=group_contacts(database, group.id),
        name=name or GroupNameForm(formdata=None, name=group.name),
        contact=contact or ContactForm(formdata=None),
        remove=RemoveContactForm(formdata=None),
        problems=problems(name, contact),
    )
    return (page, 400) if name is not None or contact is not None else page


@blueprint.get("/admin/groups/<int:group_id>")
@admin_only
def admin_group(group_id: int) -> ResponseReturnValue:
    """One group: its workers, its name, and who is told at once about its flags."""
    return _group_page(_group(group_id))


@blueprint.post("/admin/groups/<int:group_id>/name")
@admin_only
def group_name(group_id: int) -> ResponseReturnValue:
    """Rename a group."""
    group = _group(group_id)
    form = GroupNameForm()
    if form.validate():
        try:
            name = rename_group(auth.services().database, group.id, form.name.data or "")
        except GroupNameTaken as error:
            _add_error(form.name, _taken(str(error)))
        else:
            log.info("admin %s renamed group %s", auth.worker().id, group.id)
            flash(f"Renamed the group to {name}.")
            return redirect(url_for("workers.admin_group", group_id=group.id))
    return _group_page(group, name=form)


@blueprint.post("/admin/groups/<int:group_id>/contacts")
@admin_only
def add_contact(group_id: int) -> ResponseReturnValue:
    """Tell one more address at once about this group's flags."""
    group = _group(group_id)
    form = ContactForm()
    if form.validate():
        email = (form.email.data or "").strip().lower()
        if add_group_contact(auth.services().database, group.id, email):
            log.info("admin %s added a contact to group %s", auth.worker().id, group.id)
            flash(f"{email} will be told at once about this group's flags.")
            return redirect(url_for("workers.admin_group", group_id=group.id))
        _add_error(form.email, CONTACT_THERE)
    return _group_page(group, contact=form)


@blueprint.post("/admin/groups/<int:group_id>/contacts/remove")
@admin_only
def remove_contact(group_id: int) -> ResponseReturnValue:
    """Stop telling one address about this group's flags."""
    group = _group(group_id)
    form = RemoveContactForm()
    if not form.validate():
        abort(400)
    email = (form.email.data or "").strip().lower()
    if remove_group_contact(auth.services().database, group.id, email):
        log.info("admin %s removed a contact from group %s", auth.worker().id, group.id)
        flash(f"{email} will no longer be told about this group's flags.")
    else:
        flash(f"{email} was not a contact of this group.")
    return redirect(url_for("workers.admin_group", group_id=group.id))
