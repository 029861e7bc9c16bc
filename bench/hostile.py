"""A hostile visitor against the real app: the attacks of issue 22, replayed as a script would.

Each attack runs on a freshly started `streamlit run app.py` (127.0.0.1 only, a copy of the real
data folder plus the attack's files) and drives raw websocket sessions through Streamlit's own
protocol, reusing bench/classroom.py's session, client, server and RSS sampler. The attacker's
sessions connect from 127.0.0.2 (another client address; the honest session's is 127.0.0.1). While the attack
runs, an honest session trains the Sentiment Tiny preset; its time is compared with the same run
alone on its own fresh server. For each attack the bench prints: the server's and the workers'
peak RSS (MB, whole server life), the time from the attacker's action to the page's answer (the
refusal, or the run's end), what the page said, the outbound requests the server attempted, and
whether the honest run finished within 2x its lone time.

Outbound requests are counted, never sent: every server starts with HTTP(S)_PROXY pointing at a
counting stub on 127.0.0.1 that answers 403 (yfinance's curl and urllib honour it).

Uploads are replayed as the same bytes read through a typed path in the data folder: the page
hands both to the same parser (core.data.stocks.read_price_table) under the same size cap.

Attacks (issue 22's numbering; 3-7 are the run layer's):
  1 csv-columns   a 1.5 MB price CSV whose 200k-column header is "broken" by \\x1e every 150 names
  2 csv-rows      213k daily rows (3.7 MB) and a link with window 250, then three page reruns
  3 rehearsal     a link with every Sentiment control at its maximum: the idle worker must not rehearse it;
                  then the largest configuration admission lets through (memory controls shrunk from their
                  maxima one step at a time until Train is accepted; time controls at their least): the
                  worker's peak growth while it rehearses and trains it, against the server's estimate
  4 max-train     the same, Train pressed: admitted or refused, and the worker's growth
  5 stop          a long run: the time from Stop to the page's final word
  6 queue         12 sessions press Train on distinct Tiny variants at once
  7 held-models   6 sessions each keep a finished model; the server's growth
  8 ticker-links  20 sessions open ?page=stocks&ticker=... links; 3 sessions press Load on failing tickers
  9 cache-links   sessions opening Sentiment links with distinct vocabulary x length, Gradient lab T
 10 smaller       300-char and NUL typed paths, 5 MB of undatable rows, 5 MB in the Architectures field

    PYTHONPATH=. .venv/bin/python bench/hostile.py [--attacks 1,2,8,9,10] [--timeout 1500] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.WidgetStates_pb2 import WidgetState

from bench.classroom import (
    DEFAULT_DATA,
    PRESET_KEY,
    TINY_PREFIX,
    TINY_PRESET,
    WIDGET_KINDS,
    Client,
    PageSession,
    Server,
    tiny_variants,
    widget_key,
)
from bench.harness import free_port

HONEST_RATIO_TARGET = 2.0
RSS_TARGET_MB = 2500.0
OPEN_TIMEOUT_S = 180.0
RUN_TIMEOUT_S = 300.0
ATTACK_TIMEOUT_S = 240.0
ALL_ATTACKS = tuple(range(1, 11))
ATTACKER_ADDRESS = "127.0.0.2"  # loopback too (all of 127/8 is), but another client address for the server


# ----------------------------------------------------------------------------- attack files


def wide_csv() -> bytes:
    names = [f"col{i:06d}" for i in range(200_000)]
    header = "\x1e".join(",".join(names[i : i + 150]) for i in range(0, len(names), 150))
    return ("Date,Close," + header + "\n" + "\n".join(f"2020-01-{d:02d},1" for d in range(1, 29))).encode()


def long_csv(rows: int = 213_000) -> bytes:
    import pandas as pd

    days = pd.date_range("1440-01-01", periods=rows, freq="D")
    return ("Date,Close\n" + "\n".join(f"{d:%Y-%m-%d},{100 + i % 50}.25" for i, d in enumerate(days))).encode()


def undatable_csv(size: int = 4_900_000) -> bytes:
    row = "someday,12.5\n"
    return ("Date,Close\n" + row * (size // len(row))).encode()


def attack_data(base: Path) -> Path:
    """A copy of the real data folder's stocks and Shakespeare, with the attack files beside them."""
    root = base / "data"
    (root / "stocks").mkdir(parents=True)
    for name in ("SPY.csv",):
        if (DEFAULT_DATA / "stocks" / name).exists():
            shutil.copy(DEFAULT_DATA / "stocks" / name, root / "stocks" / name)
    if (DEFAULT_DATA / "imdb").is_dir():
        os.symlink(DEFAULT_DATA / "imdb", root / "imdb")
    (root / "stocks" / "WIDE.csv").write_bytes(wide_csv())
    (root / "stocks" / "LONG.csv").write_bytes(long_csv())
    (root / "stocks" / "UNDATABLE.csv").write_bytes(undatable_csv())
    return root


# ----------------------------------------------------------------------------- outbound requests, counted


class CountingProxy:
    """What the server would send out: every proxy request is counted (host kept) and answered 403."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[str] = []
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            line = await asyncio.wait_for(reader.readline(), 5)
            self.requests.append(line.decode("latin-1").strip()[:120])
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
        writer.close()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def environment(self) -> dict[str, str]:
        url = f"http://127.0.0.1:{self.port}"
        return {
            "HTTPS_PROXY": url,
            "https_proxy": url,
            "HTTP_PROXY": url,
            "http_proxy": url,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }


# ----------------------------------------------------------------------------- a session on any page


class AnyPage(PageSession):
    """A classroom PageSession for any page, keeping every widget's proto and every alert it was shown."""

    def __init__(self, name: str, page_url: str, query: str, clock: Callable[[], float]) -> None:
        super().__init__(name, clock)
        self.page_url, self.query_string = page_url, query
        self.protos: dict[str, Any] = {}
        self.alerts: list[tuple[str, str]] = []

    def rerun(self, trigger_key: str | None = None, fragment_id: str | None = None) -> bytes:
        state = ClientState(
            query_string=self.query_string, page_script_hash=self.page_script_hash, page_name=self.page_url
        )
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = True
        for value in self.values.values():
            state.widget_states.widgets.append(value)
        if trigger_key is not None:
            state.widget_states.widgets.append(WidgetState(id=self.widgets[trigger_key].id, trigger_value=True))
        self.record.reruns_sent += 1
        return BackMsg(rerun_script=state).SerializeToString()

    def _element(self, element, now: float) -> None:
        super()._element(element, now)
        kind = element.WhichOneof("type")
        if kind in WIDGET_KINDS:
            proto = getattr(element, kind)
            key = widget_key(proto.id)
            if key is not None:
                self.protos[key] = proto
        elif kind == "alert":
            label = {Alert.ERROR: "error", Alert.WARNING: "warning", Alert.INFO: "info", Alert.SUCCESS: "success"}
            self.alerts.append((label.get(element.alert.format, "alert"), element.alert.body[:240]))

    def maxima(self, prefix: str, skip: tuple[str, ...] = ("local", "preset", "seed")) -> dict[str, Any]:
        """Every numeric control under `prefix` at its largest value (what a max-size link sets)."""
        chosen: dict[str, Any] = {}
        for key, proto in self.protos.items():
            if not key.startswith(prefix) or any(part in key for part in skip):
                continue
            kind = self.widgets[key].kind
            if kind == "slider" and self.widgets[key].select_slider and proto.options:
                chosen[key] = proto.options[-1]
            elif (kind == "slider" and len(proto.default) == 1) or (kind == "number_input" and proto.has_max):
                chosen[key] = proto.max
        return chosen


class AttackerClient(Client):
    """A classroom client whose websocket comes from ATTACKER_ADDRESS: the attacker is another host than the
    honest student (whose 127.0.0.1 Streamlit reports as no address, so the queue tells them apart by session)."""

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self._ws = await connect(
            self.url,
            subprotocols=["streamlit"],
            max_size=2**26,
            open_timeout=60,
            ping_interval=None,
            close_timeout=5,
            local_addr=(ATTACKER_ADDRESS, 0),
        )
        self.record.connected_at = self.clock()
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._timers())]


class PageClient(AttackerClient):
    def __init__(self, port: int, name: str, clock: Callable[[], float], page_url: str, query: str = "") -> None:
        super().__init__(port, name, clock)
        self.session = AnyPage(name, page_url, query, clock)

    @property
    def page(self) -> AnyPage:
        return self.session  # type: ignore[return-value]

    async def open(self, timeout: float = OPEN_TIMEOUT_S) -> float:
        started = self.clock()
        await self.connect()
        before = self.session.full_runs_done
        await self.send(self.session.rerun())
        await self.wait_for(lambda: self.session.full_runs_done > before, timeout, f"{self.page.page_url} page")
        return self.clock() - started

    async def act(self, values: dict[str, Any], trigger: str | None = None, timeout: float = ATTACK_TIMEOUT_S) -> float:
        """Set controls (and press a button); the seconds until the page's run ends."""
        for key, value in values.items():
            self.session.set_value(key, value)
        self.page.alerts.clear()
        started = self.clock()
        await self.rerun_and_wait("page's answer", timeout, trigger)
        return self.clock() - started

    def said(self, kinds: tuple[str, ...] = ("error", "warning")) -> str:
        return " | ".join(body for kind, body in self.page.alerts if kind in kinds)[:300]


# ----------------------------------------------------------------------------- one attack on its own server


@dataclass
class Context:
    port: int
    data: Path
    proxy: CountingProxy
    clock: Callable[[], float]
    clients: list[Client] = field(default_factory=list)
    server: Server | None = None
    spec_dump: Path | None = None  # where the server pickles every new run's WorkSpec (RNN_PLAYGROUND_SPEC_DUMP)
    honest_done: asyncio.Event = field(default_factory=asyncio.Event)  # the honest session's run has ended

    def client(self, name: str, page_url: str, query: str = "") -> PageClient:
        client = PageClient(self.port, name, self.clock, page_url, query)
        self.clients.append(client)
        return client


Attack = Callable[[Context], Awaitable[dict[str, Any]]]


async def honest_run(port: int, clock: Callable[[], float], delay: float = 0.0) -> dict[str, Any]:
    client = Client(port, "honest", clock)
    try:
        await client.open_page(OPEN_TIMEOUT_S)
        await client.choose({})
        await asyncio.sleep(delay)
        await client.click()
        await client.finish(RUN_TIMEOUT_S)
    except Exception as err:
        client.record.errors.append(f"{type(err).__name__}: {err}")
    finally:
        await client.close()
    summary = client.record.summary()
    return {
        "finish_s": summary["finish_s"],
        "wait_s": summary["wait_s"],  # from the click to its training start: the time spent queued
        "first_place": summary["first_place"],
        "kind": client.record.final_kind,
        "errors": client.record.errors[:3],
    }


async def on_fresh_server(
    name: str, attack: Attack | None, data: Path, proxy: CountingProxy, log_dir: Path, clock: Callable[[], float]
) -> dict[str, Any]:
    dump = log_dir / f"specs-{name}" if name in SPEC_DUMP_ATTACKS else None
    env = {"RNN_PLAYGROUND_SPEC_DUMP": str(dump)} if dump is not None else None
    server = Server(free_port(), data, clock, log_dir, env=env)
    try:
        await asyncio.to_thread(server.start)
    except RuntimeError as err:
        return {"attack": name, "failed": f"the server did not start: {str(err)[-200:]}"}
    context = Context(server.port, data, proxy, clock, server=server, spec_dump=dump)
    proxy.requests.clear()
    result: dict[str, Any] = {"attack": name}
    try:
        if attack is None:
            result["honest"] = await honest_run(server.port, clock)
        else:
            attacked = asyncio.create_task(asyncio.wait_for(attack(context), ATTACK_TIMEOUT_S))
            honest = asyncio.create_task(honest_run(server.port, clock, delay=2.0))
            honest.add_done_callback(lambda _: context.honest_done.set())
            try:
                result.update(await attacked)
            except Exception as err:
                result["failed"] = f"{type(err).__name__}: {err}"[:300]
            result["honest"] = await honest
    finally:
        await asyncio.gather(*(c.close() for c in context.clients), return_exceptions=True)
        stopped = await asyncio.to_thread(server.stop)
    result["outbound"] = list(proxy.requests)
    peaks = stopped.get("peak_by_kind_mb", {})
    result["server_peak_mb"] = peaks.get("server")
    result["workers_peak_mb"] = peaks.get("worker")
    result["total_peak_mb"] = stopped.get("peak_total_mb")
    result["log_errors"] = stopped.get("log_errors", [])[:3]
    return result


# ----------------------------------------------------------------------------- the attacks


async def csv_columns(ctx: Context) -> dict[str, Any]:
    attacker = ctx.client("attacker", "stocks")
    await attacker.open()
    seconds = await attacker.act({"stocks:local": "stocks/WIDE.csv"}, trigger="stocks:load")
    return {"refusal_s": seconds, "page_said": attacker.said()}


async def csv_rows(ctx: Context) -> dict[str, Any]:
    attacker = ctx.client("attacker", "stocks", "page=stocks&0.window=250")
    await attacker.open()
    seconds = await attacker.act({"stocks:local": "stocks/LONG.csv"}, trigger="stocks:load")
    said = attacker.said()
    reruns = [await attacker.act({}) for _ in range(3)]
    return {"refusal_s": seconds, "page_said": said, "rerun_s": [round(s, 2) for s in reruns]}


async def _max_sentiment(ctx: Context) -> PageClient:
    attacker = ctx.client("attacker", "sentiment")
    await attacker.open()
    maxima = attacker.page.maxima("sentiment:")
    await attacker.act(maxima)
    return attacker


def _workers_mb(ctx: Context, since: float | None = None) -> float:
    """The workers' RSS now (the latest sample), or their peak since `since` (bench clock)."""
    sampler = ctx.server.sampler if ctx.server is not None else None
    if sampler is None:
        return 0.0
    sampler.sample()
    timeline = sampler.timeline
    if since is None:
        return timeline[-1][3] if timeline else 0.0
    return max((workers for t, _, _, workers in timeline if t >= since), default=0.0)


def _estimate_from_dump(folder: Path | None) -> tuple[float | None, str]:
    """The server's own estimate (MB) for the run it dumped, computed as admission does, and its config."""
    import pickle

    from core.engine.runs import MB, estimate_run_bytes

    specs = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime) if folder is not None else []
    if not specs:
        return None, ""
    payload = specs[-1].stat().st_size
    spec = pickle.loads(specs[-1].read_bytes())
    config = next((a for a in spec.args if hasattr(a, "footprint")), None)
    if config is None:
        return None, ""
    data, model = config.data, config.model
    words = (
        f"vocabulary {data.num_words}, length {data.max_length}, embedding {data.embedding_dim}, "
        f"{model.layers} x {model.cell} {model.units}{' bidirectional' if model.bidirectional else ''}, "
        f"batch {config.train.batch_size}, epochs {config.train.epochs}, {data.train_size} training reviews"
    )
    return estimate_run_bytes(config, payload) / MB, words


def _step_down(page: AnyPage, key: str) -> bool:
    """Move one control a step below its current value (select sliders by their options); False at its least."""
    proto, widget = page.protos.get(key), page.widgets.get(key)
    if proto is None or widget is None:
        return False
    current = page.values.get(widget.id)
    if widget.kind == "checkbox":
        on = current.bool_value if current is not None else bool(getattr(proto, "default", False))
        page.set_value(key, False)
        return on
    if widget.kind == "slider" and widget.select_slider:
        options = list(proto.options)
        now = current.string_array_value.data[0] if current is not None else options[-1]
        index = options.index(now) if now in options else len(options) - 1
        if index == 0:
            return False
        page.set_value(key, options[index - 1])
        return True
    now = (current.double_array_value.data[0] if widget.kind == "slider" else current.double_value) if current else 0
    lowest = proto.min
    if now <= lowest:
        return False
    step = max(proto.step, (now - lowest) / 4)  # a quarter of the way down: few presses
    page.set_value(key, max(lowest, now - step - (now - step - lowest) % proto.step))
    return True


# Shrunk one step at a time, in turn: the model's first (its activations dominate); the data's once those are least.
MEMORY_KNOBS = (("batch_size", "units", "layers", "bidirectional"), ("emb", "maxlen", "vocab"))


def _shrink_one(page: AnyPage, prefix: str, turn: int) -> bool:
    """Shrink the next memory control that still can (the model's in turn, then the data's)."""
    for group in MEMORY_KNOBS:
        for offset in range(len(group)):
            if _step_down(page, f"{prefix}:{group[(turn + offset) % len(group)]}"):
                return True
    return False


async def _largest_admitted_sentiment(ctx: Context, attacker: PageClient) -> dict[str, Any]:
    """From the maxima, shrink the memory controls (one step each, in turn) until Train is accepted, with
    the time controls at their least (they do not change memory): the largest configuration admitted here."""
    prefix = next(k.rsplit(":", 1)[0] for k in attacker.page.widgets if k.endswith(":units"))
    least = {f"{prefix}:epochs": 1, f"{prefix}:train": 500, f"{prefix}:test": 100, f"{prefix}:bidirectional": True}
    await attacker.act({k: v for k, v in least.items() if k in attacker.page.widgets})
    baseline, started = _workers_mb(ctx), ctx.clock()
    refusals, turn = 0, 0
    dumped = len(list(ctx.spec_dump.glob("*.pkl"))) if ctx.spec_dump is not None and ctx.spec_dump.exists() else 0
    while refusals < 40:
        await attacker.act({}, trigger="sentiment:train")
        said = attacker.said(("error",))
        if "needs about" not in said and "would train for" not in said:
            break  # accepted (the server dumped its spec)
        refusals += 1
        if not _shrink_one(attacker.page, prefix, turn):
            return {"admitted": "nothing admitted", "refusals_before": refusals}
        turn += 1
    admitted_at, shown = ctx.clock(), {body for _, body in attacker.page.alerts}

    def ended() -> bool:
        return any(k in ("success", "warning", "error") and b not in shown for k, b in attacker.page.alerts)

    with contextlib.suppress(TimeoutError):  # it trains one short epoch, validates and scores
        await attacker.wait_for(ended, 100, "admitted run")
    finished = any(k == "success" and b not in shown for k, b in attacker.page.alerts)
    dumps_now = len(list(ctx.spec_dump.glob("*.pkl"))) if ctx.spec_dump is not None and ctx.spec_dump.exists() else 0
    if not finished:
        await attacker.send(attacker.session.rerun(trigger_key="sentiment:stop"))
        await asyncio.sleep(5)
    growth = _workers_mb(ctx, since=started) - baseline
    estimate, words = _estimate_from_dump(ctx.spec_dump)
    return {
        "admitted": words,
        "refusals_before": refusals,
        "admitted_run_s": round(ctx.clock() - admitted_at, 1),
        "admitted_run_finished": finished,
        "admitted_run_dumped": dumps_now > dumped,
        "estimate_mb": None if estimate is None else round(estimate),
        "worker_growth_mb": round(growth),  # rehearsal and run together, from the worker's idle size
        "estimate_covers_growth": None if estimate is None else estimate >= growth,
    }


async def rehearsal(ctx: Context) -> dict[str, Any]:
    attacker = await _max_sentiment(ctx)
    with contextlib.suppress(TimeoutError):  # the worker's growth is measured idle: after the honest run
        await asyncio.wait_for(ctx.honest_done.wait(), RUN_TIMEOUT_S)
    await asyncio.sleep(3)
    before, started = _workers_mb(ctx), ctx.clock()
    await attacker.act({})  # the page shows the max-size request again to an idle worker
    await asyncio.sleep(20)  # an idle worker would rehearse it now, if admission let it
    refused_growth = _workers_mb(ctx, since=started) - before
    said = attacker.said()
    result = {"refusal_s": None, "page_said": said, "max_size_rehearsal_worker_growth_mb": round(refused_growth)}
    result.update(await _largest_admitted_sentiment(ctx, attacker))
    return result


async def max_train(ctx: Context) -> dict[str, Any]:
    attacker = await _max_sentiment(ctx)
    seconds = await attacker.act({}, trigger="sentiment:train")
    await asyncio.sleep(40)
    return {"refusal_s": seconds, "page_said": attacker.said(("error", "warning", "info"))}


async def _long_tiny(ctx: Context) -> PageClient:
    """The Tiny preset with its epochs and training reviews at their maxima: admitted, and long."""
    attacker = ctx.client("attacker", "sentiment")
    await attacker.open()
    await attacker.act({PRESET_KEY: TINY_PRESET})
    maxima = attacker.page.maxima(TINY_PREFIX)
    await attacker.act({k: v for k, v in maxima.items() if k.endswith((":epochs", ":train"))})
    return attacker


async def stop_run(ctx: Context) -> dict[str, Any]:
    attacker = await _long_tiny(ctx)
    attacker.record.click_at = ctx.clock()  # the progress texts are read from the click on
    await attacker.act({}, trigger="sentiment:train")
    with contextlib.suppress(TimeoutError):  # queued behind the honest run first, perhaps
        await attacker.wait_for(lambda: "Training" in attacker.record.phases, 200, "training phase")
    await asyncio.sleep(10)
    attacker.page.alerts.clear()
    started = ctx.clock()
    await attacker.send(attacker.session.rerun(trigger_key="sentiment:stop"))
    with contextlib.suppress(TimeoutError):
        await attacker.wait_for(
            lambda: any(k in ("warning", "success", "error") and "review" not in b for k, b in attacker.page.alerts),
            120,
            "stopped run",
        )
    return {"refusal_s": ctx.clock() - started, "page_said": attacker.said(("error", "warning", "info"))}


async def _tiny_class(ctx: Context, n: int, finish: bool) -> list[Client]:
    clients = [AttackerClient(ctx.port, f"class-{i}", ctx.clock) for i in range(n)]
    ctx.clients.extend(clients)
    variants = tiny_variants(n)

    async def one(client: Client, settings: dict) -> None:
        with contextlib.suppress(Exception):
            await client.open_page(OPEN_TIMEOUT_S)
            await client.choose(settings)
            await client.click()
            if finish:
                await client.finish(RUN_TIMEOUT_S)

    await asyncio.gather(*(one(c, v) for c, v in zip(clients, variants, strict=True)))
    return clients


async def queue_flood(ctx: Context) -> dict[str, Any]:
    clients = await _tiny_class(ctx, 12, finish=False)
    await asyncio.sleep(30)
    longest = max((c.record.summary()["longest_queue"] or 0 for c in clients), default=0)
    return {"refusal_s": None, "page_said": f"longest queue shown: {longest}"}


async def held_models(ctx: Context) -> dict[str, Any]:
    clients = await _tiny_class(ctx, 6, finish=True)
    await asyncio.sleep(10)
    done = sum(c.record.final_kind == "success" for c in clients)
    return {"refusal_s": None, "page_said": f"{done} of 6 runs finished and held by their sessions"}


async def ticker_links(ctx: Context) -> dict[str, Any]:
    openers = [ctx.client(f"link-{i}", "stocks", f"page=stocks&ticker=ZZ{i}") for i in range(20)]
    await asyncio.gather(*(c.open() for c in openers))
    after_links = len(ctx.proxy.requests)
    await asyncio.gather(*(c.close() for c in openers))
    clickers = [ctx.client(f"load-{i}", "stocks", "page=stocks&ticker=NOPE") for i in range(3)]
    await asyncio.gather(*(c.open() for c in clickers))
    for _ in range(3):
        await asyncio.gather(*(c.act({}, trigger="stocks:load") for c in clickers))
    after_same = len(ctx.proxy.requests)
    cycler = ctx.client("cycler", "stocks")
    await cycler.open()
    seconds = [await cycler.act({"stocks:ticker": f"QQ{i}"}, trigger="stocks:load") for i in range(10)]
    return {
        "refusal_s": max(seconds),
        "page_said": cycler.said(),
        "outbound_after_20_link_opens": after_links,
        "outbound_after_9_loads_of_one_failing_ticker": after_same - after_links,
        "outbound_after_10_loads_of_distinct_tickers": len(ctx.proxy.requests) - after_same,
    }


async def cache_links(ctx: Context) -> dict[str, Any]:
    combos = [(v, m) for v in (30_000, 20_000, 10_000) for m in (500, 400, 300)]
    said, seconds = "", []
    for i, (vocab, length) in enumerate(combos):
        client = ctx.client(f"cache-{i}", "sentiment")
        await client.open()
        prefix = next((k.rsplit(":", 1)[0] for k in client.page.widgets if k.endswith(":vocab")), "sentiment:0")
        seconds.append(await client.act({f"{prefix}:vocab": vocab, f"{prefix}:maxlen": length}))
        said = said or client.said(("error",))
        await client.close()
    for i, length in enumerate((100, 200, 300, 400, 500)):
        client = ctx.client(f"lab-{i}", "gradient-lab")
        await client.open()
        key = next((k for k in client.page.widgets if k.endswith(":length")), None)
        if key is not None:
            seconds.append(await client.act({key: str(length)}))
        await client.close()
    return {"refusal_s": max(seconds, default=None), "page_said": said, "links_opened": len(seconds)}


async def smaller(ctx: Context) -> dict[str, Any]:
    client = ctx.client("attacker", "stocks")
    await client.open()
    answers = {}
    for label, typed in (("300-char path", "a" * 300), ("NUL path", "stocks/SPY\x00.csv")):
        seconds = await client.act({"stocks:local": typed})
        answers[label] = f"{seconds:.2f} s: {client.said()[:80] or 'no message'}"
    client.session.set_value("stocks:local", "")
    answers["undatable 5 MB"] = (
        f"{await client.act({'stocks:local': 'stocks/UNDATABLE.csv'}, trigger='stocks:load'):.2f} s: "
        f"{client.said()[:80]}"
    )
    arch = ctx.client("text", "architectures")
    await arch.open()
    signal = next((k for k in arch.page.widgets if k.startswith("architectures:signal:")), None)
    if signal is not None:
        await arch.act({signal: "numbers I type"})
        field_key = next((k for k in arch.page.widgets if k.startswith("architectures:numbers:")), None)
        if field_key is not None:
            seconds = await arch.act({field_key: "1.5, " * 1_000_000})
            answers["5 MB typed numbers"] = f"{seconds:.2f} s: {arch.said()[:80] or 'no message'}"
    exceptions = [e for c in ctx.clients for e in c.record.exceptions]
    return {
        "refusal_s": None,
        "page_said": "; ".join(f"{k}: {v}" for k, v in answers.items()),
        "exceptions": exceptions[:3],
    }


SPEC_DUMP_ATTACKS = {"rehearsal"}  # the server pickles its runs' specs: the bench reads the estimate from them

ATTACKS: dict[int, tuple[str, Attack]] = {
    1: ("csv-columns", csv_columns),
    2: ("csv-rows", csv_rows),
    3: ("rehearsal", rehearsal),
    4: ("max-train", max_train),
    5: ("stop", stop_run),
    6: ("queue", queue_flood),
    7: ("held-models", held_models),
    8: ("ticker-links", ticker_links),
    9: ("cache-links", cache_links),
    10: ("smaller", smaller),
}


# ----------------------------------------------------------------------------- report


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def format_report(lone_s: float | None, results: list[dict[str, Any]]) -> str:
    lines = [
        f"Honest Tiny run alone: {lone_s if lone_s is None else round(lone_s, 1)} s "
        f"(target with an attacker: <= {HONEST_RATIO_TARGET:.0f}x)",
        "",
    ]
    header = f"{'attack':<14}{'server MB':>10}{'workers MB':>11}{'total MB':>9}{'answer s':>9}{'honest s':>9}  ok?"
    lines += [header, "-" * len(header)]
    for r in results:
        honest = (r.get("honest") or {}).get("finish_s")
        within = honest is not None and lone_s is not None and honest <= HONEST_RATIO_TARGET * lone_s
        memory_ok = (r.get("total_peak_mb") or 0) <= RSS_TARGET_MB
        answer = r.get("refusal_s")
        lines.append(
            f"{r['attack']:<14}{_mb(r.get('server_peak_mb')):>10}{_mb(r.get('workers_peak_mb')):>11}"
            f"{_mb(r.get('total_peak_mb')):>9}{'-' if answer is None else f'{answer:.1f}':>9}"
            f"{'-' if honest is None else f'{honest:.1f}':>9}  "
            f"{'2x ' + ('PASS' if within else 'FAIL')}, {'RSS ' + ('PASS' if memory_ok else 'FAIL')}"
        )
    lines.append("")
    for r in results:
        lines.append(f"[{r['attack']}] page said: {r.get('page_said') or '-'}")
        extra = {
            k: v
            for k, v in r.items()
            if k.startswith(("outbound_after", "max_size_", "admitted", "estimate", "worker_growth", "refusals"))
            or k in ("rerun_s", "failed", "exceptions", "log_errors")
        }
        extra["outbound requests"] = len(r.get("outbound", []))
        honest_run_record = r.get("honest") or {}
        extra["honest queued s"] = honest_run_record.get("wait_s")
        extra["honest first place"] = honest_run_record.get("first_place")
        lines.append(f"    {json.dumps(extra)[:700]}")
    return "\n".join(lines)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    clock = time.monotonic
    deadline = clock() + args.timeout
    base = Path(tempfile.mkdtemp(prefix="hostile-"))
    proxy = CountingProxy()
    await proxy.start()
    os.environ.update(proxy.environment())  # the servers inherit it; the bench's own sockets go to 127.0.0.1
    try:
        data = attack_data(base)
        print("lone honest run…", flush=True)
        lone = await on_fresh_server("alone", None, data, proxy, base, clock)
        lone_s = (lone.get("honest") or {}).get("finish_s")
        print(
            f"  alone: {lone_s} s, {json.dumps({k: v for k, v in lone.items() if k != 'outbound'})[:300]}", flush=True
        )
        results = []
        for number in args.attacks:
            if clock() > deadline - 60:
                print(f"global timeout: attack {number} and later not run", flush=True)
                break
            name, attack = ATTACKS[number]
            print(f"attack {number} ({name})…", flush=True)
            results.append(await on_fresh_server(name, attack, data, proxy, base, clock))
            figures = ("server_peak_mb", "workers_peak_mb", "total_peak_mb", "refusal_s", "honest")
            shown = {k: results[-1].get(k) for k in figures}
            shown.update({k: v for k, v in results[-1].items() if k not in figures and k != "outbound"})
            print(f"  {json.dumps(shown, default=str)[:900]}", flush=True)
        return {"lone": lone, "lone_s": lone_s, "results": results}
    finally:
        await proxy.stop()
        shutil.rmtree(base, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--attacks", default=",".join(map(str, ALL_ATTACKS)), help="comma-separated attack numbers (1-10)"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="global limit in seconds")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args(argv)
    args.attacks = [int(a) for a in args.attacks.split(",") if a.strip()]
    if any(a not in ATTACKS for a in args.attacks):
        parser.error(f"attacks are numbered {min(ATTACKS)}-{max(ATTACKS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    socket.setdefaulttimeout(None)
    results = asyncio.run(run(args))
    print(format_report(results["lone_s"], results["results"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
