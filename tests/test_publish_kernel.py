"""The warm kernel's message handling: waits that cannot miss a reply, and the Output widget."""

from __future__ import annotations

import asyncio
import queue
import re

import nbformat
import pytest
from test_publish_support import make_notebook

from analysis.publish.kernel import Job, NotebookWorker, WorkerOptions, poll_in_slices


class StrandedChannel:
    """A channel whose pending poll misses a message that a fresh poll finds.

    ``misses`` polls time out whatever their timeout (the reply sits in the socket but
    its readiness edge was consumed); the next poll returns it.
    """

    def __init__(self, misses: int, message: dict | None = None) -> None:
        self.misses, self.message, self.timeouts = misses, message, []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        if timeout is None and self.misses:
            await asyncio.sleep(3600)  # a poll that never wakes
        await asyncio.sleep(timeout or 0)
        if self.misses or self.message is None:
            self.misses = max(0, self.misses - 1)
            raise queue.Empty
        return self.message


def test_a_reply_missed_by_one_poll_is_found_by_the_next():
    channel = StrandedChannel(misses=2, message={"msg_type": "execute_reply"})
    poll_in_slices(channel, slice_seconds=0.05)
    reply = asyncio.run(asyncio.wait_for(channel.get_msg(timeout=None), timeout=5))
    assert reply == {"msg_type": "execute_reply"}
    assert len(channel.timeouts) == 3 and all(t == 0.05 for t in channel.timeouts)


def test_the_callers_timeout_still_applies():
    channel = StrandedChannel(misses=0)  # no message ever comes
    poll_in_slices(channel, slice_seconds=0.05)
    with pytest.raises(queue.Empty):
        asyncio.run(channel.get_msg(timeout=0.2))
    assert 2 <= len(channel.timeouts) <= 8
    assert all(0 <= t <= 0.05 for t in channel.timeouts)


def test_output_widget_contents_are_kept_without_echoing_them_to_the_kernel(tmp_path):
    source = nbformat.writes(make_notebook([
        "# widget",
        "import ipywidgets as w\nfrom IPython.display import display\nout = w.Output()\ndisplay(out)\n"
        "with out:\n    print('shown in the widget')",
        "print('kernel copy', len(out.outputs))",
    ]))
    worker = NotebookWorker(WorkerOptions(preload=(), downloads=False, memo=False))
    try:
        job = Job("甲县", 2024, "widget", source, "widget.ipynb", {"county": "甲县"}, str(tmp_path), "", {})
        result = worker.run(job)
    finally:
        worker.close()
    assert result.ok, result.error
    nb = nbformat.reads(result.ipynb, as_version=4)
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [m["state"]["outputs"] for m in state.values() if m["model_name"] == "OutputModel"]
    assert outputs and "shown in the widget" in outputs[0][0]["text"]  # the saved page shows it
    # the batch client sent no comm_msg back on the shell channel: the kernel's copy stays empty
    assert re.search(r"kernel copy 0", result.ipynb)


def test_a_prelaunched_kernel_is_adopted_and_unused_ones_are_shut_down(tmp_path):
    from analysis.publish import prelaunch

    name = prelaunch.default_kernel_name()  # $EDU_KERNEL under make test
    assert prelaunch.launch(name, 2) == 2
    first, spare = prelaunch._POOL
    worker = NotebookWorker(WorkerOptions(kernel_name=name, preload=(), downloads=False, memo=False))
    try:
        adopted_pid = first.km.provisioner.process.pid
        assert worker.kernel.tmp == first.folder  # its sockets and log stay in its folder
        source = nbformat.writes(make_notebook(["# pid", "import os\nprint('pid', os.getpid())"]))
        result = worker.run(Job("甲县", 2024, "pid", source, "pid.ipynb", {"county": "甲县"}, str(tmp_path), "", {}))
        assert result.ok, result.error
        assert int(re.search(r"pid (\d+)", result.ipynb).group(1)) == adopted_pid
    finally:
        worker.close()
    assert len(prelaunch._POOL) == 1 and prelaunch._POOL[0] is spare
    process = spare.km.provisioner.process
    prelaunch.discard_all()
    assert prelaunch._POOL == [] and process.poll() is not None and not spare.folder.exists()
    assert prelaunch.take(name) is None
