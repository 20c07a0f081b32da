"""One publish run per reports folder: analysis/publish/lock.py and ``publish --wait``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis.publish.lock import (
    LOCK_NAME,
    LockHolder,
    PublishLock,
    PublishLocked,
    is_stale,
    process_start_ticks,
    read_lock,
)

#: a child process that takes the lock of a folder, says so, and holds it until told to stop
HOLDER = """
import sys, time
from pathlib import Path
from analysis.publish.lock import PublishLock
lock = PublishLock(sys.argv[1], command="publish --out held")
lock.acquire()
print("held", flush=True)
stop = Path(sys.argv[2])
while not stop.exists():
    time.sleep(0.05)
lock.release()
"""


def _hold(folder: Path, stop: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder), str(stop)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def _dead_pid() -> int:
    """The id of a process that has just ended (and so is not alive)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_run_stops_at_once_naming_the_other(tmp_path):
    stop = tmp_path / "stop"
    proc = _hold(tmp_path / "reports", stop)
    try:
        started = time.monotonic()
        with pytest.raises(PublishLocked) as info:
            PublishLock(tmp_path / "reports").acquire()
        assert time.monotonic() - started < 2
        assert info.value.holder.pid == proc.pid and info.value.holder.command == "publish --out held"
        message = str(info.value)
        assert f"进程 {proc.pid}" in message and "开始于" in message and "--wait" in message
        assert f"pid {proc.pid}" in message
    finally:
        stop.touch()
        proc.wait(timeout=20)
    assert not (tmp_path / "reports" / LOCK_NAME).exists()  # released by its holder
    with PublishLock(tmp_path / "reports"):  # and free again
        pass


def test_wait_takes_the_lock_when_the_other_run_ends(tmp_path):
    stop = tmp_path / "stop"
    proc = _hold(tmp_path / "reports", stop)
    notes: list[str] = []
    try:
        with pytest.raises(PublishLocked):  # waiting with a timeout gives up
            PublishLock(tmp_path / "reports", wait=True, poll=0.05, timeout=0.3, echo=notes.append).acquire()
        assert notes and str(proc.pid) in notes[0]
        stop.touch()
        lock = PublishLock(tmp_path / "reports", wait=True, poll=0.05, timeout=20, echo=notes.append).acquire()
        assert read_lock(lock.path).pid == os.getpid()
        lock.release()
    finally:
        stop.touch()
        proc.wait(timeout=20)


def test_a_lock_left_by_a_killed_run_is_taken_over_with_a_note(tmp_path):
    folder = tmp_path / "reports"
    stop = tmp_path / "stop"
    proc = _hold(folder, stop)
    proc.kill()  # like kill -9: the lock file stays
    proc.wait(timeout=20)
    assert read_lock(folder / LOCK_NAME).pid == proc.pid
    notes: list[str] = []
    with PublishLock(folder, echo=notes.append) as lock:
        assert read_lock(lock.path).pid == os.getpid()
    assert len(notes) == 1 and "已不在运行" in notes[0] and str(proc.pid) in notes[0]


def test_staleness():
    here = socket.gethostname()
    assert is_stale(LockHolder(_dead_pid(), here, "2024-05-01T10:00:00"))
    assert not is_stale(LockHolder(_dead_pid(), "another-host", "2024-05-01T10:00:00"))  # cannot check
    assert not is_stale(LockHolder(os.getpid(), here, "2024-05-01T10:00:00"))
    # a live process id that now belongs to a process started later than the lock's: stale
    ticks = process_start_ticks(os.getpid())
    if ticks is not None:  # Linux
        assert is_stale(LockHolder(os.getpid(), here, "x", pid_start=ticks - 1))
        assert not is_stale(LockHolder(os.getpid(), here, "x", pid_start=ticks))


def test_an_empty_lock_file_is_taken_over_only_once_old(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    path = folder / LOCK_NAME
    path.write_text("")
    old = time.time() - 60
    os.utime(path, (old, old))
    notes: list[str] = []
    with PublishLock(folder, echo=notes.append):
        assert read_lock(path).pid == os.getpid()
    assert notes and "已接管" in notes[0]


def test_release_leaves_a_lock_that_is_not_ours(tmp_path):
    lock = PublishLock(tmp_path).acquire()
    other = {"pid": 1, "host": "elsewhere", "started": "2024-05-01T10:00:00"}
    lock.path.write_text(json.dumps(other))
    lock.release()
    assert read_lock(lock.path) == LockHolder(1, "elsewhere", "2024-05-01T10:00:00")


def test_two_runs_racing_for_a_stale_lock_end_with_one_holder(tmp_path):
    folder, stop = tmp_path / "reports", tmp_path / "stop"
    folder.mkdir()
    (folder / LOCK_NAME).write_text(json.dumps(
        {"pid": _dead_pid(), "host": socket.gethostname(), "started": "2024-05-01T10:00:00"}))
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from analysis.publish.lock import PublishLock, PublishLocked\n"
        "try:\n"
        "    lock = PublishLock(sys.argv[1], echo=lambda m: None).acquire()\n"
        "except PublishLocked:\n"
        "    print('locked', flush=True); sys.exit(0)\n"
        "print('got', flush=True)\n"
        "while not Path(sys.argv[2]).exists(): time.sleep(0.05)\n"
        "lock.release()\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(folder), str(stop)], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    try:
        outs = sorted(p.stdout.readline().strip() for p in procs)  # the holder holds until all have answered
    finally:
        stop.touch()
        for p in procs:
            p.communicate(timeout=60)
    assert outs == ["got", "locked", "locked"]
    assert not (folder / LOCK_NAME).exists()


def test_publish_cli_exits_3_when_the_folder_is_in_use(tmp_path, capsys):
    from analysis.__main__ import main

    stop = tmp_path / "stop"
    proc = _hold(tmp_path / "reports", stop)
    try:
        code = main(["publish", "--processed", str(tmp_path / "no-data"), "--out", str(tmp_path / "reports"),
                     "--counties", "x"])
    finally:
        stop.touch()
        proc.wait(timeout=20)
    assert code == 3
    err = capsys.readouterr().err
    assert err.startswith("error: 另一个发布任务正在使用报告文件夹") and f"进程 {proc.pid}" in err
