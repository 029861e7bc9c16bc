"""Streamlit glue for rooms (core/rooms): the server's store, a session's membership, the panel's hook.

- `store()`: the process's `RoomStore` (the database URL from the environment or secrets.toml;
  SQLite in the cache folder by default). A database that cannot be reached gives None and a
  notice; the next try comes after RETRY_SECONDS, and training never waits for it.
- A session is in at most one room: `membership()` (code, nickname, and for the teacher the secret).
  `keep_in_link()` (app.py, before every page) writes it into the address as `?room=CODE&nickname=NAME`, so
  a reload (a new Streamlit session) or a page change rejoins the same member silently; the teacher's
  secret goes into the teacher's own address only on Home and the Class board (a reload of the teacher
  link keeps moderation) - never into a student's page or URL, never into a copied experiment link.
- `record_if_ended(key, state, metric, metric_label)`: the one call the training panel makes
  (ui/training_panel.py); when this session is in a room with a nickname, each run it finishes or
  stops is recorded once, with the page's link parameters as they were when the run started.
- `start_class()`: Home's "Start a class"; `join_link()` and `teacher_link()` build the addresses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from core import rooms as core_rooms  # lazy: SQLAlchemy and Altair load on first use, not when Home opens
from core.rooms.limits import MAX_NICKNAME, Throttle, plain_text
from core.rooms.settings import DATABASE_ENV_VAR, database_url, describe
from ui import links
from ui.registry import BOARD, HOME, PAGES
from ui.runs import session_id

if TYPE_CHECKING:
    from core.rooms.store import NewRoom, Room, RoomStore

logger = logging.getLogger(__name__)
RETRY_SECONDS = 30.0
TYPED_CODES_PER_MINUTE = 5  # per session
TYPED_CODES_PER_SERVER_MINUTE = 120  # all sessions of this process together
OUTAGE = (
    "The class board's database cannot be reached right now, so runs are not being added to the board. "
    "Training works as usual and your runs stay on your pages; the board catches up once the database is back."
)
_MEMBER = "room:member"
_TYPED = "room:typed"
_STARTED = "room:started"  # the NewRoom this session created (Home shows its links)
_RECORDING = "room:recording:"  # + panel key: the run being watched for the board
_TRIED = "room:tried"  # the link this session last tried to rejoin from (tried once, not on every rerun)
# The address's room parameters (app parameters in core/engine/links.APP_PARAMS: never a page's setting).
ROOM_PARAM, NICKNAME_PARAM, TEACHER_PARAM = "room", "nickname", "teacher"

_store: RoomStore | None = None
_failed_at: float | None = None
_store_lock = threading.Lock()
_server_typing = Throttle(TYPED_CODES_PER_SERVER_MINUTE)


def __getattr__(name: str):
    """`rooms.board`, `rooms.charts`, `rooms.DatabaseDown` for the board page: loaded on first use."""
    if name in ("board", "charts"):
        return getattr(core_rooms, name)
    if name in ("DatabaseDown", "RoomError"):
        return getattr(core_rooms.store, name)
    raise AttributeError(name)


@dataclass
class Membership:
    code: str
    nickname: str = ""
    teacher_secret: str = ""  # only in the session of the teacher who holds the link


# ----------------------------------------------------------------------------- the store


def _configured_url() -> str | None:
    """RNN_PLAYGROUND_DATABASE_URL from secrets.toml, when a deployer put it there."""
    try:
        value = st.secrets.get(DATABASE_ENV_VAR)
    except Exception:  # no secrets file: the environment or the SQLite default
        return None
    return str(value) if value else None


def store() -> RoomStore | None:
    """The server's rooms store, opened (and migrated) once; None while the database is unreachable."""
    global _store, _failed_at
    if _store is not None:
        return _store
    with _store_lock:
        if _store is not None:
            return _store
        if _failed_at is not None and time.monotonic() - _failed_at < RETRY_SECONDS:
            return None
        url = database_url(_configured_url())
        try:
            _store = core_rooms.store.RoomStore.open(url)
        except Exception as err:  # any driver or network error: rooms are off for now, training is not
            _failed_at = time.monotonic()
            logger.warning("rooms database %s unreachable: %s", describe(url), err)
            return None
        logger.info("rooms database: %s", describe(url))
        return _store


def reset_store(new: RoomStore | None = None) -> None:
    """Forget the process's store (tests; a restarted server opens the same database again)."""
    global _store, _failed_at
    with _store_lock:
        _store, _failed_at = new, None
    with _cache_lock:
        _cache.clear()  # a restarted server holds no shared reads either


# ----------------------------------------------------------------------------- shared reads for the board

SHARED_SECONDS = 2.0  # a room's runs read once per this long for all its students' boards
MAX_CACHED = 256
_cache: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def shared(key: tuple, build: Callable[[], Any], max_age: float | None = SHARED_SECONDS) -> Any:
    """`build()`'s value, shared by every session of this process for `max_age` seconds (None: for good).

    Thirty students watching one board refresh it every few seconds each: they share one database
    read of the room's runs, and one chart spec per set of chosen runs (a recorded run never changes).
    """
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and (max_age is None or now - hit[0] < max_age):
            _cache.move_to_end(key)
            return hit[1]
    value = build()
    with _cache_lock:
        _cache[key] = (now, value)
        _cache.move_to_end(key)
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return value


def room_runs(rooms: RoomStore, room: Room, teacher: bool) -> list:
    """The room's runs for a board (the teacher's with hidden ones, read fresh: moderation shows at once)."""
    if teacher:
        return rooms.runs(room, include_hidden=True)
    return shared(("runs", room.id), lambda: rooms.runs(room))


def moderate(action: Callable[..., None], room: Room, *args: Any) -> None:
    """A teacher's action (hide, pin, close...) on the store; this server's boards show it at their next refresh."""
    action(room, *args)
    with _cache_lock:
        _cache.pop(("runs", room.id), None)


def outage_notice() -> None:
    st.warning(OUTAGE, icon=":material/cloud_off:")


# ----------------------------------------------------------------------------- membership and links


def membership() -> Membership | None:
    member = st.session_state.get(_MEMBER)
    return member if isinstance(member, Membership) else None


def join(room: Room, nickname: str = "") -> Membership:
    """This session joins `room` (a teacher who joins keeps the secret)."""
    member = membership()
    secret = member.teacher_secret if member and member.code == room.code else ""
    st.session_state[_MEMBER] = Membership(room.code, plain_text(nickname, MAX_NICKNAME), secret)
    return st.session_state[_MEMBER]


def set_nickname(nickname: str) -> bool:
    """Give this session's membership a nickname (bounded, one plain line); False when it is empty."""
    member, name = membership(), plain_text(nickname, MAX_NICKNAME)
    if member is None or not name:
        return False
    member.nickname = name
    return True


def leave() -> None:
    st.session_state.pop(_MEMBER, None)


def become_teacher(room: Room, secret: str) -> None:
    member = membership()
    nickname = member.nickname if member and member.code == room.code else ""
    st.session_state[_MEMBER] = Membership(room.code, nickname, secret)


def may_type_a_code() -> bool:
    """A session may try TYPED_CODES_PER_MINUTE short codes a minute (and the server so many in all)."""
    now = time.monotonic()
    recent = [t for t in st.session_state.get(_TYPED, []) if t > now - 60]
    if len(recent) >= TYPED_CODES_PER_MINUTE or not _server_typing.allow():
        st.session_state[_TYPED] = recent
        return False
    st.session_state[_TYPED] = [*recent, now]
    return True


def app_base() -> str:
    """The app's address ("https://host/prefix/"), from the browser's; "" (relative links) when unknown."""
    url = st.context.url or ""
    if not url:
        return ""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments and segments[-1] in {p.url_path for p in (HOME, BOARD, *PAGES)}:
        segments = segments[:-1]
    path = "/" + "/".join(segments) + ("/" if segments else "")
    return f"{parts.scheme}://{parts.netloc}{path}"


def join_link(room: Room) -> str:
    return f"{app_base()}{BOARD.url_path}?{urlencode({ROOM_PARAM: room.code})}"


def teacher_link(made: NewRoom) -> str:
    query = urlencode({ROOM_PARAM: made.room.code, TEACHER_PARAM: made.teacher_secret})
    return f"{app_base()}{BOARD.url_path}?{query}"


def _rejoin_from_link() -> Membership | None:
    """A session without a room whose address names one (a reload, a bookmarked page): rejoin it silently,
    as the nickname the address carries, and as its teacher when the address holds the room's teacher secret.

    Tried once per address (not on every rerun); an unknown or expired room leaves the session outside.
    """
    code = st.query_params.get(ROOM_PARAM, "")
    if not code:
        return None
    nickname = st.query_params.get(NICKNAME_PARAM, "")
    secret = st.query_params.get(TEACHER_PARAM, "")
    attempt = (code, nickname, core_rooms.store.session_tag(secret) if secret else "")
    if st.session_state.get(_TRIED) == attempt:
        return None
    rooms = store()
    if rooms is None:
        return None  # the database is away: tried again on a later run
    try:
        room = rooms.room(code)
        teacher = room is not None and bool(secret) and rooms.is_teacher(room.code, secret)
    except core_rooms.store.DatabaseDown:
        logger.warning("could not rejoin a room from the address", exc_info=True)
        return None
    st.session_state[_TRIED] = attempt
    if room is None:
        return None
    st.session_state[_MEMBER] = Membership(room.code, plain_text(nickname, MAX_NICKNAME), secret if teacher else "")
    return st.session_state[_MEMBER]


def member_params(member: Membership, teacher_page: bool) -> dict[str, str]:
    """The room parameters this member's address carries (the teacher's secret only on a `teacher_page`)."""
    params = {ROOM_PARAM: member.code}
    if member.nickname:
        params[NICKNAME_PARAM] = member.nickname
    if member.teacher_secret and teacher_page:
        params[TEACHER_PARAM] = member.teacher_secret
    return params


def keep_in_link(teacher_page: bool) -> None:
    """Before every page (app.py): rejoin the room the address names, and put this session's room in the address.

    Streamlit empties the address's parameters on a page change and a reload starts a new session: with the
    room and the nickname in the address, both find the same member again. A link naming another room is
    left to the Class board, which joins it (app_pages/board.py). `teacher_page`: a page that shows the teacher
    what is theirs (Home's teacher link, the board's controls); only there does a teacher's address hold the secret.
    """
    member = membership() or _rejoin_from_link()
    if member is None:
        return
    linked = st.query_params.get(ROOM_PARAM, "")
    if linked and linked != member.code:
        return
    wanted = member_params(member, teacher_page)
    for name in (ROOM_PARAM, NICKNAME_PARAM, TEACHER_PARAM):
        if name not in wanted:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != wanted[name]:
            st.query_params[name] = wanted[name]


def start_class() -> NewRoom | None:
    """Create a room for this session's teacher; None (with the reason shown) when that is not possible."""
    rooms = store()
    if rooms is None:
        outage_notice()
        return None
    try:
        made = rooms.create_room()
    except core_rooms.store.RoomError as err:
        st.error(str(err))
        return None
    except core_rooms.store.DatabaseDown:
        logger.warning("could not create a room", exc_info=True)
        outage_notice()
        return None
    join(made.room)
    become_teacher(made.room, made.teacher_secret)
    st.session_state[_STARTED] = made
    keep_in_link(teacher_page=True)  # Home: a reload keeps the class and its teacher link
    return made


START_HELP = (
    "Start a class and everyone who opens its link (or types its code on the Class board) picks a nickname; "
    "from then on every run they finish or stop on any page lands on one board: a leaderboard per page, "
    "their curves overlaid, and which setting mattered. Nothing personal is asked; no model is stored."
)


def _reloaded_class() -> NewRoom | None:
    """The class this teacher's session holds the secret of (Home reloaded from its address), for its links."""
    member, rooms = membership(), store()
    if member is None or not member.teacher_secret or rooms is None:
        return None
    try:
        room = rooms.room(member.code)
    except core_rooms.store.DatabaseDown:
        return None
    if room is None:
        return None
    st.session_state[_STARTED] = core_rooms.store.NewRoom(room, member.teacher_secret)
    return st.session_state[_STARTED]


def class_section() -> None:
    """Home's "Start a class": a room, its join link and big code, and the private teacher link."""
    st.header("Running a class")
    st.markdown(START_HELP)
    made: NewRoom | None = st.session_state.get(_STARTED) or _reloaded_class()
    if made is None:
        if membership() is not None:  # a student's session (or a reload): the class goes on
            st.page_link(BOARD.path, label="You are in a class: open its board", icon=BOARD.icon)
        if st.button("Start a class", key="room:start", icon=":material/groups:"):
            made = start_class()
        if made is None:
            return
    left, right = st.columns([1, 2])
    left.metric("Class code", made.room.short_code)
    with right:
        st.markdown("**Join link** - put it on the projector, or let students type the code on the Class board")
        st.code(join_link(made.room), language=None, wrap_lines=True)
    st.page_link(BOARD.path, label="Open the class board", icon=BOARD.icon)
    with st.expander("Private teacher link (do not project it)", icon=":material/key:"):
        st.code(teacher_link(made), language=None, wrap_lines=True)
        st.caption(
            "It opens the board with the moderation controls (hide or pin a run, hide a nickname, close or delete "
            "the class). Keep it to yourself: anyone holding it can moderate. This session already has them."
        )


# ----------------------------------------------------------------------------- the training panel's hook


@dataclass
class _Watch:
    state: Any  # the panel's PanelState of this run
    params: dict[str, str]
    done: bool = False


def _label(key: str, output: Any, config: Any) -> str:
    """The run's label in the page's run history (what changed since the run before), else its headline."""
    from ui.compare import run_history  # a training page has loaded it (and Altair) already; Home does not

    result = getattr(output, "result", None)
    for record in run_history(key).newest_first():
        if record.result is result:
            return record.label
    return core_rooms.records.headline(config)


def record_if_ended(key: str, state: Any, metric: str | None = None, metric_label: str | None = None) -> None:
    """The panel's hook: remember the page's link when a run appears, record it on the board once it is done."""
    member = membership()
    if member is None or not member.nickname or state is None:
        return
    watch: _Watch | None = st.session_state.get(_RECORDING + key)
    if watch is None or watch.state is not state:
        page = st.session_state.get(links._ACTIVE) or key
        watch = _Watch(state, links.current_params(page))
        st.session_state[_RECORDING + key] = watch
    job = state.job
    if watch.done or job.running or job.state != "done":
        return
    watch.done = True
    _record(key, job.output, state.config, watch.params, member, metric, metric_label)


def _record(key: str, output: Any, config: Any, params: dict, member: Membership, metric, metric_label) -> None:
    try:
        label = _label(key, output, config)
        entry = core_rooms.records.entry_of(key, output, label, params, metric, metric_label, config)
    except Exception:  # a lab's outcome the board cannot read: the run stays on the page
        logger.warning("cannot make a board entry for %s", key, exc_info=True)
        return
    rooms = store()
    if entry is None:
        return
    if rooms is None:
        outage_notice()
        return
    try:
        room = rooms.room(member.code)
        if room is None:
            st.toast("Your class has ended: this run was not added to its board.", icon=":material/info:")
            return
        rooms.add_run(room, member.nickname, entry, session_id())
    except core_rooms.store.RoomError as err:
        st.toast(str(err), icon=":material/info:")
        return
    except core_rooms.store.DatabaseDown:
        logger.warning("could not record a run on the board", exc_info=True)
        outage_notice()
        return
    st.toast("Added to the class board.", icon=":material/leaderboard:")
