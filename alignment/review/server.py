"""Running the review server: :func:`review`.

The server listens on 127.0.0.1 unless another host is asked for (with a warning: the
films are then reachable by whoever can reach that interface and knows the token). While
it runs, ``REVIEW_DIR/.review/server.json`` names its URL, so that a report written in
the meantime can link each film to its page (:func:`running_server`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from alignment.atomic import write_text_atomic
from alignment.measures import Preset
from alignment.review.app import create_app
from alignment.review.study import Detect, ReviewStudy, film_id

__all__ = ["LOCALHOST", "review", "running_server"]

log = logging.getLogger(__name__)

LOCALHOST = "127.0.0.1"
"""The only interface the server listens on unless told otherwise."""

_RUNTIME = Path(".review") / "server.json"


def review(
    study_dir: str | os.PathLike[str],
    review_dir: str | os.PathLike[str],
    *,
    landmarks: str | os.PathLike[str] | None = None,
    detect: Detect = None,
    reader: str = "reader",
    blind: bool = False,
    preset: str | os.PathLike[str] | Preset = "default",
    keep_identifiers: bool = False,
    follow_links: bool = False,
    host: str = LOCALHOST,
    port: int = 0,
    open_browser: bool = True,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the review page of a study folder until interrupted.

    Parameters
    ----------
    study_dir, review_dir, landmarks, detect, reader, blind, preset, keep_identifiers, follow_links
        As for :class:`alignment.review.ReviewStudy`.
    host : str, optional
        Interface to listen on (default 127.0.0.1; anything else is logged as a
        warning).
    port : int, optional
        TCP port; 0 (default) lets the system choose a free one.
    open_browser : bool, optional
        Open the page in the default browser.
    on_ready : callable, optional
        Called with the page's URL (token included) once the server listens.

    Raises
    ------
    ReviewError, BatchError
        The study cannot be reviewed (see :class:`ReviewStudy`).
    OSError
        The port cannot be bound.
    """
    import uvicorn

    study = ReviewStudy(
        study_dir,
        review_dir,
        landmarks=landmarks,
        detect=detect,
        reader=reader,
        blind=blind,
        preset=preset,
        keep_identifiers=keep_identifiers,
        follow_links=follow_links,
    )
    if host != LOCALHOST:
        log.warning(
            "listening on %s, not only on this computer: anyone who can reach it and knows "
            "the token sees the films",
            host,
        )
    token = secrets.token_urlsafe(24)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound}/?token={token}"
        config = uvicorn.Config(create_app(study, token), log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        with _runtime_file(study, url):
            if on_ready is not None:
                on_ready(url)
            if open_browser:
                webbrowser.open(url)
            server.run(sockets=[sock])


@contextlib.contextmanager
def _runtime_file(study: ReviewStudy, url: str) -> Iterator[None]:
    path = study.review_dir / _RUNTIME
    path.parent.mkdir(exist_ok=True)
    document = {
        "url": url,
        "pid": os.getpid(),
        "study_dir": str(study.study_dir.resolve()),
        "reader": study.reader,
    }
    write_text_atomic(path, json.dumps(document, indent=1) + "\n")
    os.chmod(path, 0o600)  # it holds the token
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def running_server(review_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The review server that serves `review_dir` now: ``url`` (with token), ``pid``,
    ``study_dir``, ``reader``; None if none runs.

    A file left by a server that was killed names a process that no longer exists and
    is ignored.
    """
    path = Path(review_dir) / _RUNTIME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        os.kill(int(document["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return document if isinstance(document, dict) else None


def film_url(server: dict[str, Any], key: str) -> str:
    """The page of the film with key `key` on a server of :func:`running_server`."""
    return f"{server['url']}#film={film_id(key)}"
