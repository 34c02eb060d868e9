"""The admins' pages: workers and groups managed in the area, for admins only."""

from __future__ import annotations

import logging

import pytest

from tests.channels.webpage import parse
from tests.workers.conftest import PASSWORD, sign_in, token
from voicebox.storage.workers import (
    LastAdmin,
    add_group_contact,
    create_worker,
    get_worker,
    group_contacts,
    list_group_listings,
    list_groups,
    list_workers,
    update_worker,
)
from voicebox.workers.admin_pages import (
    CONTACT_THERE,
    EMAIL_TAKEN,
    NO_ADMIN_LEFT,
    OWN_ACCOUNT,
    OWN_ROLE,
)

NEW_PASSWORD = "another long password"


def _text(response) -> str:
    return parse(response.get_data(as_text=True)).text()


def _ids(area) -> dict[str, int]:
    """Each worker's id by email, and each group's id by name."""
    database = area.services.database
    found = {w.email: w.id for w in list_workers(database)}
    found.update({name: group_id for group_id, name in list_groups(database)})
    return found


def _state(area) -> tuple:
    """Everything the admins' pages can change, to show that a refused form changed nothing."""
    database = area.services.database
    groups = list_group_listings(database)
    return (
        list_workers(database),
        groups,
        [group_contacts(database, g.id) for g in groups],
        [get_worker(database, w.id) for w in list_workers(database)],
    )


def _routes(area) -> list[tuple[str, str, dict[str, object]]]:
    """Every admin route, with data that would change something if it were allowed."""
    ids = _ids(area)
    youth, club = ids["youth@example.org"], ids["Youth club"]
    return [
        ("GET", "/workers/admin", {}),
        ("GET", "/workers/admin/workers", {}),
        ("GET", "/workers/admin/workers/new", {}),
        ("GET", f"/workers/admin/workers/{youth}", {}),
        ("GET", "/workers/admin/groups", {}),
        ("GET", f"/workers/admin/groups/{club}", {}),
        (
            "POST",
            "/workers/admin/workers/new",
            {"email": "new@example.org", "role": "admin", "password": NEW_PASSWORD},
        ),
        ("POST", f"/workers/admin/workers/{youth}/access", {"role": "admin", "groups": [club]}),
        ("POST", f"/workers/admin/workers/{youth}/password", {"password": NEW_PASSWORD}),
        ("POST", f"/workers/admin/workers/{youth}/turn-off", {}),
        ("POST", f"/workers/admin/workers/{youth}/turn-on", {}),
        ("POST", "/workers/admin/groups", {"name": "A new group"}),
        ("POST", f"/workers/admin/groups/{club}/name", {"name": "Renamed"}),
        ("POST", f"/workers/admin/groups/{club}/contacts", {"email": "lead@example.org"}),
        ("POST", f"/workers/admin/groups/{club}/contacts/remove", {"email": "lead@example.org"}),
    ]


def _send(client, method: str, path: str, data: dict, with_token: bool = True):
    if method == "GET":
        return client.get(path)
    if with_token:  # the home page has a form (Sign out) when signed in; else sign-in's
        signed_in = client.get("/workers/").status_code == 200
        data = {**data, "csrf_token": token(client, "/workers/" if signed_in else "/workers/login")}
    return client.post(path, data=data)


def test_a_worker_who_is_not_an_admin_finds_no_admin_page(area):
    """Every admin page and form is "not found" for a worker, and nothing changes."""
    add_group_contact(area.services.database, "Youth club", "lead@example.org")
    before = _state(area)
    client = area.signed_in("youth@example.org")
    for method, path, data in _routes(area):
        response = _send(client, method, path, data)
        assert response.status_code == 404, (method, path)
        assert "Page not found" in _text(response)
    assert _state(area) == before


def test_signed_out_every_admin_page_asks_to_sign_in(area):
    """Signed out, each admin page and form goes to the sign-in page, and nothing changes."""
    before = _state(area)
    client = area.client()
    for method, path, data in _routes(area):
        response = _send(client, method, path, data)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/workers/login?next="), path
    assert _state(area) == before


def test_a_form_without_its_token_is_refused_and_changes_nothing(area):
    """An admin's form sent without its CSRF token: 400, and nothing is changed."""
    add_group_contact(area.services.database, "Youth club", "lead@example.org")
    before = _state(area)
    client = area.signed_in("admin@example.org")
    for method, path, data in _routes(area):
        if method == "POST":
            response = _send(client, method, path, data, with_token=False)
            assert response.status_code == 400, path
            assert "Sorry, we could not use that" in _text(response)
    assert _state(area) == before


def test_only_admins_see_the_link_to_workers_and_groups(area):
    """The header links to the admins' pages for an admin, and not for a worker."""
    admin = parse(area.signed_in("admin@example.org").get("/workers/").get_data(as_text=True))
    links = [a for a in admin.find_all("a") if a.text() == "Workers and groups"]
    assert [a.get("href") for a in links] == ["/workers/admin/workers"]
    worker = _text(area.signed_in("youth@example.org").get("/workers/"))
    assert "Workers and groups" not in worker


def test_the_list_shows_each_workers_role_groups_and_account(area):
    """Every worker with their role, groups and whether they can sign in."""
    ids = _ids(area)
    client = area.signed_in("admin@example.org")
    client.post(
        f"/workers/admin/workers/{ids['council@example.org']}/turn-off",
        data={"csrf_token": token(client, "/workers/admin/workers")},
    )
    page = parse(client.get("/workers/admin/workers").get_data(as_text=True))
    rows = {
        cells[0]: cells[1:]
        for row in page.find_all("tr")[1:]
        if (cells := [c.text().strip() for c in row.find_all("td")])
    }
    assert rows["both@example.org: change"] == ["Worker", "Council team, Youth club", "On"]
    assert rows["admin@example.org: change"] == ["Admin", "No groups", "On"]
    assert rows["council@example.org: change"] == ["Worker", "Council team", "Turned off"]


def _add(client, **fields):
    data = {"email": "sam@example.org", "role": "worker", "password": NEW_PASSWORD, **fields}
    data["csrf_token"] = token(client, "/workers/admin/workers/new")
    return client.post("/workers/admin/workers/new", data=data)


def test_an_admin_adds_a_worker_who_can_then_sign_in(area, caplog):
    """The new worker signs in with the first password and sees their group's check-ins;
    the log says who added whom by id, never by email."""
    ids = _ids(area)
    client = area.signed_in("admin@example.org")
    with caplog.at_level(logging.INFO, logger="voicebox"):
        response = _add(client, email=" Sam@Example.org ", groups=[ids["Council team"]])
    assert response.status_code == 302
    assert response.headers["Location"] == "/workers/admin/workers"
    listed = _text(client.get("/workers/admin/workers"))
    assert "Added sam@example.org. Tell them their first password privately." in listed
    sam = area.signed_in("sam@example.org", NEW_PASSWORD)
    home = _text(sam.get("/workers/"))
    assert "COUNCIL" in home and "YOUTH1" not in home
    assert sam.get("/workers/admin/workers").status_code == 404
    logged = [r.getMessage() for r in caplog.records if r.name == "voicebox.workers.admin_pages"]
    sam_id = _ids(area)["sam@example.org"]
    assert logged == [f"admin {ids['admin@example.org']} added worker {sam_id}"]
    assert "example.org" not in caplog.text


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "YOUTH@example.org"}, "email", EMAIL_TAKEN),
        ({"email": "not an email"}, "email", "Enter an email address like name@example.org"),
        ({"email": ""}, "email", "Enter their email address"),
        ({"password": "too short"}, "password", "The password must be at least 10 characters"),
        ({"password": ""}, "password", "Enter a first password"),
        ({"role": "owner"}, "role-0", "Choose a role"),
        ({"groups": ["999"]}, "groups-0", "A group you chose is no longer there. Choose again."),
    ],
)
def test_a_worker_that_cannot_be_added_is_named_and_nothing_is_saved(area, fields, field, message):
    """Each problem is in the summary (a link to its field) and beside the field, with a
    400; what was typed stays (not the password), and no account is made."""
    ids = _ids(area)
    before = _state(area)
    client = area.signed_in("admin@example.org")
    response = _add(client, **{"role": "admin", "groups": [ids["Youth club"]], **fields})
    assert response.status_code == 400
    page = parse(response.get_data(as_text=True))
    assert page.find_all("title")[0].text().startswith("Error:")
    summary = page.with_class("error-summary")[0]
    assert [(a.get("href"), a.text()) for a in summary.find_all("a")] == [(f"#{field}", message)]
    name = field.removesuffix("-0")
    assert message in page.by_id(f"{name}-error").text()
    assert page.by_id(field) is not None
    if name != "email":
        assert page.by_id("email").get("value") == "sam@example.org"
    if name != "role":
        assert page.by_id("role-1").get("checked") is not None  # admin, as chosen
    if name != "groups":
        assert page.by_id("groups-1").get("checked") is not None  # Youth club
    assert page.by_id("password").get("value") in (None, "")
    assert _state(area) == before


def test_a_taken_email_is_named_with_the_other_problems(area):
    """Every problem is said at once: a taken email does not wait for a good password."""
    response = _add(area.signed_in("admin@example.org"), email="youth@example.org", password="x")
    summary = parse(response.get_data(as_text=True)).with_class("error-summary")[0]
    assert [a.get("href") for a in summary.find_all("a")] == ["#email", "#password"]
    assert EMAIL_TAKEN in summary.text()


def _save_access(client, worker_id: int, role: str, groups: list[int]):
    data = {"role": role, "groups": groups}
    data["csrf_token"] = token(client, f"/workers/admin/workers/{worker_id}")
    return client.post(f"/workers/admin/workers/{worker_id}/access", data=data)


def test_changing_a_workers_groups_changes_what_they_see(area):
    """Add a worker to a group and its check-in opens; take them out and it is not found."""
    ids = _ids(area)
    youth = area.signed_in("youth@example.org")
    assert youth.get("/workers/checkins/COUNCIL").status_code == 404
    assert youth.get("/workers/checkins/YOUTH1").status_code == 200
    admin = area.signed_in("admin@example.org")
    shown = parse(admin.get(f"/workers/admin/workers/{ids['youth@example.org']}").get_data(True))
    checked = [
        (box.get("value"), box.get("checked") is not None)
        for box in shown.find_all("input")
        if box.get("name") in ("role", "groups")
    ]
    assert checked == [
        ("worker", True),
        ("admin", False),
        (str(ids["Council team"]), False),
        (str(ids["Youth club"]), True),
    ]
    response = _save_access(admin, ids["youth@example.org"], "worker", [ids["Council team"]])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/workers/admin/workers/{ids['youth@example.org']}"
    assert "Saved the role and groups of youth@example.org." in _text(
        admin.get(response.headers["Location"])
    )
    assert youth.get("/workers/checkins/COUNCIL").status_code == 200
    assert youth.get("/workers/checkins/YOUTH1").status_code == 404


def test_making_a_worker_an_admin_shows_them_everything(area):
    """An admin sees every check-in, even those with no group, and the admins' pages."""
    ids = _ids(area)
    admin = area.signed_in("admin@example.org")
    youth = area.signed_in("youth@example.org")
    assert youth.get("/workers/checkins/LOOSE").status_code == 404
    assert _save_access(admin, ids["youth@example.org"], "admin", []).status_code == 302
    assert youth.get("/workers/checkins/LOOSE").status_code == 200
    assert youth.get("/workers/admin/groups").status_code == 200


def test_turning_a_worker_off_signs_them_out_at_once(area):
    """Turned off: their open session ends at the next page and they cannot sign in;
    turned back on, they can sign in again."""
    worker_id = _ids(area)["youth@example.org"]
    youth = area.signed_in("youth@example.org")
    admin = area.signed_in("admin@example.org")
    page = f"/workers/admin/workers/{worker_id}"
    response = admin.post(f"{page}/turn-off", data={"csrf_token": token(admin, page)})
    assert response.status_code == 302
    assert "Turned off youth@example.org. They are signed out and cannot sign in." in _text(
        admin.get(page)
    )
    assert youth.get("/workers/").status_code == 302
    assert sign_in(area.client(), "youth@example.org", PASSWORD).status_code == 400
    response = admin.post(f"{page}/turn-on", data={"csrf_token": token(admin, page)})
    assert "They can sign in again." in _text(admin.get(page))
    assert sign_in(area.client(), "youth@example.org", PASSWORD).status_code == 302


def test_a_new_password_works_and_ends_the_workers_other_sessions(area):
    """The old password stops working and a session signed in with it ends; an admin who
    changes their own password stays signed in on their own device."""
    ids = _ids(area)
    youth = area.signed_in("youth@example.org")
    admin = area.signed_in("admin@example.org")
    page = f"/workers/admin/workers/{ids['youth@example.org']}"
    data = {"password": NEW_PASSWORD, "csrf_token": token(admin, page)}
    response = admin.post(f"{page}/password", data=data)
    assert response.status_code == 302
    assert "Set a new password for youth@example.org." in _text(admin.get(page))
    assert youth.get("/workers/").status_code == 302
    assert sign_in(area.client(), "youth@example.org", PASSWORD).status_code == 400
    assert sign_in(area.client(), "youth@example.org", NEW_PASSWORD).status_code == 302

    other = area.signed_in("admin@example.org")
    own = f"/workers/admin/workers/{ids['admin@example.org']}"
    admin.post(f"{own}/password", data={"password": NEW_PASSWORD, "csrf_token": token(admin, own)})
    assert admin.get("/workers/").status_code == 200
    assert other.get("/workers/").status_code == 302


def test_a_short_new_password_is_refused_beside_the_field(area):
    """Too short: named at the top and by the field, 400, and the old password still works."""
    page = f"/workers/admin/workers/{_ids(area)['youth@example.org']}"
    admin = area.signed_in("admin@example.org")
    response = admin.post(
        f"{page}/password", data={"password": "short", "csrf_token": token(admin, page)}
    )
    assert response.status_code == 400
    html = parse(response.get_data(as_text=True))
    summary = html.with_class("error-summary")[0]
    assert [a.get("href") for a in summary.find_all("a")] == ["#password"]
    assert "at least 10 characters" in html.by_id("password-error").text()
    assert sign_in(area.client(), "youth@example.org", PASSWORD).status_code == 302


def test_an_admin_cannot_turn_themselves_off_or_stop_being_an_admin(area):
    """So there is always an admin: both are refused kindly, with a 400, and nothing changes."""
    admin_id = _ids(area)["admin@example.org"]
    before = _state(area)
    admin = area.signed_in("admin@example.org")
    page = f"/workers/admin/workers/{admin_id}"
    shown = parse(admin.get(page).get_data(as_text=True))
    assert "This is your account." in shown.text()
    assert shown.by_id("turn-off") is None  # no button to turn yourself off
    response = _save_access(admin, admin_id, "worker", [])
    assert response.status_code == 400
    html = parse(response.get_data(as_text=True))
    assert OWN_ROLE in html.by_id("role-error").text()
    assert OWN_ROLE in html.with_class("error-summary")[0].text()
    response = admin.post(f"{page}/turn-off", data={"csrf_token": token(admin, page)})
    assert response.status_code == 400
    assert OWN_ACCOUNT in parse(response.get_data(as_text=True)).by_id("turn-off-error").text()
    assert _state(area) == before
    assert admin.get("/workers/admin/workers").status_code == 200


def test_another_admin_can_be_changed_but_the_last_one_cannot_go(area):
    """With two admins, one may make the other a worker; storage keeps the last admin."""
    database = area.services.database
    second = create_worker(database, "second@example.org", PASSWORD, "admin")
    admin = area.signed_in("admin@example.org")
    assert _save_access(admin, second, "worker", []).status_code == 302
    with pytest.raises(LastAdmin):
        update_worker(database, _ids(area)["admin@example.org"], "worker", [])
    assert NO_ADMIN_LEFT  # the page's words when two admins demote each other at once


def _post(client, page: str, path: str, **data):
    return client.post(path, data={**data, "csrf_token": token(client, page)})


def test_an_admin_adds_and_renames_groups(area):
    """A new group is listed with no workers, check-ins or contacts; it can be renamed,
    even to the same name in another case."""
    admin = area.signed_in("admin@example.org")
    response = _post(admin, "/workers/admin/groups", "/workers/admin/groups", name="  Art  club ")
    assert response.status_code == 302
    listed = parse(admin.get("/workers/admin/groups").get_data(as_text=True))
    assert "Added the group Art club." in listed.text()
    row = next(r for r in listed.find_all("tr") if "Art club" in r.text())
    cells = [c.text().strip() for c in row.find_all("td")]
    assert cells[1:] == ["0", "0", "None: every admin is told"]
    club = _ids(area)["Art club"]
    page = f"/workers/admin/groups/{club}"
    response = _post(admin, page, f"{page}/name", name="ART CLUB")
    assert response.status_code == 302 and response.headers["Location"] == page
    assert "Renamed the group to ART CLUB." in _text(admin.get(page))
    assert _ids(area)["ART CLUB"] == club


def test_a_group_name_taken_in_another_case_is_refused(area):
    """Adding or renaming to a name another group has (in any case): 400, said by the field."""
    before = _state(area)
    admin = area.signed_in("admin@example.org")
    added = _post(admin, "/workers/admin/groups", "/workers/admin/groups", name="youth CLUB")
    council = f"/workers/admin/groups/{_ids(area)['Council team']}"
    renamed = _post(admin, council, f"{council}/name", name="YOUTH club")
    empty = _post(admin, "/workers/admin/groups", "/workers/admin/groups", name="   ")
    for response, message in [
        (added, "There is already a group called Youth club"),
        (renamed, "There is already a group called Youth club"),
        (empty, "Enter a name for the group"),
    ]:
        assert response.status_code == 400
        html = parse(response.get_data(as_text=True))
        assert message in html.by_id("name-error").text()
        links = html.with_class("error-summary")[0].find_all("a")
        assert [(a.get("href"), a.text()) for a in links] == [("#name", message)]
    assert parse(added.get_data(as_text=True)).by_id("name").get("value") == "youth CLUB"
    assert parse(renamed.get_data(as_text=True)).by_id("name").get("value") == "YOUTH club"
    assert _state(area) == before


def test_an_admin_adds_and_removes_safeguarding_contacts(area):
    """Contacts are told about the group's flags; with none, the page says every admin is."""
    database = area.services.database
    club = _ids(area)["Youth club"]
    page = f"/workers/admin/groups/{club}"
    admin = area.signed_in("admin@example.org")
    assert "this group's flags go to every admin" in _text(admin.get(page))
    response = _post(admin, page, f"{page}/contacts", email=" Lead@Example.org ")
    assert response.status_code == 302 and response.headers["Location"] == page
    assert "lead@example.org will be told at once about this group's flags." in _text(
        admin.get(page)
    )
    assert group_contacts(database, club) == ["lead@example.org"]
    again = _post(admin, page, f"{page}/contacts", email="lead@example.org")
    assert again.status_code == 400
    assert CONTACT_THERE in parse(again.get_data(as_text=True)).by_id("email-error").text()

    response = _post(admin, page, f"{page}/contacts/remove", email="lead@example.org")
    assert response.status_code == 302
    assert "lead@example.org will no longer be told" in _text(admin.get(page))
    assert group_contacts(database, club) == []


def test_a_contact_that_is_not_an_email_address_is_refused(area):
    """A bad address is named at the top and by the field, kept as typed, and not saved."""
    club = _ids(area)["Youth club"]
    page = f"/workers/admin/groups/{club}"
    admin = area.signed_in("admin@example.org")
    response = _post(admin, page, f"{page}/contacts", email="lead at example")
    assert response.status_code == 400
    html = parse(response.get_data(as_text=True))
    message = "Enter an email address like name@example.org"
    assert message in html.by_id("email-error").text()
    assert html.by_id("email").get("value") == "lead at example"
    assert html.by_id("email").get("aria-describedby") == "email-hint email-error"
    assert group_contacts(area.services.database, club) == []


def test_an_unknown_worker_or_group_is_not_found(area):
    """An id that is no one's is "not found", for pages and forms alike."""
    admin = area.signed_in("admin@example.org")
    assert admin.get("/workers/admin/workers/9999").status_code == 404
    assert admin.get("/workers/admin/groups/9999").status_code == 404
    page = "/workers/admin/groups"
    assert _post(admin, page, "/workers/admin/workers/9999/turn-off").status_code == 404
    assert _post(admin, page, "/workers/admin/groups/9999/name", name="X").status_code == 404
