"""The review server's HTTP layer: a Starlette app over a :class:`ReviewStudy`.

Every request must carry the run's token, in the ``X-Alignment-Token`` header or the
``token`` query parameter (the page takes it from the URL it was opened with); any
other request gets 403. Films are named by opaque ids; the server serves only the
films it found and its own files in ``alignment/review/static``. The JSON API is
documented in ``docs/review.md``.
"""

from __future__ import annotations

import hmac
import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from alignment.errors import AlignmentError, ReviewError
from alignment.io import read_radiograph
from alignment.measures import MEASURES, measures_for
from alignment.measures.registry import AXES
from alignment.review.study import LEG_STATES, ConflictError, Film, ReviewStudy
from alignment.review.tiles import TILE_SIZE, Pyramid
from alignment.vocabulary import LANDMARKS

__all__ = ["TOKEN_HEADER", "create_app"]

log = logging.getLogger(__name__)

TOKEN_HEADER = "X-Alignment-Token"
"""Request header that may carry the token (else the ``token`` query parameter)."""

_MAX_BODY_BYTES = 2**20
_CACHED_FILMS = 3  # decoded pyramids kept in memory: the last two shown and the next
_STATIC = {
    "app.js": ("review/static", "text/javascript; charset=utf-8"),
    "app.css": ("review/static", "text/css; charset=utf-8"),
    # the look the page shares with the study report
    "look.css": ("report/templates", "text/css; charset=utf-8"),
}
"""The files served under ``/static/``: name -> (folder in the package, media type)."""
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _static(name: str, folder: str = "review/static") -> str:
    """File `name` of `folder` (a path inside the ``alignment`` package) as text.

    Looked up from the top package, so that a file of :mod:`alignment.report` is read
    without importing that package (its plotting and imaging libraries would cost the
    page's first request a second or more).
    """
    return resources.files("alignment").joinpath(*folder.split("/"), name).read_text("utf-8")


class _TokenGate:
    """ASGI middleware: 403 unless the request carries the token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        given = request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or ""
        if not hmac.compare_digest(given.encode(), self.token):
            response = JSONResponse(
                {"error": "missing or wrong token: open the URL that alignment review printed"},
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _Pyramids:
    """Decoded films as pyramids, the last few used kept; one decode per film at a time."""

    def __init__(self) -> None:
        self._cache: OrderedDict[str, Pyramid] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def get(self, film: Film) -> Pyramid:
        with self._lock:
            if film.id in self._cache:
                self._cache.move_to_end(film.id)
                return self._cache[film.id]
            building = self._building.setdefault(film.id, threading.Lock())
        with building:
            with self._lock:
                if film.id in self._cache:
                    return self._cache[film.id]
            radiograph = read_radiograph(film.path)
            if radiograph.pixels is None:  # pragma: no cover - read with pixels
                raise ReviewError(f"{film.key}: no pixels")
            pyramid = Pyramid(radiograph.pixels)
            with self._lock:
                self._cache[film.id] = pyramid
                while len(self._cache) > _CACHED_FILMS:
                    self._cache.popitem(last=False)
            return pyramid

    def prefetch(self, film: Film) -> None:
        """Decode `film` in the background (the film the reader will most likely open next)."""

        def run() -> None:
            try:
                self.get(film)
            except Exception as exc:  # a background guess: the error shows when it is opened
                log.info("prefetch of %s failed: %s", film.key, exc)

        threading.Thread(target=run, name=f"prefetch-{film.id}", daemon=True).start()


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(study: ReviewStudy, token: str) -> ASGIApp:
    """The ASGI app serving `study`'s page and API to requests that carry `token`.

    Parameters
    ----------
    study : ReviewStudy
    token : str
        The run's secret (URL-safe text).

    Returns
    -------
    ASGI application
    """
    pyramids = _Pyramids()

    def film_of(request: Request) -> Film:
        return study.film(request.path_params["id"])

    def guarded(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """Map the study's errors to HTTP statuses (unknown film 404, bad input 400)."""

        def wrapped(request: Request) -> Response:
            try:
                return handler(request)
            except ConflictError as exc:
                return _error(409, str(exc))
            except ReviewError as exc:
                status = 404 if str(exc).startswith("no film with id") else 400
                return _error(status, str(exc))
            except (AlignmentError, OSError) as exc:
                log.warning("%s: %s", request.url.path, exc)
                return _error(500, f"cannot read the film: {exc}")

        wrapped.__name__ = handler.__name__
        return wrapped

    def index(request: Request) -> Response:
        page = _static("index.html").replace("__TOKEN__", token)
        return HTMLResponse(page, headers={"Content-Security-Policy": _CSP,
                                           "Cache-Control": "no-store"})  # fmt: skip

    def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _STATIC:
            return _error(404, "no such file")
        folder, media_type = _STATIC[name]
        return Response(_static(name, folder), media_type=media_type)

    def session(request: Request) -> Response:
        return JSONResponse(
            {
                "reader": study.reader,
                "blind": study.blind,
                "detect": study.detect,
                "films": len(study.films),
                "problems": [{"file": k, "stage": s, "error": e} for k, s, e in study.problems],
                "tile_size": TILE_SIZE,
                "landmarks": {view: list(names) for view, names in LANDMARKS.items()},
                "axes": {n: [a.start, a.end, a.meaning] for n, a in AXES.items()},
                "measures": {view: [m.name for m in measures_for(view)] for view in ("AP", "LAT")},
                "units": {m.name: m.unit for m in MEASURES.values()},
                "leg_states": list(LEG_STATES),
            }
        )

    def films(request: Request) -> Response:
        return JSONResponse([study.summary(f) for f in study.films.values()])

    def get_landmarks(request: Request) -> Response:
        answer = study.landmarks(request.path_params["id"])
        return JSONResponse(answer, headers={"ETag": f'"{answer["version"]}"'})

    def measures(request: Request) -> Response:
        return JSONResponse(study.measures(request.path_params["id"]))

    async def put_landmarks(request: Request) -> Response:
        body = await request.body()

        def save(request: Request) -> Response:
            film_of(request)
            if len(body) > _MAX_BODY_BYTES:
                return _error(413, f"body larger than {_MAX_BODY_BYTES} bytes")
            try:
                document = json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                return _error(400, f"body is not JSON: {exc}")
            version = request.headers.get("If-Match")
            if version is not None:
                version = version.strip().removeprefix("W/").strip('"')
            answer = study.save(request.path_params["id"], document, version=version)
            return JSONResponse(answer, headers={"ETag": f'"{answer["version"]}"'})

        return await run_in_threadpool(guarded(save), request)

    order = list(study.films)

    def image(request: Request) -> Response:
        film = film_of(request)
        pyramid = pyramids.get(film)
        following = order[(order.index(film.id) + 1) % len(order)]
        pyramids.prefetch(study.films[following])
        facts = film.facts
        return JSONResponse(
            {
                "rows": facts["rows"],
                "columns": facts["columns"],
                "levels": [list(pyramid.level_shape(k)) for k in range(pyramid.n_levels)],
                "tile_size": TILE_SIZE,
                "window": list(pyramid.default_window),
                "range": list(pyramid.value_range),
                "spacing_mm": facts["spacing_mm"],
                "spacing_source": facts["spacing_source"],
                "sides": list(film.sides),
                "view": film.view,
                "identifiers": dict(film.identifiers),
            }
        )

    def tile(request: Request) -> Response:
        film = film_of(request)
        pyramid = pyramids.get(film)
        try:
            level, tx, ty = (int(request.path_params[k]) for k in ("level", "tx", "ty"))
            center = float(request.query_params.get("center", pyramid.default_window[0]))
            width = float(request.query_params.get("width", pyramid.default_window[1]))
        except ValueError:
            return _error(400, "level, tile and window must be numbers")
        if not (math.isfinite(center) and math.isfinite(width) and width > 0):
            return _error(400, "the window needs a finite center and a positive width")
        try:
            png = pyramid.tile(level, tx, ty, (center, width))
        except IndexError as exc:
            return _error(404, str(exc))
        return Response(
            png, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
        )

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/session", guarded(session)),
        Route("/api/films", guarded(films)),
        Route("/api/films/{id}/landmarks", guarded(get_landmarks), methods=["GET"]),
        Route("/api/films/{id}/landmarks", put_landmarks, methods=["PUT"]),
        Route("/api/films/{id}/measures", guarded(measures)),
        Route("/api/films/{id}/image", guarded(image)),
        Route("/api/films/{id}/tiles/{level}/{tx}/{ty}.png", guarded(tile)),
    ]
    app = Starlette(routes=routes)
    app.state.study = study
    pyramids.prefetch(next(iter(study.films.values())))  # the film the page opens first
    return _TokenGate(app, token)
