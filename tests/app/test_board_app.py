"""AppTest of a class: a teacher starts a room on Home, three students join with nicknames and train different
Gradient lab cells, and the Class board ranks their runs - after a server restart too (SQLite) - while a visitor
without the code sees nothing, the teacher's secret stays out of students' pages and hostile nicknames stay text."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.rooms.store import RoomStore
from tests.helpers import ROOT, assert_no_exception, run_until, texts, training_finished
from ui import rooms

HOME, BOARD, LAB = "app_pages/home.py", "app_pages/board.py", "app_pages/gradient_lab.py"
TINY = "Tiny: a few seconds"
HOSTILE = "<img src=x onerror=1>**"  # 23 characters: fits the nickname's bound
STUDENTS = (("ada", "SimpleRNN"), (HOSTILE, "LSTM"), ("[cy](http://x.example)", "GRU"))


@pytest.fixture
def database(tmp_path, monkeypatch):
    """A fresh SQLite file for the class; the process's store is reopened on it."""
    monkeypatch.setenv("RNN_PLAYGROUND_DATABASE_URL", f"sqlite:///{tmp_path / 'class.sqlite3'}")
    rooms.reset_store()
    yield tmp_path / "class.sqlite3"
    rooms.reset_store()


def session(page: str, /, **params: str) -> AppTest:
    """A new browser session opened on `page` with these query parameters (a reload: a page's own address)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(page)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert_no_exception(at)
    return at


def everything_shown(at: AppTest) -> str:
    """Every text the page shows (markdown, captions, alerts, code boxes, metrics, tables as CSV)."""
    parts = [texts(at)] + [c.value for c in at.code] + [t.value for t in at.get("text")]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(parts)


def markdown_shown(at: AppTest) -> str:
    """What Streamlit renders as markdown (where HTML or a link in a nickname would take effect)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in (at.success, at.info, at.warning, at.error):
        parts += [e.value for e in kind]
    return "\n".join(parts)


def board_table(at: AppTest):
    return next(d.value for d in at.dataframe if "nickname" in d.value)


def train_cell(at: AppTest, cell: str) -> None:
    at.switch_page(LAB).run()
    at.selectbox(key="gradient-lab:preset").set_value(TINY).run()
    index = at.selectbox(key="gradient-lab:preset").options.index(TINY)
    at.sidebar.radio(key=f"gradient-lab:{index}:cell").set_value(cell).run()
    at.button(key="gradient-lab:train").click().run()
    run_until(at, training_finished("gradient-lab"), timeout=300, every=2)
    assert_no_exception(at)
    assert at.success, [e.value for e in at.error]


def test_a_class_on_one_board(database):
    teacher = session(HOME)
    teacher.button(key="room:start").click().run()
    assert_no_exception(teacher)
    made = teacher.session_state["room:started"]
    assert made.room.short_code in [m.value for m in teacher.metric]
    shown = everything_shown(teacher)
    assert f"board?room={made.room.code}" in shown and made.teacher_secret in shown  # the teacher's own page

    students = []
    for nickname, cell in STUDENTS:
        at = session(BOARD, room=made.room.code)
        assert "Join the class" in texts(at)
        at.text_input(key="board:nickname").input(nickname)
        at.button[[b.label for b in at.button].index("Join")].click().run()
        assert_no_exception(at)
        assert made.teacher_secret not in everything_shown(at) and made.teacher_secret not in str(at.query_params)
        train_cell(at, cell)
        students.append(at)

    # the board, seen by a student: three runs ranked by the held-out score (test MSE, lower is better)
    board = students[0]
    board.switch_page(BOARD).run()
    assert_no_exception(board)
    table = board_table(board)
    assert sorted(table["nickname"]) == sorted(n for n, _ in STUDENTS)
    assert list(table["score"]) == sorted(table["score"]) and list(table["rank"]) == [1, 2, 3]
    assert set(table["metric"]) == {"test MSE"}
    assert all(link.startswith("gradient-lab?") and "page=gradient-lab" in link for link in table["open"])
    overlay = board.multiselect(key="board:gradient-lab:runs")
    assert len(overlay.value) == 3  # the three curves overlaid
    specs = [c.proto.spec for c in board.get("vega_lite_chart")]
    assert len(specs) >= 2 and "epochs of training" in specs[0] and "against" in specs[1]  # overlay, scatter
    chosen = [r for r in rooms.store().runs(rooms.store().room(made.room.code)) if r.id in overlay.value]
    assert rooms.board.curves(chosen)["run"].nunique() == 3
    assert board.selectbox(key="board:gradient-lab:setting").value.endswith("cell")
    assert "What to look for" in texts(board)
    assert made.teacher_secret not in everything_shown(board)
    assert not [b for b in board.button if b.key and b.key.startswith("board:hide")]  # no teacher controls

    # hostile nicknames are data: in the table as typed, never in anything rendered as markdown
    assert HOSTILE in list(table["nickname"]) and "[cy](http://x.example)" in list(table["nickname"])
    for at in [board, *students]:
        rendered = markdown_shown(at)
        assert "<img" not in rendered and "x.example" not in rendered

    # the teacher link: controls; the secret stays in the teacher's own board address (a reload keeps them)
    moderator = session(BOARD, room=made.room.code, teacher=made.teacher_secret)
    assert moderator.query_params.get("teacher") == made.teacher_secret
    assert "Teacher controls" in [e.label for e in moderator.expander]
    ranked = board_table(moderator)
    worst = int(ranked["run"].iloc[-1])
    moderator.selectbox(key="board:teacher-run").set_value(worst).run()
    moderator.button(key="board:hide-run").click().run()
    assert_no_exception(moderator)
    board.run()
    assert len(board_table(board)) == 2  # hidden from the students' board
    moderator.run()
    assert list(board_table(moderator)["hidden"]).count("run") == 1  # still listed, flagged, for the teacher

    # a server restart: a new store on the same SQLite file still shows the class's runs
    rooms.reset_store()
    reopened = RoomStore.open(f"sqlite:///{database}")
    assert len(reopened.runs(reopened.room(made.room.code), include_hidden=True)) == 3
    reopened.close()
    rooms.reset_store()
    late = session(BOARD, room=made.room.code)
    assert len(board_table(late)) == 2

    # a visitor without the code sees nothing of the room, and a wrong code tells nothing
    stranger = session(BOARD)
    assert not stranger.dataframe and "Class code" in [t.label for t in stranger.text_input]
    stranger.text_input(key="board:code").input("ZZZZZZ")
    stranger.button[0].click().run()
    assert "No open class has this code" in texts(stranger) and not stranger.dataframe
    assert all(n not in everything_shown(stranger) for n, _ in STUDENTS)
    # the short code lets a student in
    stranger.text_input(key="board:code").input(made.room.short_code.lower())
    stranger.button[0].click().run()
    assert_no_exception(stranger)
    assert len(board_table(stranger)) == 2


def member_of(at: AppTest) -> rooms.Membership | None:
    try:
        return at.session_state["room:member"]
    except KeyError:  # AppTest's session state has no get()
        return None


def no_link_notice(at: AppTest) -> None:
    assert not [i.value for i in at.info if "not used as given" in i.value]  # room parameters are no settings


def test_a_reload_keeps_the_class(database):
    """A reload is a new session opened on the same address: it is the same member (nickname, room) and its next
    run lands on the board; an address with a wrong or no room code is in no class; the teacher's reload keeps
    the controls, and the teacher's secret is never in a student's address."""
    teacher = session(HOME)
    teacher.button(key="room:start").click().run()
    made = teacher.session_state["room:started"]
    assert teacher.query_params == {"room": made.room.code, "teacher": made.teacher_secret}  # the teacher's Home
    home_again = session(HOME, **teacher.query_params)  # a reload of Home: the class and its links are still there
    assert made.room.short_code in [m.value for m in home_again.metric]
    assert any(made.teacher_secret in c.value for c in home_again.code)

    student = session(BOARD, room=made.room.code)
    student.text_input(key="board:nickname").input("ada")
    student.button[[b.label for b in student.button].index("Join")].click().run()
    assert_no_exception(student)
    assert student.query_params.get("room") == made.room.code and student.query_params.get("nickname") == "ada"
    student.switch_page(LAB).run()  # a training page keeps the class in its address, with its own settings
    assert_no_exception(student)
    no_link_notice(student)
    address = dict(student.query_params)
    assert address["room"] == made.room.code and address["nickname"] == "ada" and address.get("page") == "gradient-lab"
    assert made.teacher_secret not in str(address)

    # the reload: a new session on the same address, the same member; its next run lands on the board
    reloaded = session(LAB, **address)
    no_link_notice(reloaded)
    assert member_of(reloaded) == rooms.Membership(made.room.code, "ada")
    train_cell(reloaded, "GRU")
    board_runs = rooms.store().runs(rooms.store().room(made.room.code))
    assert [r.nickname for r in board_runs] == ["ada"]
    reloaded.switch_page(BOARD).run()
    assert_no_exception(reloaded)
    assert "Join the class" not in texts(reloaded) and "ada" in [t.value for t in reloaded.get("text")]
    assert list(board_table(reloaded)["nickname"]) == ["ada"]

    # a wrong room code, or none, is no class; the join link alone is the room but not the member
    for params in ({"room": "wrongwrongwrong", "nickname": "ada"}, {"nickname": "ada"}):
        outsider = session(LAB, **params)
        assert member_of(outsider) is None, params
        outsider.switch_page(BOARD).run()
        assert not outsider.dataframe and "Class code" in [t.label for t in outsider.text_input]
    newcomer = session(BOARD, room=made.room.code)
    assert member_of(newcomer) == rooms.Membership(made.room.code) and "Join the class" in texts(newcomer)

    # the teacher reloads the teacher link (the board's address): still the teacher; a wrong secret is not
    teacher.switch_page(BOARD).run()
    assert teacher.query_params.get("teacher") == made.teacher_secret
    again = session(BOARD, **dict(teacher.query_params))
    assert "Teacher controls" in [e.label for e in again.expander]
    forger = session(BOARD, room=made.room.code, teacher="x" * 24)
    assert "Teacher controls" not in [e.label for e in forger.expander] and "teacher" not in forger.query_params
    again.switch_page(LAB).run()  # the secret stays on the teacher's board: a training page's address has none
    assert "teacher" not in again.query_params and again.query_params.get("room") == made.room.code


def test_typed_codes_are_rate_limited(database):
    at = session(BOARD)
    for _ in range(rooms.TYPED_CODES_PER_MINUTE):
        at.text_input(key="board:code").input("ABCDEF")
        at.button[0].click().run()
        assert "No open class has this code" in texts(at)
    at.text_input(key="board:code").input("ABCDEG")
    at.button[0].click().run()
    assert "Too many codes tried" in texts(at)


def test_a_database_outage_shows_a_notice_and_training_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_PLAYGROUND_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1")
    rooms.reset_store()
    try:
        board = session(BOARD, room="abcdefghijkl")
        assert "cannot be reached" in texts(board)
        home = session(HOME)
        home.button(key="room:start").click().run()
        assert "cannot be reached" in texts(home)
        # a student who had joined before the outage trains as usual; the run stays on the page
        home.session_state["room:member"] = rooms.Membership("abcdefghijkl", "ada")
        train_cell(home, "GRU")
        assert "cannot be reached" in texts(home)
    finally:
        rooms.reset_store()
