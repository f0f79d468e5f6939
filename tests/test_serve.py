"""`make serve`: serves the built site on localhost and rebuilds when the data changes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.helpers import edit_cell


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_serve_rebuilds_when_a_csv_changes(repo_copy):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "build_scripts", "--root", str(repo_copy.root), "serve", "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/ji/meetings/"
    try:
        assert _wait_for(lambda: (_get(url) or "").find("Bonn") >= 0, 60), "site was not served"
        edit_cell(repo_copy.datapackages / "ji" / "data" / "meetings.csv", {"meeting_id": "JISC-39"}, "city", "Marrakech")
        assert _wait_for(lambda: "Marrakech" in (_get(url) or ""), 60), "site was not rebuilt after the CSV changed"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
