"""A whole class on one small server: N sessions pressing Train at once, through the real app.

Starts the real app (`streamlit run app.py`, real data from RNN_PLAYGROUND_DATA) on a free loopback
port and drives N concurrent sessions through Streamlit's own websocket protocol (the protobufs of
`streamlit.proto`), which costs far less than N browsers on a 2-core box. Each session does what a
browser does: it asks for the Sentiment page, reads the widgets from the deltas, sets controls,
presses Train (a trigger widget state), keeps sending the live charts' fragment auto-reruns (the
browser drives `st.fragment(run_every=1)`), and reads the panel's progress text and final alert.

Scenarios (each on a freshly started server; `--warmup` first trains the Tiny preset from a
separate session, so that the worker pool has started, as on a server in use):

(a) N sessions press Train on the DEFAULT Sentiment preset, clicks spread at random over 10 s:
    first loss seen per session (after its own click), time to finish, peak RSS. Before it, a lone
    run of the same preset on its own fresh server (the finished-run cache would otherwise answer
    the class at once) gives the "finishes <= 1.2x a lone run" reference.
(b) N sessions each train a DISTINCT variant of the Tiny preset (units x epochs x batch size), so
    nothing is shared and the admission queue does the work: peak RSS, the queue places each session
    was shown, each session's wait (click -> training started), errors. Its server gets
    RNN_PLAYGROUND_QUEUE=N, as the room scenario's do (below).

(room) The class board's cost (`--scenario room`, not part of "both"): N sessions each train a DISTINCT Tiny
    run of the Gradient lab (cell x units x seed), first on a fresh server without a room, then on
    another fresh server (its own cache folder, so its own SQLite rooms database) where a teacher
    session presses Home's "Start a class", reads the join link and opens the board, a projector
    session opens the join link, and every student opens the join link (board?room=CODE), types a
    nickname in the board's form and presses Join before opening the Gradient lab. Then: every run
    counted in the store (core.rooms' store API on the same database file), each run's time from its
    final status to its database row and to the projector's board, the board's fragment rerun time
    (teacher and projector) with the class's runs and after seeding copies up to 300, the database's
    size, and the RSS; the room's cost is printed beside the class without it, as ratios. Both servers
    get RNN_PLAYGROUND_QUEUE=N (a queue that holds the class; at the default 8, a 2-core server's
    single worker turns most of a class of 30 distinct runs away with "the queue is full").

Throughout, the RSS of the server and every process under it is sampled every 0.5 s (from /proc).

`--backend dask` runs the same scenarios with training on a Dask cluster instead of the local
worker pool: each fresh server gets a fresh `dask scheduler` and `dask worker --nworkers 2
--nthreads 1` on 127.0.0.1 (as compose.yaml deploys them), the server is pointed at it with
RNN_PLAYGROUND_SCHEDULER, and the cluster's processes are sampled too (kinds "scheduler" and
"cluster-worker"), so the totals compare with the local pool's.
Prints a report per scenario with the issue's targets marked PASS/FAIL; `--json PATH` keeps the raw
numbers. Bounded: 127.0.0.1 only, a global timeout, every socket closed and the server stopped.

    PYTHONPATH=. .venv/bin/python bench/classroom.py [--sessions 30] [--scenario a|b|both|room] [--backend local|dask]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.harness import cmdline, free_port, loadavg, process_tree, rss_mb, server_env, start_server, wait_healthy
from core.engine.worker_process import process_cpu_seconds
from core.gradients.config import PRESETS as LAB_PRESETS
from core.rooms.records import RunEntry
from core.rooms.settings import SQLITE_FILE, RoomSettings
from core.rooms.store import Room, RoomStore, StoredRun, make_engine
from core.sentiment.config import DEFAULT_PRESET, PRESETS, TINY_PRESET

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"

PAGE_URL = "sentiment"  # st.navigation's url_path of the Sentiment page (ui/registry.py)
TRAIN_KEY = "sentiment:train"
PRESET_KEY = "sentiment:preset"
TINY_PREFIX = f"sentiment:{list(PRESETS).index(TINY_PRESET)}"  # the page keys a preset's controls by its index

CLICK_WINDOW_S = 10.0
FIRST_LOSS_TARGET_S = 5.0
FINISH_RATIO_TARGET = 1.2
RSS_TARGET_MB = 2500.0  # "2.5 GB", in the MB (2**20 bytes) of RNN_PLAYGROUND_MEMORY_MB
SAMPLE_S = 0.5
OPEN_TIMEOUT_S = 240.0  # a page opened by 30 sessions at once on 2 shared cores
SETTLE_TIMEOUT_S = 30.0  # after the final alert, until the page's last script run has finished

WIDGET_KINDS = ("button", "selectbox", "slider", "number_input", "radio", "checkbox", "text_input", "multiselect")
_WIDGET_ID = re.compile(r"^\$\$ID-[0-9a-f]+-(.+)$")
_QUEUE = re.compile(r"Waiting in the queue: place (\d+) of (\d+)")
_ELAPSED = re.compile(r"elapsed (?:(\d+):)?(\d+)(?: s)?")
_SECONDS = re.compile(r"([\d.]+)\s*s\b")
_FINAL_FORMATS = {Alert.SUCCESS: "success", Alert.WARNING: "warning", Alert.ERROR: "error"}
_BOARD_RUNS = re.compile(r"^\*\*Leaderboard by .*\((\d+) runs?\)")  # app_pages/board.py, one per page tab
_JOIN_CODE = re.compile(r"board\?room=([A-Za-z0-9_-]+)")
BOARD_EMPTY = "No runs yet."  # the board's info when its room holds no run (app_pages/board.py EMPTY)
BOARD_ADDED = "Added to the class board."  # the toast ui/rooms.py shows when a run is recorded


@dataclass(frozen=True)
class LabPage:
    """A training page the sessions open: its address, its panel key and its Tiny preset."""

    url: str  # st.navigation's url_path
    key: str  # the page's widget-key prefix (its training panel's key)
    presets: tuple[str, ...]
    tiny: str

    @property
    def train_key(self) -> str:
        return f"{self.key}:train"

    @property
    def preset_key(self) -> str:
        return f"{self.key}:preset"

    @property
    def tiny_prefix(self) -> str:
        """A preset's controls are keyed by its index: "<page>:<index>:<control>"."""
        return f"{self.key}:{self.presets.index(self.tiny)}"


SENTIMENT = LabPage(PAGE_URL, "sentiment", tuple(PRESETS), TINY_PRESET)
GRADIENT_LAB = LabPage("gradient-lab", "gradient-lab", tuple(LAB_PRESETS), "Tiny: a few seconds")  # the fastest


# ----------------------------------------------------------------------------- reading the page


def widget_key(widget_id: str) -> str | None:
    """The user key of a widget from its element id ("$$ID-<hash>-<key>"), None for a keyless one."""
    match = _WIDGET_ID.match(widget_id)
    return match.group(1) if match else None


def queue_place(text: str) -> tuple[int, int] | None:
    """(place, of) from the panel's "Waiting in the queue: place P of N · ..." text."""
    match = _QUEUE.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def shows_loss(text: str) -> bool:
    """The progress text carries a loss value ("Training · epoch 1/2 · batch 3/196 · loss 0.6931 · ...")."""
    return "· loss " in text


def shown_elapsed(text: str) -> float | None:
    """The run's own elapsed time in a Training text ("elapsed 7 s", "elapsed 1:05"), in seconds."""
    match = _ELAPSED.search(text)
    if not match:
        return None
    minutes, seconds = match.group(1), match.group(2)
    return float(seconds) if minutes is None else 60.0 * int(minutes) + float(seconds)


def board_runs_shown(markdown: str) -> int | None:
    """The run count of a board tab's leaderboard heading ("**Leaderboard by test MSE** (30 runs)")."""
    match = _BOARD_RUNS.match(markdown)
    return int(match.group(1)) if match else None


def join_code(text: str) -> str | None:
    """The room code in a join link (".../board?room=CODE")."""
    match = _JOIN_CODE.search(text)
    return match.group(1) if match else None


def phase_of(text: str) -> str:
    """The run's phase as the progress text names it ("Waiting in the queue", "Starting", "Training")."""
    if queue_place(text) is not None:
        return "Waiting in the queue"
    return re.split(r"…| · ", text, maxsplit=1)[0].strip()


@dataclass
class Widget:
    id: str
    kind: str  # the Element oneof: button, selectbox, slider, ...
    disabled: bool = False
    select_slider: bool = False


@dataclass
class SessionRecord:
    """What one session saw, in seconds on the bench's clock (see PageSession.clock)."""

    name: str
    variant: str = ""
    connected_at: float | None = None
    page_ready_at: float | None = None  # first full run of the page finished, Train button drawn
    click_at: float | None = None
    first_progress_at: float | None = None
    started_at: float | None = None  # first progress text that is not the queue's
    first_loss_at: float | None = None
    final_at: float | None = None
    settled_at: float | None = None  # the full run that drew the final alert finished
    final_kind: str = ""  # success | warning | error | cancelled (the run left the queue)
    final_text: str = ""
    first_loss_text: str = ""  # the progress text that first showed a loss (its "elapsed" is the run's own clock)
    shown_training_seconds: float | None = None  # the page's "Training time" metric
    queue_places: list[tuple[float, int, int]] = field(default_factory=list)  # (t, place, of) on change
    phases: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # info messages shown after the click
    messages: int = 0
    bytes_received: int = 0
    full_runs: int = 0
    fragment_runs: int = 0
    reruns_sent: int = 0
    added_at: float | None = None  # the "Added to the class board." toast after the click (a session in a room)
    board_counts: list[tuple[float, int]] = field(default_factory=list)  # (t, runs on the board) per board run
    fragment_seconds: list[tuple[float, float]] = field(default_factory=list)  # (t done, request -> done)
    codes: list[str] = field(default_factory=list)  # st.code texts (Home's join link)
    nickname: str = ""  # the nickname this session joined its room with

    def since_click(self, moment: float | None) -> float | None:
        return None if moment is None or self.click_at is None else moment - self.click_at

    def summary(self) -> dict[str, Any]:
        """The derived figures, in seconds after the session's own click."""
        places = [place for _, place, _ in self.queue_places]
        return {
            "page_open_s": None
            if self.page_ready_at is None or self.connected_at is None
            else self.page_ready_at - self.connected_at,
            "first_loss_s": self.since_click(self.first_loss_at),
            "wait_s": self.since_click(self.started_at),
            "finish_s": self.since_click(self.final_at),
            "run_elapsed_at_first_loss_s": shown_elapsed(self.first_loss_text),
            "redraw_s": None
            if not self.fragment_runs or self.final_at is None or self.first_progress_at is None
            else (self.final_at - self.first_progress_at) / self.fragment_runs,
            "first_place": places[0] if places else None,
            "queue_places": places,
            "longest_queue": max((of for _, _, of in self.queue_places), default=None),
        }


class PageSession:
    """One browser session's side of Streamlit's protocol, without the socket (unit-testable).

    `handle(bytes)` reads one ForwardMsg; `rerun(...)` writes the BackMsg a browser would send.
    """

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic, page: LabPage = SENTIMENT) -> None:
        self.record = SessionRecord(name)
        self.clock = clock
        self.lab = page
        self.page_name = page.url  # the page asked for (go() changes it)
        self._fragments_sent: deque[float] = deque()  # request times of the fragment reruns not yet finished
        self._board_runs: int | None = None  # runs on the board drawn by the script run in progress
        self.widgets: dict[str, Widget] = {}  # by user key
        self.values: dict[str, WidgetState] = {}  # by widget id: the values this session has set
        self.page_script_hash = ""
        self.query_string = ""
        self.auto_reruns: dict[str, float] = {}  # fragment id -> interval (s), as the server asked
        self.full_runs_done = 0
        self._alerts_before_click: set[str] = set()

    # --- what the browser sends

    def rerun(self, trigger_key: str | None = None, fragment_id: str | None = None) -> bytes:
        """A rerun request: the page, the widget values set so far, and a pressed button or a fragment."""
        state = ClientState(
            query_string=self.query_string, page_script_hash=self.page_script_hash, page_name=self.page_name
        )
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
            self._fragments_sent.append(self.clock())
        for value in self.values.values():
            state.widget_states.widgets.append(value)
        if trigger_key is not None:
            state.widget_states.widgets.append(WidgetState(id=self.widgets[trigger_key].id, trigger_value=True))
        self.record.reruns_sent += 1
        return BackMsg(rerun_script=state).SerializeToString()

    def go(self, page_name: str, query_string: str = "") -> bytes:
        """Open another page of the app in this session (a link followed): its widgets are yet to be drawn."""
        self.page_name, self.query_string, self.page_script_hash = page_name, query_string, ""
        self.widgets.clear()
        self.values.clear()
        self.auto_reruns.clear()
        return self.rerun()

    def set_value(self, key: str, value: Any) -> None:
        """Set a control as a visitor would (sent with every later rerun)."""
        widget = self.widgets[key]
        state = WidgetState(id=widget.id)
        if widget.kind == "slider" and widget.select_slider:
            state.string_array_value.data.append(str(value))
        elif widget.kind == "slider":
            state.double_array_value.data.append(float(value))
        elif widget.kind == "number_input":
            state.double_value = float(value)
        elif widget.kind in ("selectbox", "radio", "text_input"):
            state.string_value = str(value)
        elif widget.kind == "checkbox":
            state.bool_value = bool(value)
        else:
            raise ValueError(f"cannot set a {widget.kind}")
        self.values[widget.id] = state

    def button_labelled(self, label: str) -> str:
        """The widget key under which a keyless button (a form's submit button) is known."""
        return f"button:{label}"

    def click(self) -> bytes:
        self.record.click_at = self.clock()
        return self.rerun(trigger_key=self.lab.train_key)

    # --- what the server sends

    def handle(self, data: bytes) -> None:
        msg = ForwardMsg()
        msg.ParseFromString(data)
        now = self.clock()
        record = self.record
        record.messages += 1
        record.bytes_received += len(data)
        kind = msg.WhichOneof("type")
        if kind == "delta":
            if msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, now)
        elif kind == "new_session":
            self.page_script_hash = msg.new_session.page_script_hash or self.page_script_hash
            self._board_runs = None
            if not msg.metadata.run.fragment_ids:
                self.auto_reruns.clear()  # a full run registers its fragments (and their timers) again
                self._fragments_sent.clear()  # a full run replaces the fragment reruns asked for before it
        elif kind == "navigation":
            self.page_script_hash = msg.navigation.page_script_hash or self.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment_id, None)
        elif kind == "script_finished":
            self._finished(msg.script_finished, now)
        elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
            error = msg.session_event.script_compilation_exception
            record.exceptions.append(f"{error.type}: {error.message}"[:300])
        elif kind == "page_not_found":
            record.errors.append(f"page not found: {msg.page_not_found.page_name!r}")

    def _finished(self, status: int, now: float) -> None:
        record = self.record
        if status in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
            if self._board_runs is not None:
                record.board_counts.append((now, self._board_runs))
            self._board_runs = None
        if status == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.full_runs_done += 1
            record.full_runs += 1
            if record.page_ready_at is None and self.lab.train_key in self.widgets:
                record.page_ready_at = now
            if record.final_at is not None and record.settled_at is None:
                record.settled_at = now
        elif status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            record.fragment_runs += 1
            if self._fragments_sent:
                record.fragment_seconds.append((now, now - self._fragments_sent.popleft()))

    def _element(self, element, now: float) -> None:
        kind = element.WhichOneof("type")
        if kind in WIDGET_KINDS:
            proto = getattr(element, kind)
            key = widget_key(proto.id)
            if key is not None:
                select = kind == "slider" and proto.type == Slider.SELECT_SLIDER
                self.widgets[key] = Widget(proto.id, kind, bool(getattr(proto, "disabled", False)), select)
            if kind == "button" and (key == "None" or proto.is_form_submitter):  # a form's submit: by its label
                self.widgets[f"button:{proto.label}"] = Widget(proto.id, kind, proto.disabled)
        elif kind == "progress":
            self._progress(element.progress.text, now)
        elif kind == "alert":
            self._alert(element.alert.format, element.alert.body, now)
        elif kind == "exception":
            self.record.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
        elif kind == "metric" and element.metric.label == "Training time":
            match = _SECONDS.search(element.metric.body)
            if match:
                self.record.shown_training_seconds = float(match.group(1))
        elif kind == "markdown":
            shown = board_runs_shown(element.markdown.body)
            if shown is not None:
                self._board_runs = (self._board_runs or 0) + shown
        elif kind == "code":
            self.record.codes = [*self.record.codes[-4:], element.code.code_text[:500]]
        elif kind == "toast" and BOARD_ADDED in element.toast.body and self.record.click_at is not None:
            self.record.added_at = self.record.added_at or now

    def _progress(self, text: str, now: float) -> None:
        record = self.record
        if record.click_at is None or record.final_at is not None:
            return
        if record.first_progress_at is None:
            record.first_progress_at = now
        place = queue_place(text)
        if place is not None:
            if not record.queue_places or record.queue_places[-1][1:] != place:
                record.queue_places.append((now, *place))
        elif record.started_at is None:
            record.started_at = now
        phase = phase_of(text)
        if not record.phases or record.phases[-1] != phase:
            record.phases.append(phase)
        if record.first_loss_at is None and shows_loss(text):
            record.first_loss_at, record.first_loss_text = now, text[:200]

    def _alert(self, form: int, body: str, now: float) -> None:
        record = self.record
        if form == Alert.INFO and body.startswith(BOARD_EMPTY):
            self._board_runs = self._board_runs or 0
        if record.click_at is None:
            self._alerts_before_click.add(body)
            return
        if body in self._alerts_before_click:
            return
        final = _FINAL_FORMATS.get(form)
        if form == Alert.INFO:
            if body[:300] not in record.notes:
                record.notes.append(body[:300])
            if "left the queue" in body:  # the manager dropped the run: its watchers went unseen too long
                final = "cancelled"
        if final is None:
            return
        if final == "error" and body[:300] not in record.errors:
            record.errors.append(body[:300])
        if record.final_at is None:
            record.final_at, record.final_kind, record.final_text = now, final, body[:300]

    @property
    def done(self) -> bool:
        return self.record.final_at is not None


# ----------------------------------------------------------------------------- one session over a websocket


class Client:
    """A PageSession on a real websocket, with the browser's fragment timers."""

    def __init__(self, port: int, name: str, clock: Callable[[], float], page: LabPage = SENTIMENT) -> None:
        self.url = f"ws://127.0.0.1:{port}/_stcore/stream"
        self.session = PageSession(name, clock, page)
        self.clock = clock
        self._ws = None
        self._tasks: list[asyncio.Task] = []
        self._tick = asyncio.Event()
        self._closing = False

    @property
    def record(self) -> SessionRecord:
        return self.session.record

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        # No client pings (a browser sends none); the server's pings are answered by the library.
        self._ws = await connect(
            self.url, subprotocols=["streamlit"], max_size=2**26, open_timeout=60, ping_interval=None, close_timeout=5
        )
        self.record.connected_at = self.clock()
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._timers())]

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for data in self._ws:
                if isinstance(data, bytes):
                    self.session.handle(data)
                self._tick.set()
                self._tick = asyncio.Event()
        except ConnectionClosed as closed:
            if not self._closing:
                self.record.errors.append(f"connection closed by the server ({closed})")
        finally:
            self._tick.set()

    async def _timers(self) -> None:
        """setInterval per fragment the server asked to auto-rerun, as the browser does."""
        due: dict[str, float] = {}
        while True:
            await asyncio.sleep(0.1)
            now = self.clock()
            current = dict(self.session.auto_reruns)
            for fragment_id in list(due):
                if fragment_id not in current:
                    del due[fragment_id]
            for fragment_id, interval in current.items():
                if fragment_id not in due:
                    due[fragment_id] = now + interval
                elif now >= due[fragment_id]:
                    due[fragment_id] = now + interval
                    await self.send(self.session.rerun(fragment_id=fragment_id))

    async def send(self, data: bytes) -> None:
        with contextlib.suppress(Exception):  # a closed socket shows up in _read
            await self._ws.send(data)

    async def wait_for(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = self.clock() + timeout
        while not condition():
            remaining = deadline - self.clock()
            if remaining <= 0 or (self._tasks and self._tasks[0].done()):
                raise TimeoutError(f"{self.record.name}: no {what} within {timeout:.0f} s")
            tick = self._tick
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), min(remaining, 1.0))

    async def rerun_and_wait(self, what: str, timeout: float, trigger: str | None = None) -> None:
        before = self.session.full_runs_done
        await self.send(self.session.rerun(trigger_key=trigger))
        await self.wait_for(lambda: self.session.full_runs_done > before, timeout, what)

    async def open_page(
        self, timeout: float = OPEN_TIMEOUT_S, before: Callable[[Client], Awaitable[None]] | None = None
    ) -> None:
        """Connect, do `before` (join a room on the board), then open the training page and wait for its Train."""
        await self.connect()
        if before is not None:
            await before(self)
        await self.send(self.session.go(self.session.lab.url))
        await self.wait_for(
            lambda: self.record.page_ready_at is not None, timeout, f"{self.session.lab.url} with Train"
        )

    async def navigate(self, page_name: str, query_string: str, timeout: float) -> None:
        """Follow a link to another page of the app (`board`, `room=CODE`) and wait for its full run."""
        before = self.session.full_runs_done
        await self.send(self.session.go(page_name, query_string))
        await self.wait_for(lambda: self.session.full_runs_done > before, timeout, f"page {page_name}")

    async def join_room(self, code: str, nickname: str, timeout: float = OPEN_TIMEOUT_S) -> None:
        """As a student: open the join link (board?room=CODE), type a nickname in the board's form, press Join."""
        await self.navigate("board", f"room={code}", timeout)
        self.session.set_value("board:nickname", nickname)
        submit = self.session.button_labelled("Join")
        await self.rerun_and_wait("board after Join", timeout, trigger=submit)
        self.record.nickname = nickname

    async def choose(self, settings: dict[str, Any], timeout: float = OPEN_TIMEOUT_S) -> None:
        """Pick the Tiny preset, then set its controls (each preset has its own widget keys)."""
        lab = self.session.lab
        self.session.set_value(lab.preset_key, lab.tiny)
        await self.rerun_and_wait("page with the Tiny preset", timeout)
        if settings:
            for key, value in settings.items():
                self.session.set_value(f"{lab.tiny_prefix}:{key}", value)
            await self.rerun_and_wait("page with the chosen settings", timeout)
        self.record.variant = variant_label(settings)

    async def click(self) -> None:
        await self.send(self.session.click())

    async def finish(self, timeout: float) -> None:
        await self.wait_for(lambda: self.session.done, timeout, "final status")
        with contextlib.suppress(TimeoutError):
            await self.wait_for(lambda: self.record.settled_at is not None, SETTLE_TIMEOUT_S, "settled page")

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks[1:]:
            task.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._ws.close(), 10)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


# ----------------------------------------------------------------------------- server and memory


def process_kind(pid: int, root: int) -> str:
    if pid == root:
        return "server"
    line = cmdline(pid)
    if not line or "resource_tracker" in line:
        return "other"
    worker = ("core.engine.worker_process", "spawn_main", "multiprocessing")
    return "worker" if any(mark in line for mark in worker) else "other"


def cluster_kind(pid: int, root: int) -> str:
    """A Dask cluster's process: its scheduler, or a worker (the `dask worker` nanny and its worker children)."""
    line = cmdline(pid)
    if not line:
        return "other"
    return "scheduler" if "scheduler" in line else "cluster-worker"


class MemorySampler(threading.Thread):
    """RSS of the server and all processes under it every SAMPLE_S; CPU seconds per process.

    `cluster_roots` are further process trees to count (a Dask scheduler and its workers).
    """

    def __init__(self, root: int, clock: Callable[[], float], cluster_roots: Iterable[int] = ()) -> None:
        super().__init__(name="classroom-rss", daemon=True)
        self.root, self.clock = root, clock
        self.cluster_roots = list(cluster_roots)
        self._stop_event = threading.Event()
        self.timeline: list[tuple[float, float, float, float]] = []  # t, total, server, workers (MB)
        self.peak_total = (0.0, 0.0)  # (MB, t)
        self.peak_by_kind: dict[str, float] = {}  # the kind's processes together
        self.peak_process: dict[str, float] = {}  # the kind's biggest single process
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (kind, CPU seconds so far)
        self.max_load = 0.0
        self.max_workers = 0

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(SAMPLE_S)

    def sample(self) -> None:
        by_kind: dict[str, float] = {}
        workers = 0
        trees = [(pid, process_kind) for pid in process_tree(self.root)]
        for root in self.cluster_roots:
            trees += [(pid, cluster_kind) for pid in process_tree(root)]
        for pid, kind_of in trees:
            rss = rss_mb(pid)
            if rss is None:
                continue
            kind = kind_of(pid, self.root)  # read each time: a child just forked still shows its parent's command
            workers += kind in ("worker", "cluster-worker")
            by_kind[kind] = by_kind.get(kind, 0.0) + rss
            self.peak_process[kind] = max(self.peak_process.get(kind, 0.0), rss)
            cpu = process_cpu_seconds(pid)
            if cpu is not None:
                self.cpu[pid] = (kind, cpu)
        if not by_kind:
            return
        now, total = self.clock(), sum(by_kind.values())
        training = by_kind.get("worker", 0.0) + by_kind.get("cluster-worker", 0.0)
        self.timeline.append((round(now, 2), round(total, 1), round(by_kind.get("server", 0.0), 1), round(training, 1)))
        if total > self.peak_total[0]:
            self.peak_total = (total, now)
        for kind, mb in by_kind.items():
            self.peak_by_kind[kind] = max(self.peak_by_kind.get(kind, 0.0), mb)
        self.max_load = max(self.max_load, loadavg()[0])
        self.max_workers = max(self.max_workers, workers)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)

    def result(self) -> dict[str, Any]:
        cpu: dict[str, float] = {}
        for kind, seconds in self.cpu.values():
            cpu[kind] = cpu.get(kind, 0.0) + seconds
        return {
            "peak_total_mb": round(self.peak_total[0], 1),
            "peak_total_at_s": round(self.peak_total[1], 1),
            "peak_by_kind_mb": {k: round(v, 1) for k, v in sorted(self.peak_by_kind.items())},
            "peak_single_process_mb": {k: round(v, 1) for k, v in sorted(self.peak_process.items())},
            "cpu_seconds_by_kind": {k: round(v, 1) for k, v in sorted(cpu.items())},
            "max_worker_processes": self.max_workers,
            "max_load_1min": self.max_load,
            "samples": len(self.timeline),
            "timeline": self.timeline,
        }


class DaskCluster:
    """`dask scheduler` and `dask worker --nworkers N --nthreads 1` on 127.0.0.1, as compose.yaml runs them."""

    def __init__(self, log_dir: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = log_dir / f"dask-{self.port}.log"
        self.procs: list[subprocess.Popen] = []

    def start(self, timeout: float = 180.0) -> None:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(ROOT))
        env["DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES"] = "0"  # as compose.yaml: a killed worker is an error
        dask = str(Path(sys.executable).parent / "dask")
        commands = [
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            [dask, "worker", self.address, "--nworkers", str(self.workers), "--nthreads", "1", "--no-dashboard"],
        ]
        commands[1] += ["--memory-limit", "0", "--host", "127.0.0.1"]
        with open(self.log_path, "w") as log:
            for command in commands:
                self.procs.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
                time.sleep(1.0)
        from distributed import Client

        with Client(self.address, timeout=timeout) as client:
            client.wait_for_workers(self.workers, timeout=timeout)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            tree = process_tree(proc.pid) if proc.poll() is None else []
            with contextlib.suppress(OSError):
                proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)
            for pid in tree:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


class Server:
    """`streamlit run app.py` on 127.0.0.1, its RSS sampled from start to stop (with its Dask cluster, if any)."""

    def __init__(
        self,
        port: int,
        data: Path,
        clock: Callable[[], float],
        log_dir: Path,
        backend: str = "local",
        env: dict[str, str] | None = None,
    ) -> None:
        self.port, self.data, self.clock = port, data, clock
        self.env = dict(env or {})  # further settings (the room scenario's own cache folder)
        self.backend = backend
        self.cluster: DaskCluster | None = DaskCluster(log_dir) if backend == "dask" else None
        self.log_path = log_dir / f"streamlit-{port}-{int(time.time() * 1000) % 10**8}.log"
        self.proc: subprocess.Popen | None = None
        self.sampler: MemorySampler | None = None
        self.started_at = 0.0
        self.ready_s = 0.0

    def start(self, timeout: float = 120.0) -> None:
        env = server_env(self.data, **self.env)
        if self.cluster is not None:
            self.cluster.start()
            env["RNN_PLAYGROUND_SCHEDULER"] = self.cluster.address
        self.log_path.write_text("")
        self.proc = start_server(self.port, env, self.log_path, new_session=True)
        self.started_at = self.clock()
        self.sampler = MemorySampler(self.proc.pid, self.clock, self.cluster.pids() if self.cluster else ())
        self.sampler.start()
        wait_healthy(self.proc, self.port, timeout, self.log_path)
        self.ready_s = self.clock() - self.started_at

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> dict[str, Any]:
        """SIGTERM (the app closes its worker pool), then SIGKILL what is left of this server's processes."""
        result: dict[str, Any] = {}
        if self.proc is None:
            return result
        tree = process_tree(self.proc.pid) if self.proc.poll() is None else []
        if self.sampler is not None:
            self.sampler.sample()
            self.sampler.stop()
            result = self.sampler.result()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        time.sleep(0.5)
        for pid in tree[1:]:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)  # only this server's own children, by id
        if self.cluster is not None:
            self.cluster.stop()
        result["server_ready_s"] = round(self.ready_s, 1)
        result["log"] = str(self.log_path)
        errors = [line for line in self.log_tail(400).splitlines() if "Traceback" in line or " ERROR " in line]
        result["log_errors"] = errors[:20]
        return result

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped = self.stop()


# ----------------------------------------------------------------------------- scenarios


@dataclass
class Bench:
    sessions: int
    data: Path
    port: int | None
    keep_server: bool
    warmup: bool
    seed: int
    deadline: float  # on the clock
    log_dir: Path
    clock: Callable[[], float]
    progress: Callable[[str], None]
    backend: str = "local"

    def remaining(self, reserve: float = 20.0) -> float:
        left = self.deadline - self.clock() - reserve
        if left <= 0:
            raise TimeoutError("the global timeout is up")
        return left

    def server(self, env: dict[str, str] | None = None) -> Server:
        return Server(self.port or free_port(), self.data, self.clock, self.log_dir, self.backend, env)


async def _close_all(clients: Iterable[Client]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def _warm_up(bench: Bench, port: int, page: LabPage = SENTIMENT) -> dict[str, Any] | None:
    """A separate session trains the Tiny preset once, so the worker pool is up (a server in use)."""
    if not bench.warmup:
        return None
    client = Client(port, "warm-up", bench.clock, page)
    try:
        await client.open_page(min(OPEN_TIMEOUT_S, bench.remaining()))
        await client.choose({})
        await client.click()
        await client.finish(min(300.0, bench.remaining()))
    except TimeoutError as err:
        client.record.errors.append(str(err))
    finally:
        await client.close()
    await asyncio.sleep(3.0)  # let the second worker finish warming up too
    return {"record": asdict(client.record), **client.record.summary()}


async def _open_all(
    bench: Bench,
    port: int,
    names: list[str],
    settings: list[dict] | None,
    page: LabPage = SENTIMENT,
    before: Callable[[Client], Awaitable[None]] | None = None,
) -> list[Client]:
    """Connect every session and open the page (a few per second, as a class following a link);
    `before` runs first in each session (joining a room)."""
    clients = [Client(port, name, bench.clock, page) for name in names]

    async def open_one(i: int, client: Client) -> None:
        await asyncio.sleep(0.2 * i)
        try:
            await client.open_page(min(OPEN_TIMEOUT_S, bench.remaining()), before)
            if settings is not None:
                await client.choose(settings[i], min(OPEN_TIMEOUT_S, bench.remaining()))
        except Exception as err:  # a refused connection, a timeout: this session never got to press Train
            client.record.errors.append(f"could not open the page: {type(err).__name__}: {err}")

    await asyncio.gather(*(open_one(i, c) for i, c in enumerate(clients)))
    return clients


async def _class_run(bench: Bench, clients: list[Client], finish_timeout: float) -> None:
    """Clicks spread at random over CLICK_WINDOW_S, then every session waits for its final status."""
    rng = random.Random(bench.seed)
    ready = [c for c in clients if c.record.page_ready_at is not None and not c.record.errors]
    offsets = sorted(rng.uniform(0, CLICK_WINDOW_S) for _ in ready)
    rng.shuffle(ready)
    start = bench.clock()

    async def press(client: Client, offset: float) -> None:
        await asyncio.sleep(max(0.0, start + offset - bench.clock()))
        await client.click()
        try:
            await client.finish(max(1.0, start + finish_timeout - bench.clock()))
        except TimeoutError as err:
            client.record.errors.append(str(err))

    await asyncio.gather(*(press(c, o) for c, o in zip(ready, offsets, strict=True)))


def _phase_result(clients: list[Client], server: Server, extra: dict[str, Any]) -> dict[str, Any]:
    records = [c.record for c in clients]
    return {
        **extra,
        "sessions": [{"record": asdict(r), **r.summary()} for r in records],
        "memory": getattr(server, "stopped", {}),
        "loadavg_end": loadavg(),
    }


async def scenario_a(bench: Bench) -> dict[str, Any]:
    result: dict[str, Any] = {"loadavg_start": loadavg()}
    bench.progress("(a) lone run: fresh server")
    with bench.server() as server:
        warm = await _warm_up(bench, server.port)
        bench.progress("(a) lone run: one session trains the default preset")
        lone = await _open_all(bench, server.port, ["lone"], None)
        try:
            await _class_run_single(bench, lone[0])
        finally:
            await _close_all(lone)
    result["lone"] = _phase_result(lone, server, {"warmup": warm, "server_ready_s": server.ready_s})
    bench.progress(f"(a) class: fresh server, {bench.sessions} sessions open the page")
    with bench.server(class_queue(bench)) as server:
        warm = await _warm_up(bench, server.port)
        names = [f"s{i + 1:02d}" for i in range(bench.sessions)]
        clients = await _open_all(bench, server.port, names, None)
        try:
            bench.progress(f"(a) class: {bench.sessions} sessions press Train within {CLICK_WINDOW_S:.0f} s")
            await _class_run(bench, clients, bench.remaining())
            await _keep(bench, server)
        finally:
            await _close_all(clients)
    result["class"] = _phase_result(clients, server, {"warmup": warm, "server_ready_s": server.ready_s})
    result["targets"] = targets_a(result)
    return result


async def _class_run_single(bench: Bench, client: Client) -> None:
    if client.record.errors:
        return
    await client.click()
    try:
        await client.finish(min(600.0, bench.remaining()))
    except TimeoutError as err:
        client.record.errors.append(str(err))


async def _keep(bench: Bench, server: Server) -> None:
    if bench.keep_server:
        bench.progress(f"--keep-server: http://127.0.0.1:{server.port}/{PAGE_URL} until the global timeout or Ctrl-C")
        await asyncio.sleep(bench.remaining(reserve=30.0))


def tiny_variants(n: int) -> list[dict[str, int]]:
    """n distinct settings of the Tiny preset, each a short run (one epoch on 500 or 1,000 reviews), none
    equal to the preset itself (which the warm-up trains), drawn from the grid with a fixed seed so small
    and larger models are both in the class. Keys are the page's control keys after the preset's prefix."""
    grid = itertools.product((500, 1000), (4, 8, 32, 48, 64, 96), (32, 64, 128, 256))
    chosen = [{"train": t, "units": u, "batch_size": b, "epochs": 1} for t, u, b in grid]
    if n > len(chosen):
        raise ValueError(f"at most {len(chosen)} distinct variants")
    return random.Random(1).sample(chosen, n)


def variant_label(settings: dict[str, Any]) -> str:
    """ "500 reviews, 8 units, batch 64, 1 epoch" (short)."""
    if not settings:
        return "Tiny preset"
    if "train" not in settings:  # a Gradient lab variant: cell, units, seed
        return " ".join(f"{value}" if key == "cell" else f"{key} {value}" for key, value in settings.items())
    return f"{settings['train']} rev {settings['units']} u b{settings['batch_size']} {settings['epochs']} ep"


def class_queue(bench: Bench) -> dict[str, str]:
    """The setting for a queue that holds the whole class (the default, 8 runs waiting, turns most of a class of 30
    distinct runs away with "the queue is full": a cap against one visitor's script, measured in tests)."""
    return {"RNN_PLAYGROUND_QUEUE": str(max(8, bench.sessions))}


async def scenario_b(bench: Bench) -> dict[str, Any]:
    result: dict[str, Any] = {"loadavg_start": loadavg()}
    variants = tiny_variants(bench.sessions)
    bench.progress(f"(b) fresh server, {bench.sessions} sessions open the page and pick distinct Tiny settings")
    with bench.server(class_queue(bench)) as server:
        warm = await _warm_up(bench, server.port)
        names = [f"s{i + 1:02d}" for i in range(bench.sessions)]
        clients = await _open_all(bench, server.port, names, variants)
        try:
            bench.progress(f"(b) {bench.sessions} sessions press Train within {CLICK_WINDOW_S:.0f} s")
            await _class_run(bench, clients, bench.remaining())
            await _keep(bench, server)
        finally:
            await _close_all(clients)
    result["class"] = _phase_result(clients, server, {"warmup": warm, "server_ready_s": server.ready_s})
    result["targets"] = targets_b(result)
    return result


# ----------------------------------------------------------------------------- the room scenario

SEEDED_TOTAL = 300  # the board measured again with this many runs (the class's plus copies of them)
REFRESH_WINDOW_S = 26.0  # board fragment reruns timed per count (about five refreshes of app_pages/board.py)
BOARD_WAIT_S = 90.0  # for the last run to reach the database and the board
ROOM_FINISH_S = 420.0  # for the class's last final status (a session that never gets one is reported, not awaited)


def lab_variants(n: int) -> list[dict[str, Any]]:
    """n distinct settings of the Gradient lab's Tiny preset (cell x units x seed, seed 0 being the preset's own,
    which the warm-up trains), drawn with a fixed seed: the board then has a knob that mattered."""
    grid = itertools.product(("SimpleRNN", "LSTM", "GRU"), (4, 8, 16, 32, 64), (1, 2, 3, 4))
    chosen = [{"cell": cell, "units": units, "seed": seed} for cell, units, seed in grid]
    if n > len(chosen):
        raise ValueError(f"at most {len(chosen)} distinct variants")
    return random.Random(1).sample(chosen, n)


def appearance_delays(
    recorded: list[tuple[float, str]], finals: dict[str, float], counts: list[tuple[float, int]]
) -> list[dict[str, Any]]:
    """Per recorded run (oldest first: (recorded at, nickname) on the bench's clock): seconds from its session's
    final status to its row in the database and to the first board run that showed it. The board lists a room's
    runs oldest first and nothing is hidden, so the k-th run is on a board that shows k runs or more."""
    out = []
    for k, (at, nickname) in enumerate(recorded, start=1):
        end = finals.get(nickname)
        shown = next((t for t, n in counts if n >= k), None)
        out.append(
            {
                "nickname": nickname,
                "recorded_s": None if end is None else at - end,
                "shown_s": None if end is None or shown is None else shown - end,
            }
        )
    return out


def refresh_seconds(samples: list[tuple[float, float]], since: float) -> list[float]:
    """The fragment reruns (request -> done) that finished after `since`."""
    return [seconds for t, seconds in samples if t >= since]


def database_bytes(folder: Path) -> int:
    """The SQLite store on disk: the database file with its write-ahead log."""
    return sum(p.stat().st_size for p in folder.glob(f"{SQLITE_FILE}*") if p.is_file())


def seed_runs(store: RoomStore, room: Room, runs: list[StoredRun], total: int) -> int:
    """Copies of the class's runs (curves, settings, scores) under new nicknames until the room holds `total`."""
    added = 0
    for k in range(len(runs), total):
        run = runs[k % len(runs)]
        entry = RunEntry(
            run.page,
            run.label,
            run.params,
            run.score,
            run.metric,
            run.lower_is_better,
            run.curves,
            run.status,
            run.seconds,
            run.settings,
        )
        store.add_run(room, f"{run.nickname}-{k}", entry, f"bench-seed-{k}")
        added += 1
    return added


async def _open_board(bench: Bench, port: int) -> tuple[list[Client], str]:
    """The teacher presses Home's "Start a class", reads the join link, opens the board; a projector session
    opens the join link without a nickname. Both stay on the board (its fragment reruns every few seconds)."""
    timeout = min(OPEN_TIMEOUT_S, bench.remaining())
    teacher = Client(port, "teacher", bench.clock, GRADIENT_LAB)
    projector = Client(port, "projector", bench.clock, GRADIENT_LAB)
    await teacher.connect()
    await teacher.navigate("", "", timeout)  # Home, the app's default page
    await teacher.rerun_and_wait("Home with the class's links", timeout, trigger="room:start")
    code = next((c for text in reversed(teacher.record.codes) if (c := join_code(text))), None)
    if code is None:
        raise RuntimeError("Home showed no join link after 'Start a class'")
    await teacher.navigate("board", f"room={code}", timeout)
    await projector.connect()
    await projector.navigate("board", f"room={code}", timeout)
    return [teacher, projector], code


async def _until(bench: Bench, condition: Callable[[], Awaitable[bool]], limit: float) -> bool:
    deadline = bench.clock() + min(limit, bench.remaining())
    while bench.clock() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.5)
    return False


async def _measure_board(
    bench: Bench, server: Server, cache: Path, code: str, clients: list[Client], boards: list[Client]
) -> dict[str, Any]:
    """Every run in the store (counted through core.rooms' store API on the server's database file), each
    run's way to the board, board refreshes with the class's runs and with SEEDED_TOTAL, size and RSS."""
    store = RoomStore(
        make_engine(f"sqlite:///{cache / SQLITE_FILE}"),
        RoomSettings(runs_per_session_minute=10_000, max_runs_per_room=100_000),
    )
    teacher, projector = boards
    finished = sum(1 for c in clients if c.record.final_kind in ("success", "warning"))
    try:
        room = await asyncio.to_thread(store.room, code)
        if room is None:
            raise RuntimeError("the room is not in the server's database")
        runs: list[StoredRun] = []

        async def all_recorded() -> bool:
            nonlocal runs
            runs = await asyncio.to_thread(store.runs, room)
            return len(runs) >= finished

        await _until(bench, all_recorded, BOARD_WAIT_S)

        async def on_board(n: int) -> bool:
            counts = projector.record.board_counts
            return bool(counts) and counts[-1][1] >= n

        await _until(bench, lambda: on_board(len(runs)), BOARD_WAIT_S)
        offset = time.time() - bench.clock()  # database times are wall-clock seconds
        finals = {c.record.nickname: c.record.final_at for c in clients if c.record.final_at is not None}
        recorded = [(r.created_at - offset, r.nickname) for r in runs]
        out: dict[str, Any] = {
            "finished": finished,
            "recorded": len(runs),
            "appearance": appearance_delays(recorded, finals, projector.record.board_counts),
            "added_toast_s": [
                c.record.added_at - c.record.final_at
                for c in clients
                if c.record.added_at is not None and c.record.final_at is not None
            ],
        }
        counts: dict[str, Any] = {}
        for target in (len(runs), SEEDED_TOTAL):
            if target > len(runs) and not runs:
                break  # nothing recorded to copy: the class's failure is reported above
            if target > len(runs):
                bench.progress(f"(room) seeding {target - len(runs)} more runs through the store")
                t = bench.clock()
                await asyncio.to_thread(seed_runs, store, room, runs, target)
                out["seed_s"] = bench.clock() - t
                await _until(bench, lambda target=target: on_board(target), BOARD_WAIT_S)
            since = bench.clock()
            bench.progress(f"(room) timing board refreshes with {target} runs for {REFRESH_WINDOW_S:.0f} s")
            await asyncio.sleep(min(REFRESH_WINDOW_S, bench.remaining()))
            sample = server.sampler.timeline[-1] if server.sampler and server.sampler.timeline else None
            counts[str(target)] = {
                "runs": len(await asyncio.to_thread(store.runs, room)),
                "projector_s": refresh_seconds(projector.record.fragment_seconds, since),
                "teacher_s": refresh_seconds(teacher.record.fragment_seconds, since),
                "database_bytes": database_bytes(cache),
                "rss_total_mb": sample[1] if sample else None,
                "rss_server_mb": sample[2] if sample else None,
            }
        out["boards"] = counts
        return out
    finally:
        store.close()


async def _lab_class(bench: Bench, variants: list[dict], in_room: bool) -> dict[str, Any]:
    """One fresh server with its own cache folder (so its own rooms database): the class trains its Tiny Gradient
    lab variants, each session first joining the teacher's room through its join link when `in_room`."""
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=bench.log_dir))
    names = [f"s{i + 1:02d}" for i in range(bench.sessions)]
    clients: list[Client] = []
    boards: list[Client] = []
    extra: dict[str, Any] = {}
    settings = {"RNN_PLAYGROUND_CACHE": str(cache), **class_queue(bench)}
    with bench.server(settings) as server:
        warm = await _warm_up(bench, server.port, GRADIENT_LAB)
        try:
            join = None
            if in_room:
                boards, code = await _open_board(bench, server.port)

                async def join(client: Client) -> None:
                    await client.join_room(code, client.record.name, min(OPEN_TIMEOUT_S, bench.remaining()))

            where = "join the room, then open" if in_room else "open"
            bench.progress(f"(room) {bench.sessions} sessions {where} the Gradient lab and pick distinct Tiny settings")
            clients = await _open_all(bench, server.port, names, variants, GRADIENT_LAB, join)
            bench.progress(f"(room) {bench.sessions} sessions press Train within {CLICK_WINDOW_S:.0f} s")
            await _class_run(bench, clients, min(ROOM_FINISH_S, bench.remaining()))
            if in_room:
                extra["board"] = await _measure_board(bench, server, cache, code, clients, boards)
            await _keep(bench, server)
        finally:
            await _close_all([*clients, *boards])
    phase = _phase_result(clients, server, {"warmup": warm, "server_ready_s": server.ready_s, **extra})
    phase["board_sessions"] = [{"record": asdict(b.record)} for b in boards]
    return phase


async def scenario_room(bench: Bench) -> dict[str, Any]:
    result: dict[str, Any] = {"loadavg_start": loadavg()}
    variants = lab_variants(bench.sessions)
    bench.progress("(room) without a room: fresh server")
    result["no_room"] = await _lab_class(bench, variants, in_room=False)
    bench.progress("(room) in one room: fresh server, the teacher starts a class")
    result["room"] = await _lab_class(bench, variants, in_room=True)
    result["targets"] = targets_room(result)
    return result


# ----------------------------------------------------------------------------- figures and targets


def percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]

    return {"n": len(ordered), "min": ordered[0], "p50": at(0.5), "p90": at(0.9), "max": ordered[-1]}


def _values(sessions: list[dict], name: str) -> list[float]:
    return [s[name] for s in sessions if s.get(name) is not None]


def _exceptions(phase: dict) -> int:
    return sum(len(s["record"]["exceptions"]) for s in phase["sessions"])


def _target(name: str, passed: bool, measured: str) -> dict[str, Any]:
    return {"target": name, "pass": bool(passed), "measured": measured}


def run_seconds(phase: dict) -> float | None:
    """The shared run's wall time as the class saw it: first click -> last session shown the final status."""
    records = [s["record"] for s in phase["sessions"]]
    clicks = [r["click_at"] for r in records if r["click_at"] is not None]
    finals = [r["final_at"] for r in records if r["final_at"] is not None]
    if not clicks or not finals or len(finals) < len(clicks):
        return None
    return max(finals) - min(clicks)


def targets_a(result: dict) -> list[dict[str, Any]]:
    klass, lone = result["class"], result["lone"]
    sessions = klass["sessions"]
    losses = _values(sessions, "first_loss_s")
    clicked = [s for s in sessions if s["record"]["click_at"] is not None]
    worst = max(losses) if losses else float("nan")
    class_s, lone_s = run_seconds(klass), run_seconds(lone)
    ratio = class_s / lone_s if class_s and lone_s else None
    peak = klass["memory"].get("peak_total_mb", float("nan"))
    exceptions = _exceptions(klass) + _exceptions(lone)
    finished = sum(1 for s in sessions if s["record"]["final_kind"] == "success")
    return [
        _target(
            f"(a) every session's first loss <= {FIRST_LOSS_TARGET_S:.0f} s after its click",
            len(losses) == len(clicked) == len(sessions) and worst <= FIRST_LOSS_TARGET_S,
            f"worst {worst:.1f} s; {len(losses)}/{len(sessions)} sessions saw a loss",
        ),
        _target(
            f"(a) the run finishes <= {FINISH_RATIO_TARGET}x a lone run",
            ratio is not None and ratio <= FINISH_RATIO_TARGET,
            f"class {_fmt(class_s)} s vs lone {_fmt(lone_s)} s = {_fmt(ratio, 2)}x",
        ),
        _target(
            f"(a) peak RSS, server + workers <= {RSS_TARGET_MB:.0f} MB",
            peak <= RSS_TARGET_MB,
            f"{peak:.0f} MB (lone run: {lone['memory'].get('peak_total_mb', float('nan')):.0f} MB)",
        ),
        _target("(a) zero exceptions", exceptions == 0, f"{exceptions} exception element(s)"),
        _target("(a) every session finished with success", finished == len(sessions), f"{finished}/{len(sessions)}"),
    ]


def targets_b(result: dict) -> list[dict[str, Any]]:
    klass = result["class"]
    sessions = klass["sessions"]
    peak = klass["memory"].get("peak_total_mb", float("nan"))
    exceptions = _exceptions(klass)
    finished = sum(1 for s in sessions if s["record"]["final_kind"] == "success")
    errors = sum(len(s["record"]["errors"]) for s in sessions)
    return [
        _target(f"(b) peak RSS, server + workers <= {RSS_TARGET_MB:.0f} MB", peak <= RSS_TARGET_MB, f"{peak:.0f} MB"),
        _target("(b) zero exceptions", exceptions == 0, f"{exceptions} exception element(s)"),
        _target(
            "(b) every session finished with success, no errors",
            finished == len(sessions) and errors == 0,
            f"{finished}/{len(sessions)} finished, {errors} error(s)",
        ),
    ]


def _finished_ok(phase: dict) -> int:
    return sum(1 for s in phase["sessions"] if s["record"]["final_kind"] == "success")


def targets_room(result: dict) -> list[dict[str, Any]]:
    no_room, room = result["no_room"], result["room"]
    board = room.get("board", {})
    shown = [a for a in board.get("appearance", []) if a["shown_s"] is not None]
    ok = [_finished_ok(no_room), _finished_ok(room)]
    exceptions = _exceptions(no_room) + _exceptions(room)
    return [
        _target(
            "(room) every session finished with success, with and without a room",
            ok == [len(no_room["sessions"]), len(room["sessions"])],
            f"without {ok[0]}/{len(no_room['sessions'])}, in the room {ok[1]}/{len(room['sessions'])}",
        ),
        _target(
            "(room) every finished run recorded in the store",
            bool(board) and board["recorded"] == board["finished"] == ok[1],
            f"{board.get('recorded', 0)} recorded of {board.get('finished', 0)} finished",
        ),
        _target(
            "(room) every recorded run shown on the board",
            bool(board) and len(shown) == board["recorded"],
            f"{len(shown)}/{board.get('recorded', 0)}",
        ),
        _target("(room) zero exceptions", exceptions == 0, f"{exceptions} exception element(s)"),
    ]


def room_cost(no_room: dict, room: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(figure, without a room, in a room, ratio) for the same class on two fresh servers."""

    def p(phase: dict, name: str, q: str) -> float | None:
        stats = percentiles(_values(phase["sessions"], name))
        return stats[q] if stats else None

    def memory(phase: dict, *path: str) -> float | None:
        value: Any = phase.get("memory", {})
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return value

    rows = [
        ("page open (connect -> Train drawn; in a room incl. joining) s", "page_open_s", "p50"),
        ("finish: click -> final status, p50 s", "finish_s", "p50"),
        ("finish: click -> final status, p90 s", "finish_s", "p90"),
    ]
    out = [(label, p(no_room, name, q), p(room, name, q)) for label, name, q in rows]
    out.append(("run wall time (first click -> last final) s", run_seconds(no_room), run_seconds(room)))
    for label, path in (
        ("peak RSS, server + workers MB", ("peak_total_mb",)),
        ("peak RSS, server MB", ("peak_by_kind_mb", "server")),
        ("peak RSS, workers together MB", ("peak_by_kind_mb", "worker")),
        ("server process CPU s", ("cpu_seconds_by_kind", "server")),
    ):
        out.append((label, memory(no_room, *path), memory(room, *path)))
    return [(label, a, b, b / a if a and b is not None else None) for label, a, b in out]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# ----------------------------------------------------------------------------- printing


def _stats_line(label: str, values: list[float]) -> str:
    p = percentiles(values)
    if p is None:
        return f"  {label:<34} (none)"
    return (
        f"  {label:<34} n={p['n']:<3} min {p['min']:6.1f}  p50 {p['p50']:6.1f}  p90 {p['p90']:6.1f}  "
        f"max {p['max']:6.1f}"
    )


def _session_row(s: dict) -> str:
    r = s["record"]
    places = "→".join(str(p) for p in _compress(s["queue_places"])) or "-"
    return (
        f"  {r['name']:<8} {r['variant'][:30]:<30} loss {_fmt(s['first_loss_s']):>6}  wait {_fmt(s['wait_s']):>6}  "
        f"finish {_fmt(s['finish_s']):>6}  places {places:<12} {r['final_kind'] or 'NO FINAL'}"
        + (f"  errors: {'; '.join(r['errors'])[:80]}" if r["errors"] else "")
    )


def _compress(places: list[int]) -> list[int]:
    """First and last place and a few in between (a long queue shows many)."""
    if len(places) <= 4:
        return places
    return [places[0], places[len(places) // 3], places[2 * len(places) // 3], places[-1]]


def _memory_lines(memory: dict) -> list[str]:
    if not memory:
        return ["  memory: (no samples)"]
    kinds = ", ".join(f"{k} {v:.0f}" for k, v in memory.get("peak_by_kind_mb", {}).items())
    single = ", ".join(f"{k} {v:.0f}" for k, v in memory.get("peak_single_process_mb", {}).items())
    cpu = ", ".join(f"{k} {v:.0f} s" for k, v in memory.get("cpu_seconds_by_kind", {}).items())
    return [
        f"  peak RSS total {memory.get('peak_total_mb', 0):.0f} MB at t={memory.get('peak_total_at_s', 0):.0f} s; "
        f"peak per kind (MB): {kinds}; biggest single process (MB): {single}",
        f"  worker processes seen at once: {memory.get('max_worker_processes', 0)}; process CPU: {cpu}; "
        f"max 1-min load {memory.get('max_load_1min', 0):.1f}",
    ]


def format_phase(title: str, phase: dict, sort_by: str) -> list[str]:
    sessions = phase["sessions"]
    lines = [f"{title}: {len(sessions)} session(s), server ready in {phase.get('server_ready_s', 0):.1f} s"]
    warm = phase.get("warmup")
    if warm:
        lines.append(
            f"  warm-up (Tiny preset, separate session, first run here): first loss {_fmt(warm['first_loss_s'])} s, "
            f"finish {_fmt(warm['finish_s'])} s, {warm['record']['final_kind'] or 'no final status'}"
        )
    lines.append(_stats_line("page open (connect -> Train drawn) s", _values(sessions, "page_open_s")))
    lines.append(_stats_line("first loss after click s", _values(sessions, "first_loss_s")))
    lines.append(_stats_line("wait: click -> training started s", _values(sessions, "wait_s")))
    lines.append(_stats_line("finish: click -> final status s", _values(sessions, "finish_s")))
    lines.append(_stats_line("run's own clock at first loss shown s", _values(sessions, "run_elapsed_at_first_loss_s")))
    lines.append(_stats_line("live panel redraw interval s", _values(sessions, "redraw_s")))
    shown = [s["record"]["shown_training_seconds"] for s in sessions if s["record"]["shown_training_seconds"]]
    if shown:
        lines.append(f"  page's own 'Training time' metric: {min(shown):.0f}-{max(shown):.0f} s")
    run_s = run_seconds(phase)
    lines.append(f"  run wall time (first click -> last final status): {_fmt(run_s)} s")
    kinds: dict[str, int] = {}
    for s in sessions:
        kind = s["record"]["final_kind"] or "none"
        kinds[kind] = kinds.get(kind, 0) + 1
    lines.append("  final status: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    exc = [e for s in sessions for e in s["record"]["exceptions"]]
    errs = [e for s in sessions for e in s["record"]["errors"]]
    lines.append(f"  exceptions {len(exc)}, errors {len(errs)}" + (f": {(exc + errs)[0][:150]}" if exc or errs else ""))
    lines += _memory_lines(phase.get("memory", {}))
    if any(s["queue_places"] for s in sessions):
        longest = max((s["longest_queue"] or 0) for s in sessions)
        queued = sum(1 for s in sessions if s["queue_places"])
        lines.append(
            f"  queue: {queued} session(s) saw a place, longest queue shown {longest}; places seen (first→last):"
        )
        cells = [f"{s['record']['name']} {'→'.join(map(str, _compress(s['queue_places']))) or '-'}" for s in sessions]
        for i in range(0, len(cells), 6):
            lines.append("    " + " | ".join(cells[i : i + 6]))
    worst = sorted(sessions, key=lambda s: -(s.get(sort_by) if s.get(sort_by) is not None else 1e9))[:4]
    lines.append(f"  worst sessions by {sort_by}:")
    lines += [_session_row(s) for s in worst]
    lines.append(f"  load average at end: {' '.join(f'{x:.2f}' for x in phase['loadavg_end'])}")
    return lines


def format_room(scenario: dict) -> list[str]:
    """The room scenario: both classes, the board's figures, and the room's cost beside the class without it."""
    lines = [
        "Scenario (room): every session trains its own Tiny Gradient lab run (cell x units x seed), on a fresh "
        "server without a room, then on another in one room"
    ]
    if "no_room" in scenario:
        lines += format_phase("  without a room", scenario["no_room"], "finish_s")
    if "room" not in scenario:
        return lines
    room = scenario["room"]
    lines += format_phase("  in one room (each session joined by the join link and a nickname first)", room, "finish_s")
    board = room.get("board")
    if not board:
        return [*lines, "  (no board figures)"]
    appearance = board["appearance"]
    lines.append(f"  runs recorded in the store: {board['recorded']} of {board['finished']} finished")
    lines.append(_stats_line("run end -> 'Added to the board' toast s", board["added_toast_s"]))
    lines.append(_stats_line("run end -> row in the database s", _values(appearance, "recorded_s")))
    lines.append(_stats_line("run end -> on the projector's board s", _values(appearance, "shown_s")))
    for count, figures in board["boards"].items():
        lines.append(
            f"  with {figures['runs']} runs (counted {count}): database {figures['database_bytes'] / 1e6:.2f} MB, "
            f"RSS then: server {_fmt(figures['rss_server_mb'], 0)} MB, total {_fmt(figures['rss_total_mb'], 0)} MB"
        )
        for who in ("projector", "teacher"):
            milliseconds = [1000 * t for t in figures[f"{who}_s"]]
            lines.append(_stats_line(f"  board refresh, {who} ({count}) ms", milliseconds))
    if "seed_s" in board:
        lines.append(f"  seeding the runs up to {SEEDED_TOTAL} through the store took {board['seed_s']:.1f} s")
    if "no_room" in scenario:
        lines.append(f"  the room's cost: {'figure':<58} {'no room':>9} {'room':>9} {'ratio':>7}")
        for label, without, within, ratio in room_cost(scenario["no_room"], room):
            lines.append(f"    {label:<70} {_fmt(without):>9} {_fmt(within):>9} {_fmt(ratio, 2):>7}")
    return lines


def format_report(results: dict) -> str:
    backend = results.get("backend", "local")
    where = "one server" if backend == "local" else "one server training on a local Dask cluster of 2 workers"
    lines = ["", "=" * 100, f"Classroom bench: {results['sessions']} sessions on {where}", "=" * 100]
    lines.append(
        f"load average at start {' '.join(f'{x:.2f}' for x in results['loadavg_start'])}; "
        f"settings from the environment: {results['settings'] or 'defaults'}"
    )
    for name, scenario in results["scenarios"].items():
        lines.append("")
        if "error" in scenario:
            lines.append(f"Scenario ({name}) did not complete: {scenario['error']}")
        if name == "a" and "lone" in scenario:
            lines.append(f"Scenario (a): everyone presses Train on the default Sentiment preset ({DEFAULT_PRESET})")
            lines += format_phase("  lone run (fresh server)", scenario["lone"], "finish_s")
        if name == "a" and "class" in scenario:
            lines += format_phase(
                f"  class (fresh server, clicks within {CLICK_WINDOW_S:.0f} s)", scenario["class"], "first_loss_s"
            )
        if name == "b" and "class" in scenario:
            lines.append("Scenario (b): every session trains its own Tiny-preset variant (nothing shared)")
            lines += format_phase("  class", scenario["class"], "wait_s")
        if name == "room":
            lines += format_room(scenario)
        for t in scenario.get("targets", []):
            lines.append(f"  [{'PASS' if t['pass'] else 'FAIL'}] {t['target']}: {t['measured']}")
    lines.append("")
    lines.append(
        f"bench wall {results['wall_s']:.0f} s, bench process CPU {results['bench_cpu_s']:.0f} s; "
        f"load average at end {' '.join(f'{x:.2f}' for x in results['loadavg_end'])}"
    )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.monotonic()

    def clock() -> float:
        return time.monotonic() - t0

    def progress(text: str) -> None:
        print(f"[{clock():6.1f} s] {text}", flush=True)

    log_dir = Path(tempfile.mkdtemp(prefix="classroom-bench-"))
    bench = Bench(
        args.sessions,
        Path(args.data),
        args.port,
        args.keep_server,
        not args.no_warmup,
        args.seed,
        args.timeout,
        log_dir,
        clock,
        progress,
        args.backend,
    )
    settings = {k: v for k, v in os.environ.items() if k.startswith("RNN_PLAYGROUND_") and k != "RNN_PLAYGROUND_DATA"}
    results: dict[str, Any] = {
        "sessions": args.sessions,
        "backend": args.backend,
        "settings": settings,
        "loadavg_start": loadavg(),
        "warmup": bench.warmup,
        "seed": args.seed,
        "scenarios": {},
        "server_logs": str(log_dir),
    }
    chosen = ["a", "b"] if args.scenario == "both" else [args.scenario]
    runners = {"a": scenario_a, "b": scenario_b, "room": scenario_room}
    for name in chosen:
        runner = runners[name]
        try:
            results["scenarios"][name] = await runner(bench)
        except (TimeoutError, RuntimeError) as err:
            results["scenarios"][name] = {"error": str(err)}
            progress(f"scenario ({name}) stopped: {err}")
    results["wall_s"] = clock()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results["bench_cpu_s"] = usage.ru_utime + usage.ru_stime
    results["loadavg_end"] = loadavg()
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions (default 30)")
    parser.add_argument("--scenario", choices=("a", "b", "both", "room"), default="both")
    parser.add_argument("--port", type=int, default=None, help="server port (default: a free one)")
    parser.add_argument("--keep-server", action="store_true", help="leave each server up until the timeout")
    parser.add_argument("--no-warmup", action="store_true", help="no Tiny run before the measured sessions")
    parser.add_argument("--data", default=os.environ.get("RNN_PLAYGROUND_DATA", str(DEFAULT_DATA)))
    parser.add_argument("--seed", type=int, default=0, help="seed of the click times")
    parser.add_argument("--timeout", type=float, default=None, help="global limit in s (default 900 per scenario)")
    parser.add_argument("--json", default=None, help="write the raw numbers here")
    parser.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="where runs train: the app's own worker pool, or a local Dask cluster of 2 workers",
    )
    args = parser.parse_args(argv)
    if args.sessions < 1:
        parser.error("--sessions must be at least 1")
    if args.timeout is None:
        args.timeout = 900.0 * (2 if args.scenario in ("both", "room") else 1)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def terminate(signum, frame):  # a SIGTERM ends the bench like Ctrl-C: servers stopped, sockets closed
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    results = asyncio.run(run(args))
    print(format_report(results), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
        print(f"raw numbers: {args.json}")
    passed = all(t["pass"] for s in results["scenarios"].values() for t in s.get("targets", []))
    complete = all("error" not in s for s in results["scenarios"].values())
    return 0 if passed and complete else 1


if __name__ == "__main__":
    sys.exit(main())
