"""A check-in's share kit: the link, a QR code that scans to it, each channel's way in,
and the poster; only for the check-in's own group."""

from __future__ import annotations

import pytest

from tests.channels.webpage import parse
from tests.qr import scan
from tests.workers.conftest import PASSWORD, make_area, sign_in


def test_the_share_kit_shows_the_link_and_a_qr_code(area):
    """The check-in's page: its link (this host when no public address is set) and the QR
    code drawn in the page; the code may be typed in any case."""
    client = area.signed_in("youth@example.org")
    response = client.get("/workers/checkins/youth1")
    page = parse(response.get_data(as_text=True))
    assert response.status_code == 200
    assert page.by_id("join-link").get("href") == "http://localhost/c/YOUTH1"
    qr = page.with_class("qr")[0]
    assert qr.get("role") == "img" and "http://localhost/c/YOUTH1" in qr.get("aria-label")
    assert qr.find_all("svg")


@pytest.mark.parametrize("kind", ["png", "svg"])
def test_the_qr_code_downloads_and_scans_to_the_checkin(area, kind):
    """The download is a file named for the check-in; the PNG scans to the public link."""
    public = make_area(area.services.database, public_url="http://voice.example.org")
    client = public.client()
    assert sign_in(client, "youth@example.org", PASSWORD).status_code == 302
    response = client.get(f"/workers/checkins/YOUTH1/qr.{kind}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="voicebox-YOUTH1-qr.{kind}"'
    )
    if kind == "png":
        assert response.mimetype == "image/png"
        assert scan(response.data) == ["http://voice.example.org/c/YOUTH1"]
    else:
        assert response.mimetype == "image/svg+xml"
        assert (
            response.data.startswith(b"<svg")
            and b"http://voice.example.org/c/YOUTH1" in response.data
        )


def test_another_groups_checkin_has_no_share_kit(area):
    """Other groups' check-ins, and unknown codes, are not found: page, QR and poster."""
    client = area.signed_in("youth@example.org")
    for path in ("", "/qr.png", "/qr.svg", "/poster"):
        assert client.get(f"/workers/checkins/COUNCIL{path}").status_code == 404
        assert client.get(f"/workers/checkins/NOSUCH{path}").status_code == 404
    assert client.get("/workers/checkins/YOUTH1/qr.gif").status_code == 404
    admin = area.signed_in("admin@example.org")
    assert admin.get("/workers/checkins/COUNCIL").status_code == 200
    assert area.client().get("/workers/checkins/YOUTH1").status_code == 302


def test_the_poster_says_three_short_things_with_pictures_and_each_way_in(area):
    """The poster: three sentences of at most 15 words, each with a picture from this
    server, the QR code, the link, and "text YOUTH1 to ..." when SMS is set up."""
    sms = make_area(
        area.services.database,
        env={"VOICEBOX_TWILIO_AUTH_TOKEN": "token", "VOICEBOX_TWILIO_FROM": "+447700900123"},
    )
    client = sms.client()
    assert sign_in(client, "youth@example.org", PASSWORD).status_code == 302
    page = parse(client.get("/workers/checkins/YOUTH1/poster").get_data(as_text=True))
    steps = page.with_class("poster-steps")[0].find_all("li")
    assert len(steps) == 3
    for step in steps:
        assert len(step.text().split()) <= 15
        (picture,) = step.find_all("img")
        assert picture.get("src").startswith("/pictures/") and picture.get("alt") == ""
    assert page.with_class("poster-qr")[0].find_all("svg")
    text = page.text()
    assert "Or go to http://localhost/c/YOUTH1" in text
    assert "Or text YOUTH1 to +447700900123." in text
    kit = parse(client.get("/workers/checkins/YOUTH1").get_data(as_text=True)).text()
    assert "Text YOUTH1 to +447700900123" in kit
    assert (
        "Text YOUTH1"
        not in parse(
            area.signed_in("youth@example.org")
            .get("/workers/checkins/YOUTH1/poster")
            .get_data(as_text=True)
        ).text()
    )


def test_every_poster_picture_is_served(area):
    """The poster's pictures come from this server and exist."""
    client = area.signed_in("youth@example.org")
    page = parse(client.get("/workers/checkins/YOUTH1/poster").get_data(as_text=True))
    for picture in page.find_all("img"):
        assert client.get(picture.get("src")).status_code == 200
