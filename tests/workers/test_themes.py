"""Themes in the workers' area, through the real app: make, rename, merge and delete
themes, tag several answers at once from the list and from a conversation, filter by theme,
and download one theme's answers. Only the check-in's group sees any of it."""

from __future__ import annotations

import csv
import io
import itertools
import re

import pytest

from tests.workers.conftest import token
from voicebox.bot.messages import InboundMessage
from voicebox.storage.consultations import get_consultation
from voicebox.storage.themes import list_themes

_ids = itertools.count()
PAGE = "/workers/checkins/YOUTH1/themes"
_ANSWER = re.compile(r'name="answers" value="(\d+)"')


def _check_in(area, phone: str, good: str, better: str) -> None:
    """A whole TOPS and PANTS check-in by SMS: consent, school, a feeling, three typed answers."""
    for words in ("YOUTH1", "1", "1", "2", good, "The noise", better, "2", "1"):
        area.services.engine.handle(
            InboundMessage("sms", f"sms:{phone}", words, message_id=f"t{next(_ids)}")
        )


@pytest.fixture
def youth(area):
    """Two young people's check-ins in YOUTH1, and a youth worker signed in."""
    _check_in(area, "+447700900001", "My friends", "More buses please")
    _check_in(area, "+447700900002", "The teachers, call 07700 900123", "Buses at night")
    return area.signed_in("youth@example.org")


def _themes(area) -> dict[str, object]:
    found = get_consultation(area.services.database, "YOUTH1")
    assert found is not None
    with area.services.database.reading() as conn:
        return {t.name: t for t in list_themes(conn, found.id)}


def _make(client, name: str):
    return client.post(PAGE, data={"name": name, "csrf_token": token(client, PAGE)})


def _answer_ids(page: str) -> list[int]:
    return [int(found) for found in _ANSWER.findall(page)]


def _tag(client, theme_id: int, answers: list[int], action: str = "add", back: str = ""):
    data = {
        "csrf_token": token(client, PAGE),
        "theme": str(theme_id),
        "answers": [str(a) for a in answers],
        "action": action,
        "back": back,
    }
    return client.post(f"{PAGE}/tag", data=data)


def test_a_worker_makes_a_theme_and_a_bad_name_is_told_kindly(area, youth):
    made = _make(youth, "Buses")
    assert made.status_code == 302 and made.headers["Location"].endswith(PAGE)
    page = youth.get(PAGE).get_data(as_text=True)
    assert "The theme “Buses” is made." in page and "Buses" in _themes(area)
    taken = _make(youth, "  buses ")
    assert taken.status_code == 400
    assert "There is already a theme called “buses”" in taken.get_data(as_text=True)
    empty = _make(youth, "   ")
    assert empty.status_code == 400 and "Give the theme a name" in empty.get_data(as_text=True)
    assert list(_themes(area)) == ["Buses"]


def test_ticking_several_answers_gives_them_the_theme_at_once(area, youth):
    _make(youth, "Buses")
    theme = _themes(area)["Buses"].id
    page = youth.get(PAGE).get_data(as_text=True)
    ids = _answer_ids(page)
    assert len(ids) == 6  # three typed answers each, the typed words by default
    assert "07700 900123" not in page and "More buses please" in page
    done = _tag(youth, theme, ids[:2], back="kind=typed&page=1&next=https://evil.example")
    assert done.status_code == 302
    assert done.headers["Location"] == f"{PAGE}?kind=typed&page=1"  # only the list's own keys
    shown = youth.get(done.headers["Location"]).get_data(as_text=True)
    assert "Added “Buses” to 2 answers." in shown
    again = youth.get(_tag(youth, theme, ids[:3]).headers["Location"]).get_data(as_text=True)
    assert "Added “Buses” to 1 answer. 2 already had it." in again
    assert _themes(area)["Buses"].answers == 3
    tagged = youth.get(f"{PAGE}?theme={theme}").get_data(as_text=True)
    assert sorted(_answer_ids(tagged)) == sorted(ids[:3])
    untagged = youth.get(f"{PAGE}?theme=none").get_data(as_text=True)
    assert sorted(_answer_ids(untagged)) == sorted(ids[3:])
    off = youth.get(_tag(youth, theme, ids[:1], action="remove").headers["Location"])
    assert "Took “Buses” off 1 answer." in off.get_data(as_text=True)
    assert _themes(area)["Buses"].answers == 2


def test_tagging_with_nothing_ticked_or_no_token_changes_nothing(area, youth):
    _make(youth, "Buses")
    theme = _themes(area)["Buses"].id
    ids = _answer_ids(youth.get(PAGE).get_data(as_text=True))
    none = youth.get(_tag(youth, theme, []).headers["Location"]).get_data(as_text=True)
    assert "Tick at least one answer first." in none
    forged = youth.post(f"{PAGE}/tag", data={"theme": str(theme), "answers": [str(ids[0])]})
    assert forged.status_code == 400  # the app's own refusal of a form without its token
    assert _themes(area)["Buses"].answers == 0


def test_rename_merge_and_delete(area, youth):
    for name in ("Buses", "Trains", "Noise"):
        _make(youth, name)
    themes = _themes(area)
    ids = _answer_ids(youth.get(PAGE).get_data(as_text=True))
    _tag(youth, themes["Buses"].id, ids[:2])
    _tag(youth, themes["Trains"].id, ids[1:4])
    buses = themes["Buses"].id
    renamed = youth.post(
        f"{PAGE}/{buses}/rename",
        data={f"rename-{buses}-name": "Getting about", "csrf_token": token(youth, PAGE)},
    )
    assert renamed.status_code == 302
    merged = youth.post(
        f"{PAGE}/{buses}/merge",
        data={
            f"merge-{buses}-sources": [str(themes["Trains"].id)],
            "csrf_token": token(youth, PAGE),
        },
    )
    assert "Merged 1 theme into this one." in youth.get(merged.headers["Location"]).get_data(
        as_text=True
    )
    after = _themes(area)
    assert sorted(after) == ["Getting about", "Noise"] and after["Getting about"].answers == 4
    noise = after["Noise"].id
    gone = youth.post(f"{PAGE}/{noise}/delete", data={"csrf_token": token(youth, PAGE)})
    assert "Its answers are still here." in youth.get(gone.headers["Location"]).get_data(
        as_text=True
    )
    assert list(_themes(area)) == ["Getting about"]
    assert (
        youth.post(f"{PAGE}/{noise}/delete", data={"csrf_token": token(youth, PAGE)}).status_code
        == 404
    )


def test_a_conversation_links_to_its_own_answers(area, youth):
    conversations = youth.get("/workers/checkins/YOUTH1/conversations").get_data(as_text=True)
    first = re.search(r'href="/workers/conversations/(\d+)"', conversations)
    assert first
    talk = youth.get(f"/workers/conversations/{first.group(1)}").get_data(as_text=True)
    link = re.search(r'href="([^"]+)">Give this conversation’s answers themes', talk)
    assert link
    own = youth.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "’s conversation." in own
    assert len(_answer_ids(own)) == 4  # its feeling as well as its three typed answers


def test_one_themes_answers_download_with_their_themes(area, youth):
    _make(youth, "Buses")
    theme = _themes(area)["Buses"].id
    ids = _answer_ids(youth.get(PAGE).get_data(as_text=True))
    _tag(youth, theme, ids[:2])
    got = youth.get(f"/workers/checkins/YOUTH1/export.csv?theme={theme}")
    assert got.status_code == 200
    assert f"-theme-{theme}-answers.csv" in got.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    assert len(rows) == 2 and {r["themes"] for r in rows} == {"Buses"}
    assert youth.get("/workers/checkins/YOUTH1/export.csv?theme=999").status_code == 404
    assert youth.get("/workers/checkins/YOUTH1/export.csv?theme=x1").status_code == 404


def test_another_groups_worker_sees_and_changes_nothing(area, youth):
    _make(youth, "Buses")
    theme = _themes(area)["Buses"].id
    ids = _answer_ids(youth.get(PAGE).get_data(as_text=True))
    council = area.signed_in("council@example.org")
    assert council.get(PAGE).status_code == 404
    csrf = token(council, "/workers/checkins/COUNCIL/themes")
    assert council.post(f"{PAGE}/tag", data={"csrf_token": csrf, "theme": theme}).status_code == 404
    # Their own check-in's page cannot reach YOUTH1's answers or themes either.
    council.post(
        "/workers/checkins/COUNCIL/themes/tag",
        data={"csrf_token": csrf, "theme": str(theme), "answers": [str(a) for a in ids]},
    )
    assert _themes(area)["Buses"].answers == 0
    assert council.post(f"{PAGE}/{theme}/delete", data={"csrf_token": csrf}).status_code == 404
