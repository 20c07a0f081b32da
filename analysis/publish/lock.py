"""One publish run per reports folder at a time.

A run holds ``<out>/.publish.lock`` while it works: a small JSON file (process id, host,
start time, command line) created atomically with ``O_CREAT | O_EXCL``, so of two runs
starting together exactly one gets it. The second stops at once with
:class:`PublishLocked`, whose message names the other run, or, with ``wait=True``, waits
until the folder is free. A lock whose process is gone (a run killed with ``kill -9``, a
machine that lost power) is stale: it is taken over with a note. A lock written on another
host cannot be checked and is respected.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     with PublishLock(d) as lock:
...         try:
...             PublishLock(d).acquire()
...         except PublishLocked as exc:
...             print(exc.holder.pid == os.getpid())
...     print(lock.path.exists())
True
False
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LOCK_NAME = ".publish.lock"
#: a lock file still empty after this many seconds belongs to a run killed while writing it
EMPTY_GRACE_SECONDS = 5.0
#: a takeover marker older than this was left by a run killed during a takeover
TAKEOVER_GRACE_SECONDS = 30.0


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lock: process id, host, start time (ISO 8601, local time), command line,
    and the process start ticks (Linux, to tell a reused process id)."""

    pid: int
    host: str
    started: str
    command: str = ""
    pid_start: int | None = None

    def describe(self) -> str:
        """The holder for a message, in Chinese with the English beside.

        >>> LockHolder(123, "srv1", "2024-05-01T10:00:00+08:00").describe()
        '进程 123（process id），主机 srv1（host），开始于 2024-05-01 10:00:00（started）'
        """
        started = self.started.replace("T", " ")[:19]
        return f"进程 {self.pid}（process id），主机 {self.host}（host），开始于 {started}（started）"


class PublishLocked(RuntimeError):
    """Another run holds the lock of the folder."""

    def __init__(self, path: Path, holder: LockHolder) -> None:
        self.path = path
        self.holder = holder
        super().__init__(
            f"另一个发布任务正在使用报告文件夹 {path.parent}：{holder.describe()}"
            + (f"，命令 {holder.command}" if holder.command else "")
            + f"。请等它结束后再运行，或加 --wait 排队等待；若确定没有别的任务在运行，可删除 {path}。"
            f"\n(another publish run is using {path.parent}: pid {holder.pid} on {holder.host}, "
            f"started {holder.started}; wait for it, or use --wait)"
        )


def _host() -> str:
    return socket.gethostname()


def process_start_ticks(pid: int) -> int | None:
    """Start time of process ``pid`` in clock ticks since boot (Linux ``/proc``; None
    elsewhere or when there is no such process). Two processes with the same id differ in it.

    >>> process_start_ticks(os.getpid()) is None or process_start_ticks(os.getpid()) > 0
    True
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:  # the command name (field 2) may hold spaces and parentheses: split after the last ')'
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (IndexError, ValueError):
        return None


def is_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this host).

    >>> is_alive(os.getpid())
    True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    except OSError:
        return False
    return True


def is_stale(holder: LockHolder, host: str | None = None) -> bool:
    """Whether the run that wrote the lock is gone: same host and its process is not alive,
    or the process id now belongs to a process started later. A lock of another host is
    never stale (it cannot be checked from here).

    >>> is_stale(LockHolder(os.getpid(), _host(), "2024-05-01T10:00:00"))
    False
    >>> is_stale(LockHolder(os.getpid(), "another-host", "2024-05-01T10:00:00"))
    False
    """
    if holder.host != (host or _host()):
        return False
    if not is_alive(holder.pid):
        return True
    if holder.pid_start is not None:
        now = process_start_ticks(holder.pid)
        return now is not None and now != holder.pid_start
    return False


def read_lock(path: str | os.PathLike) -> LockHolder | None:
    """The holder written in a lock file; None when the file is missing, empty or not a lock."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return LockHolder(pid=int(data["pid"]), host=str(data["host"]), started=str(data["started"]),
                          command=str(data.get("command", "")),
                          pid_start=None if data.get("pid_start") is None else int(data["pid_start"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


class PublishLock:
    """The lock of one reports folder (a context manager).

    Parameters
    ----------
    folder : the reports folder (created if missing); the lock is ``folder/.publish.lock``.
    wait : wait until the folder is free instead of raising :class:`PublishLocked`.
    poll : seconds between two looks at a held lock while waiting.
    timeout : with ``wait``, give up (raise :class:`PublishLocked`) after this many seconds.
    echo : where the notes go (a stale lock taken over, waiting for another run).
    command : the command line written in the lock (default: this process's).
    """

    def __init__(self, folder: str | os.PathLike, *, wait: bool = False, poll: float = 1.0,
                 timeout: float | None = None, echo: Callable[[str], Any] | None = None,
                 command: str | None = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.wait = wait
        self.poll = poll
        self.timeout = timeout
        self.echo = echo if echo is not None else (lambda m: print(m, file=sys.stderr, flush=True))
        self.command = command if command is not None else " ".join(sys.argv)
        self.holder: LockHolder | None = None

    def _mine(self) -> LockHolder:
        pid = os.getpid()
        return LockHolder(pid=pid, host=_host(), started=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                          command=self.command, pid_start=process_start_ticks(pid))

    def _create(self) -> bool:
        """Create the lock file with O_EXCL and write the holder in one write; False when
        it exists."""
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        mine = self._mine()
        try:
            os.write(fd, json.dumps(asdict(mine), ensure_ascii=False).encode("utf-8"))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            self.path.unlink(missing_ok=True)
            raise
        os.close(fd)
        self.holder = mine
        return True

    def _take_over(self, seen: LockHolder | None) -> bool:
        """Remove a stale lock, once: a marker file created with O_EXCL makes sure two runs
        finding the same stale lock do not both remove it (the second would remove the
        first's fresh lock). True when the stale lock was removed here."""
        marker = self.folder / (LOCK_NAME + ".takeover")
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if _age(marker) > TAKEOVER_GRACE_SECONDS:
                marker.unlink(missing_ok=True)
            return False
        os.close(fd)
        try:
            now = read_lock(self.path)
            if now != seen:  # it changed since we looked: not the stale lock any more
                return False
            self.path.unlink(missing_ok=True)
            return True
        finally:
            marker.unlink(missing_ok=True)

    def acquire(self) -> PublishLock:
        """Take the lock, taking over a stale one; raise :class:`PublishLocked` when another
        live run holds it (with ``wait``: wait for it, up to ``timeout``)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        told = False
        while True:
            if self._create():
                return self
            holder = read_lock(self.path)
            if holder is None:
                if not self.path.exists():
                    continue  # released meanwhile
                if _age(self.path) < EMPTY_GRACE_SECONDS:
                    time.sleep(min(self.poll, 0.1))  # being written by a run that just started
                    continue
                if self._take_over(None):
                    self.echo(f"注意：{self.path} 不是有效的锁文件（空或已损坏），已接管。"
                              f"(note: unreadable lock file {self.path} taken over)")
                else:
                    time.sleep(0.05)
                continue
            if is_stale(holder):
                if self._take_over(holder):
                    self.echo(f"注意：上次的发布任务（{holder.describe()}）已不在运行，遗留的锁已接管。"
                              f"(note: stale lock of pid {holder.pid}, a run that is no longer running, "
                              "taken over)")
                else:
                    time.sleep(0.05)
                continue
            waited = time.monotonic() - started
            if not self.wait or (self.timeout is not None and waited >= self.timeout):
                raise PublishLocked(self.path, holder)
            if not told:
                self.echo(f"等待另一个发布任务结束（{holder.describe()}）…"
                          f"(waiting for the publish run pid {holder.pid} on {holder.host} to finish)")
                told = True
            time.sleep(self.poll)

    def release(self) -> None:
        """Remove the lock file if it is still ours."""
        if self.holder is not None and read_lock(self.path) == self.holder:
            self.path.unlink(missing_ok=True)
        self.holder = None

    def __enter__(self) -> PublishLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()
