"""The class a session is in travels in the address as app parameters: never a page's setting (no "unknown link
setting" notice, never in a copied experiment link), and the teacher's secret only on the teacher's own pages."""

from __future__ import annotations

from core.engine.links import APP_PARAMS, screen
from ui import rooms


def test_room_parameters_are_app_parameters_not_settings():
    for name in (rooms.ROOM_PARAM, rooms.NICKNAME_PARAM, rooms.TEACHER_PARAM):
        assert name in APP_PARAMS
    link = {"page": "gradient-lab", "room": "abcdefghijkl", "nickname": "ada", "teacher": "s" * 24, "0.units": "64"}
    assert screen("gradient-lab", link) == ({"0.units": "64"}, [])


def test_a_members_address_holds_the_teacher_secret_only_on_a_teacher_page():
    student = rooms.Membership("abcdefghijkl", "ada")
    teacher = rooms.Membership("abcdefghijkl", "", "s" * 24)
    assert rooms.member_params(student, teacher_page=True) == {"room": "abcdefghijkl", "nickname": "ada"}
    assert rooms.member_params(teacher, teacher_page=False) == {"room": "abcdefghijkl"}
    assert rooms.member_params(teacher, teacher_page=True) == {"room": "abcdefghijkl", "teacher": "s" * 24}
