"""A folder of derived data the server builds once and reads back fast (the tokenised IMDb reviews).

Tokenising 50,000 reviews takes seconds of CPU; reading the result back takes a fraction of one.
The folder is a deployer's setting, never a visitor's: the RNN_PLAYGROUND_CACHE environment
variable names it (`off` turns persistence off); without it the playground uses
`$XDG_CACHE_HOME/rnn-playground` (usually `~/.cache/rnn-playground`), else a folder in the
system's temp directory.

Entries are `.npz` files of plain NumPy arrays, read with `allow_pickle=False` (no code can
hide in them). Each file is named after the source files it was derived from and stores its
identity: the sources' resolved paths, sizes and modification times, plus the format version of
the code that wrote it. A file whose identity differs (stale) or that cannot be read (corrupt,
truncated, not an npz) is a miss: the caller rebuilds the data and the entry is overwritten.
Writes are atomic (a temporary file in the same folder, then `os.replace`), so a reader never
sees half a file and two servers writing at once leave one whole entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

CACHE_ENV_VAR = "RNN_PLAYGROUND_CACHE"
OFF = "off"
IDENTITY = "_identity"  # the array in every entry that holds its identity (JSON as UTF-8 bytes)
logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """Where entries go when the deployer names no folder: the user's cache dir."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "rnn-playground"


def _usable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return False
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def cache_root() -> Path | None:
    """The cache folder, from the RNN_PLAYGROUND_CACHE setting alone (None: persistence is off or impossible).

    A folder the deployer named but that cannot be created or written turns persistence off
    (with a warning in the server log) rather than writing somewhere they did not choose.
    """
    value = os.environ.get(CACHE_ENV_VAR, "").strip()
    if value.lower() == OFF:
        return None
    if value:
        folder = Path(value).expanduser()
        if _usable(folder):
            return folder
        logger.warning("%s=%s cannot be created or written; the data cache is off", CACHE_ENV_VAR, value)
        return None
    if _usable(default_cache_dir()):
        return default_cache_dir()
    fallback = Path(tempfile.gettempdir()) / f"rnn-playground-{os.getuid()}"
    if _usable(fallback) and _private(fallback):
        return fallback
    return None


def _private(folder: Path) -> bool:
    """True when `folder` is a real folder (not a link) owned by this user and writable by no one else.

    The temp directory is shared: another local user could create rnn-playground-<uid> first (or a
    link by that name) and plant entries the server would read, or read what it writes.
    """
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        logger.warning("the data cache fallback %s is not a private folder of this user; the data cache is off", folder)
        return False
    return True


def identity(kind: str, version: int, sources: Sequence[Path], **extra: object) -> str:
    """What an entry is derived from, as a string: the source files' resolved path, size and
    modification time, the format version and any `extra` parameters (e.g. a vocabulary cap).
    Raises OSError when a source file cannot be stat'ed."""
    files = []
    for path in sources:
        info = os.stat(path)
        files.append([os.path.realpath(path), info.st_size, info.st_mtime_ns])
    return json.dumps({"kind": kind, "version": version, "files": files, "extra": extra}, sort_keys=True)


def entry_path(root: Path, kind: str, sources: Sequence[Path], **extra: object) -> Path:
    """The entry's file: one per (kind, source files, extra), whatever their sizes or times,
    so a changed source overwrites its stale entry instead of leaving it behind."""
    names = json.dumps([kind, [os.path.realpath(p) for p in sources], extra], sort_keys=True)
    return root / f"{kind}-{hashlib.sha256(names.encode()).hexdigest()[:20]}.npz"


def read(path: Path, expected_identity: str) -> dict[str, np.ndarray] | None:
    """The arrays of the entry at `path`, or None when it is missing, stale or unreadable."""
    try:
        loaded = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        return None
    except Exception as err:  # any unreadable file (truncated, not an npz, pickled objects) is rebuilt
        logger.warning("data cache entry %s is unreadable (%s); rebuilding it", path.name, type(err).__name__)
        return None
    if not isinstance(loaded, np.lib.npyio.NpzFile):
        logger.warning("data cache entry %s is not an npz archive; rebuilding it", path.name)
        return None
    try:
        with loaded as npz:
            if IDENTITY not in npz.files:
                logger.warning("data cache entry %s has no identity; rebuilding it", path.name)
                return None
            if npz[IDENTITY].tobytes().decode("utf-8") != expected_identity:
                logger.info("data cache entry %s is stale; rebuilding it", path.name)
                return None
            return {name: npz[name] for name in npz.files if name != IDENTITY}
    except Exception as err:  # a damaged member: same as a miss
        logger.warning("data cache entry %s is unreadable (%s); rebuilding it", path.name, type(err).__name__)
        return None


def write(path: Path, entry_identity: str, arrays: Mapping[str, np.ndarray]) -> bool:
    """Store `arrays` with their identity, atomically; False (logged) when the folder refuses."""
    if IDENTITY in arrays:
        raise ValueError(f"{IDENTITY} is reserved")
    payload = {**arrays, IDENTITY: np.frombuffer(entry_identity.encode("utf-8"), dtype=np.uint8)}
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    except OSError as err:
        logger.warning("cannot write the data cache in %s (%s)", path.parent, err)
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
        return True
    except OSError as err:
        logger.warning("cannot write the data cache entry %s (%s)", path.name, err)
        return False
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
