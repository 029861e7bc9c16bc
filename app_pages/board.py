"""Class board: every run of a class, per training page - a leaderboard by the page's held-out score,
the chosen runs' curves overlaid, one setting against the score - refreshed by itself.

Opened with a room's join link (`board?room=CODE`) or its short code typed here; a visitor with neither
sees nothing of any room. A student who joins gets `&nickname=NAME` in the address, so a reload rejoins as
the same member. The teacher's link adds `teacher=SECRET`: the page checks it and keeps it in the teacher's
own address on this page and Home only (a reload keeps the controls); no student's page or address ever
holds it. Nicknames and labels are data: they go into tables, legends and pickers, never into markdown.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ui import rooms
from ui.charts import CHART_CHROME
from ui.registry import PAGES

REFRESH_SECONDS = 5  # the board part reruns alone this often (a fragment), not the page
TOP_CURVES = 3  # the best runs (and every pinned one) are chosen in the overlay at first
CHART_HEIGHT = 420 + CHART_CHROME + 60  # core.rooms.charts.HEIGHT, axes, title and a legend row or two

INTRO = (
    "Every run the class finishes or stops on a training page lands here. Each tab is one training page: "
    "its runs ranked by the page's held-out score, their curves overlaid, and one setting against the score."
)
LEADERBOARD_HELP = (
    "**What to look for.** The top rows are the settings that generalised best on data the models never trained "
    "on. Runs close in score but far apart in settings mean that knob mattered little; 📌 marks runs the teacher "
    "pinned. *open* opens the run's settings on its page, to train it yourself."
)
CURVES_HELP = (
    "**What to look for.** One colour per run (from a fifth run on, the colours come round again with other dot "
    "shapes); solid lines are training (a running mean), dashed lines with dots the validation value after each "
    "epoch. Both axes start at 0, so a run that stays high learned little; a dashed line that turns up while its "
    "solid line keeps falling is overfitting."
)
SCATTER_HELP = (
    "**What to look for.** One dot per run. If the dots climb (or fall) steadily from left to right, this "
    "setting drove the score; if they scatter at every value, it did not - pick another setting."
)
EMPTY = "No runs yet. Students: open a training page, press **Train**, and your run appears here when it ends."


# ----------------------------------------------------------------------------- arriving


def arrive(store) -> rooms.Membership | None:
    """Join the room the link names (and become its teacher with the teacher link); returns the membership.

    A reload was rejoined before the page (rooms.keep_in_link in app.py); this joins a room named by a link
    opened in a session that is in another room, and keeps the room (and the teacher's secret, in the
    teacher's own address only) in the address.
    """
    code = st.query_params.get(rooms.ROOM_PARAM, "")
    secret = st.query_params.get(rooms.TEACHER_PARAM, "")
    member = rooms.membership()
    if code and (member is None or member.code != code):
        room = store.room(code)
        if room is None:
            st.error("No class has this link: it may have expired (12 hours after its last run) or been deleted.")
        else:
            member = rooms.join(room)
    if member is not None and secret and secret != member.teacher_secret and store.is_teacher(member.code, secret):
        rooms.become_teacher(store.room(member.code), secret)
    rooms.keep_in_link(teacher_page=True)  # a reload keeps the room, the nickname and (teacher only) the controls
    return rooms.membership()


def code_form(store) -> None:
    """For a visitor without a room: type the class code (a few tries a minute)."""
    st.markdown("Ask your teacher for the class link, or type the class code here.")
    with st.form("board:code-form"):
        typed = st.text_input("Class code", max_chars=12, key="board:code", placeholder="e.g. K7QMXD")
        submitted = st.form_submit_button("Open the class", type="primary")
    if not submitted or not typed.strip():
        return
    if not rooms.may_type_a_code():
        st.error("Too many codes tried: wait a minute and try again.")
        return
    room = store.room_by_short_code(typed)
    if room is None:
        st.error("No open class has this code. Check it with your teacher.")
        return
    rooms.join(room)
    st.query_params[rooms.ROOM_PARAM] = room.code
    st.rerun()


def nickname_form(member: rooms.Membership) -> None:
    if member.nickname:
        st.caption("You are on this board as:")
        st.text(member.nickname)  # plain text, whatever it holds
        return
    with st.form("board:nickname-form", border=True):
        st.markdown("**Join the class.** Pick a nickname (no real name needed); your runs will carry it.")
        nickname = st.text_input("Nickname", max_chars=rooms.MAX_NICKNAME, key="board:nickname")
        joined = st.form_submit_button("Join", type="primary")
    if joined:
        if not rooms.set_nickname(nickname):
            st.error("Type a nickname first.")
            return
        rooms.keep_in_link(teacher_page=True)  # the nickname goes into the address: a reload rejoins as it
        st.rerun()


def header(room, member: rooms.Membership) -> None:
    left, right = st.columns([1, 2])
    left.metric("Class code", room.short_code)
    with right:
        st.markdown("**Join link** (students open it, or type the code on this page)")
        st.code(rooms.join_link(room), language=None, wrap_lines=True)
    if room.closed:
        st.info("The teacher has closed this class: the board is read-only, new runs are not added.")


# ----------------------------------------------------------------------------- the board


def page_title(key: str) -> str:
    """A panel key's page title ("gradient-lab-compare" -> "Gradient lab (compare)")."""
    for info in sorted(PAGES, key=lambda p: -len(p.url_path)):
        for name in (info.url_path, info.url_path.replace("-", "_")):
            if key == name:
                return info.title
            if key.startswith(name):
                return f"{info.title} ({key[len(name) :].strip('-_').replace('_', ' ')})"
    return key


def _order(key: str) -> tuple[int, str]:
    paths = [p.url_path.replace("-", "_") for p in PAGES]
    normal = key.replace("-", "_")
    return next((i for i, p in enumerate(paths) if normal.startswith(p)), len(paths)), key


def filters(key: str, runs: Sequence) -> list:
    values = rooms.board.filter_values(runs)
    if not values:
        return list(runs)
    chosen = {}
    for column, (name, options) in zip(st.columns(len(values)), values.items(), strict=True):
        chosen[name] = column.multiselect(f"Filter: {name}", options, key=f"board:{key}:filter:{name}")
    return rooms.board.filtered(runs, chosen)


def overlay(key: str, runs: Sequence) -> None:
    ranked = rooms.board.ranked(runs)
    by_id = {r.id: r for r in ranked}
    default = [r.id for r in ranked if r.pinned] + [r.id for r in ranked[:TOP_CURVES] if not r.pinned]
    picked = st.multiselect(
        "Runs to overlay",
        list(by_id),
        default=default,
        format_func=lambda i: rooms.board.run_name(by_id[i]),
        key=f"board:{key}:runs",
    )
    chosen = [by_id[i] for i in picked if i in by_id]
    quantities = rooms.board.quantities(chosen) or ["loss"]
    quantity = st.radio("Curve", quantities, horizontal=True, key=f"board:{key}:quantity")
    spec = rooms.shared(
        ("overlay", key, tuple(r.id for r in chosen), quantity),  # a recorded run's curves never change
        lambda: rooms.charts.overlay(rooms.board.curves(chosen, quantity), quantity).to_dict(validate=False),
        max_age=None,
    )
    st.vega_lite_chart(spec=spec, width="stretch", height=CHART_HEIGHT)
    st.caption(CURVES_HELP)


def scatter(key: str, runs: Sequence) -> None:
    settings = rooms.board.varying_settings(runs)
    if not settings:
        st.caption("Every run here has the same settings: change one (cell, units, clipping…) to see what it does.")
        return
    preferred = next((i for i, n in enumerate(settings) if n.endswith(("cell", "units"))), 0)
    setting = st.selectbox("Setting against the score", settings, index=preferred, key=f"board:{key}:setting")
    metric = rooms.board.ranked(runs)[0].metric
    spec = rooms.shared(
        ("scatter", key, setting, tuple((r.id, r.hidden) for r in runs)),
        lambda: rooms.charts.setting_scatter(rooms.board.setting_scores(runs, setting), setting, metric).to_dict(
            validate=False
        ),
        max_age=None,
    )
    st.vega_lite_chart(spec=spec, width="stretch", height=CHART_HEIGHT)
    st.caption(SCATTER_HELP)


def page_board(key: str, runs: Sequence, teacher: bool) -> None:
    shown = filters(key, runs)
    if not shown:
        st.info("No run matches these filters.")
        return
    metric = rooms.board.ranked(shown)[0].metric
    st.markdown(f"**Leaderboard by {metric}** ({len(shown)} runs)")
    st.dataframe(
        rooms.board.leaderboard(shown, rooms.app_base(), teacher),
        hide_index=True,
        width="stretch",
        row_height=44,
        column_config={
            "score": st.column_config.NumberColumn(format="%.4f"),
            "open": st.column_config.LinkColumn("open", display_text="open"),
            "run": st.column_config.NumberColumn("run #"),
        },
        key=f"board:{key}:table",
    )
    st.caption(LEADERBOARD_HELP)
    overlay(key, shown)
    scatter(key, shown)
    st.download_button(
        "This page's runs (CSV)",
        data=rooms.shared(("csv", key, tuple(r.id for r in shown)), lambda: rooms.board.csv(shown), max_age=None),
        file_name=f"class_{key}_runs.csv",
        mime="text/csv",
        on_click="ignore",
        key=f"board:{key}:csv",
    )


@st.fragment(run_every=REFRESH_SECONDS)
def live_board(code: str, teacher: bool) -> None:
    """The board part: reruns by itself every REFRESH_SECONDS, without rerunning the page."""
    store = rooms.store()
    if store is None:
        rooms.outage_notice()
        return
    try:
        room = store.room(code)
        runs = rooms.room_runs(store, room, teacher) if room is not None else []
    except rooms.DatabaseDown:
        rooms.outage_notice()
        return
    if room is None:
        st.info("This class has ended (it expired or the teacher deleted it).")
        return
    if not runs:
        st.info(EMPTY)
        return
    keys = sorted({r.page for r in runs}, key=_order)
    tabs = st.tabs([f"{page_title(k)} ({sum(r.page == k for r in runs)})" for k in keys])
    for tab, key in zip(tabs, keys, strict=True):
        with tab:
            page_board(key, [r for r in runs if r.page == key], teacher)


# ----------------------------------------------------------------------------- teacher controls


def teacher_controls(store, room) -> None:
    """Only in the session that opened the teacher link: hide, pin, close, delete."""
    with st.expander("Teacher controls", expanded=False, icon=":material/shield_person:"):
        runs = store.runs(room, include_hidden=True)
        by_id = {r.id: r for r in runs}
        if by_id:
            left, middle, right = st.columns([3, 1, 1])
            run_id = left.selectbox(
                "A run", list(by_id), format_func=lambda i: rooms.board.run_name(by_id[i]), key="board:teacher-run"
            )
            run = by_id[run_id]
            middle.button(
                "Show run" if run.hidden else "Hide run",
                key="board:hide-run",
                on_click=rooms.moderate,
                args=(store.set_hidden, room, run.id, not run.hidden),
            )
            right.button(
                "Unpin" if run.pinned else "Pin",
                key="board:pin-run",
                on_click=rooms.moderate,
                args=(store.set_pinned, room, run.id, not run.pinned),
            )
            names = store.nicknames(room)
            hidden = {r.nickname for r in runs if r.name_hidden}
            left, middle = st.columns([3, 2])
            name = left.selectbox("A nickname", names, key="board:teacher-name")
            middle.button(
                "Show nickname's runs" if name in hidden else "Hide nickname's runs",
                key="board:hide-name",
                on_click=rooms.moderate,
                args=(store.set_name_hidden, room, name, name not in hidden),
            )
        st.toggle(
            "Closed (read-only: no new runs)",
            value=room.closed,
            key="board:closed",
            on_change=lambda: rooms.moderate(store.set_closed, room, st.session_state["board:closed"]),
        )
        sure = st.checkbox("I want to delete this class and all its runs", key="board:delete-sure")
        if st.button("Delete the class", disabled=not sure, key="board:delete"):
            rooms.moderate(store.delete_room, room)
            rooms.leave()
            st.query_params.clear()
            st.rerun()
        st.caption("Hidden runs and nicknames disappear from every student's board (you still see them, flagged).")


# ----------------------------------------------------------------------------- page


def main() -> None:
    st.title("Class board")
    store = rooms.store()
    if store is None:
        rooms.outage_notice()
        return
    try:
        member = arrive(store)
        room = store.room(member.code) if member is not None else None
    except rooms.DatabaseDown:
        rooms.outage_notice()
        return
    if room is None:
        rooms.leave()
        code_form(store)
        return
    teacher = bool(member.teacher_secret) and store.is_teacher(room.code, member.teacher_secret)
    st.markdown(INTRO)
    header(room, member)
    if not teacher:
        nickname_form(member)
    else:
        st.caption(
            "You hold this class's teacher link: the controls below are yours alone. This page's address holds its "
            "secret, so a reload keeps them; to project the board, open the join link in another window."
        )
        try:
            teacher_controls(store, room)
        except rooms.DatabaseDown:
            rooms.outage_notice()
    live_board(room.code, teacher)


main()
