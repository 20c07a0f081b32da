"""Start JupyterLab on the project: ``make lab`` (``python -m analysis.lab``) and the tests.

:func:`start_lab` runs JupyterLab from this Python environment (so notebooks get its
kernel and packages) bound to 127.0.0.1 on a free port, with a random token, its runtime
files in a private temporary folder and nothing fetched from the internet (no news, no
update check), waits until it answers and returns a :class:`LabServer` with the URL.
:func:`main` prints the URL and what to open first, then waits until Ctrl+C.

Examples
--------
>>> port = free_port()
>>> 1024 < port < 65536
True
>>> lab_args(port=8890, token="t", root=Path("/x"))[:3]
['--no-browser', '--ServerApp.ip=127.0.0.1', '--ServerApp.port=8890']
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

#: the notebooks a new user should open first, in order, with what they show
FIRST_NOTEBOOKS = (
    ("notebooks/county_report.ipynb", "县域评估报告：结论、未达标学校与缺口、差异系数"),
    ("notebooks/explore.ipynb", "交互浏览：选择县（区）、年份、指标，查看各校数值与标准"),
)
HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def lab_args(*, port: int, token: str, root: Path, expose_app: bool = False) -> list[str]:
    """Command-line options of a local, offline JupyterLab."""
    args = [
        "--no-browser",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        # nothing from the internet: no news feed, no update check
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",  # no extension search on PyPI
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")  # containers and CI often run as root
    if expose_app:
        args.append("--LabApp.expose_app_in_browser=True")
    return args


@dataclass
class LabServer:
    """A running JupyterLab (see :func:`start_lab`)."""

    process: subprocess.Popen
    port: int
    token: str
    root: Path
    runtime_dir: Path
    log_path: Path
    _owned: list[Path] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def url(self, path: str = "") -> str:
        """URL of ``path`` (relative to the root, e.g. ``notebooks/explore.ipynb``) with the token."""
        where = f"/lab/tree/{quote(path)}" if path else "/lab"
        return f"{self.base_url}{where}?token={self.token}"

    def log(self) -> str:
        """What the server wrote so far (for error messages)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        """Stop the server (it shuts its kernels down) and remove its temporary folders."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        for folder in self._owned:
            shutil.rmtree(folder, ignore_errors=True)


def _ready(port: int, token: str) -> bool:
    request = urllib.request.Request(f"http://{HOST}:{port}/api/status", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=2) as reply:  # noqa: S310 - our own local server
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_lab(
    root: str | os.PathLike,
    *,
    port: int | None = None,
    token: str | None = None,
    runtime_dir: str | os.PathLike | None = None,
    isolated: bool = False,
    expose_app: bool = False,
    timeout: float = 60,
    env: dict[str, str] | None = None,
) -> LabServer:
    """Start JupyterLab on ``root`` and wait until it answers.

    Parameters
    ----------
    root : the folder Lab shows (notebook paths are relative to it).
    port : default a free port; token : default a random one.
    runtime_dir : folder for the server's connection files (default a new temp folder).
    isolated : keep the user's Lab settings and workspaces out (tests): both go to temp
        folders.
    expose_app : make the Lab application scriptable from the page (``window.jupyterapp``).
    timeout : seconds to wait for the server.

    Raises
    ------
    RuntimeError
        If the server exits or does not answer in time (with its log).
    """
    root = Path(root).resolve()
    port = port or free_port()
    token = token or secrets.token_hex(16)
    owned: list[Path] = []
    if runtime_dir is None:
        runtime_dir = Path(tempfile.mkdtemp(prefix="edu-lab-runtime-"))
        owned.append(runtime_dir)
    runtime = Path(runtime_dir)
    runtime.mkdir(parents=True, exist_ok=True)
    child_env = {**os.environ, **(env or {}), "JUPYTER_RUNTIME_DIR": str(runtime)}
    if isolated:
        user = Path(tempfile.mkdtemp(prefix="edu-lab-user-"))
        owned.append(user)
        child_env.update({"JUPYTERLAB_SETTINGS_DIR": str(user / "settings"),
                          "JUPYTERLAB_WORKSPACES_DIR": str(user / "workspaces")})
    log_path = runtime / "lab.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and options
            [sys.executable, "-m", "jupyterlab", *lab_args(port=port, token=token, root=root, expose_app=expose_app)],
            cwd=root, env=child_env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    server = LabServer(process, port, token, root, runtime, log_path, owned)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            text = server.log()
            server.stop()
            raise RuntimeError(f"JupyterLab exited with status {process.returncode}:\n{text[-2000:]}")
        if _ready(port, token):
            return server
        time.sleep(0.25)
    text = server.log()
    server.stop()
    raise RuntimeError(f"JupyterLab did not answer on {HOST}:{port} within {timeout:.0f} s:\n{text[-2000:]}")


def welcome(server: LabServer) -> str:
    """The lines ``make lab`` prints: the URL and what to open first."""
    lines = [
        "JupyterLab 已启动（仅本机可访问；按 Ctrl+C 停止）：",
        f"  {server.url()}",
        "",
        "先打开：",
    ]
    for i, (path, what) in enumerate(FIRST_NOTEBOOKS, 1):
        lines.append(f"  {i}. {path} — {what}")
        lines.append(f"     {server.url(path)}")
    lines += [
        "",
        "notebook 在本项目环境（.venv）的 Python 内核中运行；数据来自 data/processed（`make data` 生成）。",
        "运行：菜单 Run → Run All Cells。",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``make lab``: start JupyterLab on the repository, print where to go, wait for Ctrl+C."""
    parser = argparse.ArgumentParser(description="Start JupyterLab on the project (127.0.0.1, a free port).")
    parser.add_argument("--root", default=".", help="folder to serve (default: the current folder)")
    parser.add_argument("--port", type=int, help="port (default: a free one)")
    args = parser.parse_args(argv)
    try:
        server = start_lab(args.root, port=args.port)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(welcome(server), flush=True)
    try:
        while server.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\n正在停止 JupyterLab …", flush=True)
    finally:
        with contextlib.suppress(Exception):
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
