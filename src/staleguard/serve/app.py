"""The FastAPI app: one model loaded at startup, /predict, /actuals, /health, /model.

Schemas are generated from params.yaml (serve/schema.py), so routes are built inside `create_app`.
Predictions are logged to the production store by a background writer (serve/predlog.py).
"""

import gc
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Body, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from staleguard import __version__
from staleguard.contract import ROW_ID, TIMESTAMP, dedupe, id_column
from staleguard.contract.values import missing_problem
from staleguard.errors import DataError, StaleguardError
from staleguard.monitor import store as store_format
from staleguard.monitor.shadow_evidence import shadow_url
from staleguard.params import Params
from staleguard.serve.auth import AuthError, Tokens, check_bind, dependencies
from staleguard.serve.follow import Follower, followed_stage
from staleguard.serve.ids import AlreadyLogged, Ids, Logged
from staleguard.serve.limits import Limits
from staleguard.serve.loader import LoadedModel, load
from staleguard.serve.predlog import PredictionLog, read_predictions, stamps
from staleguard.serve.schema import (
    MANY,
    ONE,
    Health,
    ModelInfo,
    Prediction,
    Recorded,
    actual_model,
    missing_messages,
    rows_body,
)
from staleguard.serve.shadow import ShadowScorer

INLINE_ROWS = 64  # requests up to this size are predicted on the event loop (no thread hop)


async def get_model(request: Request) -> LoadedModel:  # async: resolved inline, not in a thread
    return request.app.state.model


async def get_log(request: Request) -> PredictionLog:
    return request.app.state.log


async def get_shadow(request: Request) -> ShadowScorer | None:
    return getattr(request.app.state, "shadow", None)


async def get_logged(request: Request) -> Logged | None:
    return getattr(request.app.state, "logged", None)


def predict_rows(items: list[Any], model: LoadedModel, log: PredictionLog,
                 shadow: ShadowScorer | None = None, ids: Ids | None = None,
                 logged: Logged | None = None) -> Prediction:
    """Predict and log `items`; with `logged` (serve.corrections: refuse) an id the log already
    holds refuses the whole request before anything is written (AlreadyLogged, 409)."""
    records = [r.model_dump() for r in items]
    given = ids.fill(records) if ids is not None else None
    x = model.encode_records(records)
    pred = model.predict_array(x)
    if logged is not None:
        logged.claim(records)
    log.put(records, pred, model.model_version)
    if shadow is not None and shadow.model.layout == model.layout:  # same x, scored later
        shadow.put(records, x)
    return Prediction(predictions=[round(float(p), 3) for p in pred], model_version=model.model_version,
                      ids=given)


ModelDep = Annotated[LoadedModel, Depends(get_model)]
LogDep = Annotated[PredictionLog, Depends(get_log)]
ShadowDep = Annotated[ShadowScorer | None, Depends(get_shadow)]
LoggedDep = Annotated[Logged | None, Depends(get_logged)]


def validation_handler(missing: dict[str, str]) -> Any:
    """The 422 for a request its schema refuses: `message` is one readable line, the contract's
    words for each bad value (as `staleguard predict` prints them) or for an absent field
    (`missing`: field → words), else the name of each offending field; `detail` lists the same
    problems, one entry each, with their location."""
    labels = {"body", ONE, MANY, "Row", "list[Row]", "Actual", "list[Actual]"}  # shapes, not fields

    async def handle(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems: list[str] = []
        detail: list[dict[str, Any]] = []
        for e in exc.errors():
            loc = e.get("loc") or ()
            last = loc[-1] if loc else None
            words = None  # the contract's
            if e.get("type") == "value_error":
                words = str(e["msg"]).removeprefix("Value error, ")
            elif e.get("type") == "missing" and last in missing:
                words = missing[last]
            detail.append({"type": e.get("type"), "loc": loc, "msg": words or e.get("msg")})
            text = words
            if text is None and isinstance(last, str) and last not in labels and "function-" not in last:
                text = last  # pydantic's own check of a field (a timestamp, an id): name the field
            if text and text not in problems:
                problems.append(text)
        message = "invalid input: " + ("; ".join(problems) if problems else "body")
        return JSONResponse(status_code=422, content={"message": message, "detail": jsonable_encoder(detail)})

    return handle


async def auth_error(request: Request, exc: AuthError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(status_code=exc.status, content={"message": str(exc)}, headers=headers)


async def store_error(request: Request, exc: Exception) -> JSONResponse:
    """The store cannot be reached: the client should retry later (503), its input was fine."""
    return JSONResponse(status_code=503, content={"message": f"store unavailable: {exc}"})


async def data_error(request: Request, exc: Exception) -> JSONResponse:
    """A request that passed its schema but whose rows break the contract once joined (e.g. actuals
    for rows logged with calendar fields that contradict them): 422, never a server error."""
    return JSONResponse(status_code=422, content={"message": f"invalid input: {exc}", "detail": []})


class UnknownId(DataError):
    """/actuals for an id no prediction was logged with (404)."""


async def unknown_id(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"message": f"not found: {exc}", "detail": []})


async def already_logged(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=409, content={"message": f"conflict: {exc}", "detail": []})


def router(params: Params, tokens: Tokens) -> APIRouter:
    """The routes, typed with the schemas generated from params.yaml; a token where one is needed."""
    api = APIRouter()
    rows_type = rows_body(params)
    actual = actual_model(params)
    target = params.features.target
    ident = id_column(params)
    ids = None if ident == TIMESTAMP else Ids(ident, params)

    @api.post("/predict", response_model=Prediction, tags=["predict"],
              dependencies=dependencies(tokens, params.serve.auth.predict))
    async def predict(rows: Annotated[rows_type, Body()], model: ModelDep, log: LogDep,
                      shadow: ShadowDep, logged: LoggedDep) -> Prediction:
        """A few rows take about a millisecond: computed inline; big lists go to the thread pool."""
        items = rows if isinstance(rows, list) else [rows]
        if len(items) <= INLINE_ROWS:
            return predict_rows(items, model, log, shadow, ids, logged)
        return await run_in_threadpool(predict_rows, items, model, log, shadow, ids, logged)

    @api.post("/actuals", response_model=Recorded, tags=["monitor"], dependencies=dependencies(tokens, True))
    def actuals(rows: Annotated[list[actual], Body(min_length=1, max_length=params.serve.max_rows)],
                log: LogDep, shadow: ShadowDep) -> Recorded:
        keys = [getattr(r, ident) for r in rows]
        key = stamps(keys, params) if ident == TIMESTAMP else ids.cast(keys) if ids else keys
        truth = pd.DataFrame({ident: key, target: [getattr(r, target) for r in rows]})
        if ident != TIMESTAMP and truth[ident].duplicated().any():
            raise DataError(f"{ident} {truth[ident][truth[ident].duplicated()].iloc[0]!r} is labeled "
                            "twice in this request; nothing written")
        if shadow is not None:
            shadow.flush()  # its predictions of these rows reach the log first
        if log.unreachable_since() is not None or not log.flush(timeout=params.serve.timeout / 2):
            raise store_format.StoreError(f"the logged predictions are not all in {log.store_url} yet "
                                          f"({'; '.join(log.problems()) or 'still writing'}); retry later")
        return record_actuals(dedupe(truth, params), log.store_url, params)

    @api.get("/health", response_model=Health, tags=["ops"])
    async def health(request: Request, model: ModelDep, log: LogDep) -> Health:
        follower = getattr(request.app.state, "follower", None)
        return Health(status="ok", model_version=model.model_version, pending_log_rows=log.pending_rows,
                      log=log.problems(), follow=follower.status() if follower else None)

    @api.get("/model", response_model=ModelInfo, tags=["ops"])
    async def model_info(model: ModelDep) -> ModelInfo:
        return ModelInfo(**model.info())

    return api


def record_actuals(truth: pd.DataFrame, store_url: str, params: Params) -> Recorded:
    """Join ground truth to the logged predictions by id (contract.key) and write the labeled rows
    as one store batch. By timestamp (one row per period), unmatched periods are listed back; by
    key or row id, a label for an id never predicted refuses the whole request (UnknownId), nothing
    written."""
    target, ident = params.features.target, id_column(params)
    first = last = None
    if ident == TIMESTAMP:
        first, last = truth[TIMESTAMP].min().to_pydatetime(), truth[TIMESTAMP].max().to_pydatetime()
    logged = read_predictions(store_url, first, last, params)
    labeled = pd.DataFrame() if logged is None else logged.drop(columns=[target]).merge(truth, on=ident)
    unmatched = truth.loc[~truth[ident].isin(labeled.get(ident, [])), ident]
    if ident != TIMESTAMP and len(unmatched):
        raise UnknownId(f"unknown {ident} {list(unmatched[:5])}"
                        f"{f' and {len(unmatched) - 5} more' if len(unmatched) > 5 else ''}: no logged "
                        "prediction has it; nothing written")
    source = f"actuals-{time.time_ns()}"
    if len(labeled):
        store_format.write_batch(store_url, labeled[store_format.columns(params)], params, source=source)
    shadow = read_predictions(store_url, first, last, params, shadow=True)
    shadow = None if shadow is None else shadow.drop(columns=[target]).merge(truth, on=ident)
    if shadow is not None and len(shadow):  # the shadow's rows, labeled alike (monitor/shadow_evidence.py)
        store_format.write_batch(shadow_url(store_url), shadow[store_format.columns(params)], params,
                                 source=source)
    return Recorded(labeled=len(labeled),
                    unmatched=[t.to_pydatetime() for t in unmatched] if ident == TIMESTAMP else [])


def create_app(params: Params, model_spec: str, store_url: str, loaded: LoadedModel | None = None,
               repo: str = ".", follow: float | None = None, tokens: Tokens | None = None) -> FastAPI:
    """The app; its lifespan loads the model once (or takes `loaded`) and runs the prediction log.

    With `follow` (seconds), a background thread follows the registry stage of `model_spec` and
    swaps in each new model that passes the start-up checks (serve/follow.py).
    """
    stage = followed_stage(model_spec) if follow else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.model = loaded or load(model_spec, params, repo)
        gc.collect()
        gc.freeze()  # the model and imports never die: keep them out of GC scans (p99 latency)
        app.state.log = PredictionLog(store_url, params, params.serve.flush_rows,
                                      params.serve.flush_seconds).start()
        app.state.logged = logged_index(params, store_url, app.state.log)
        if stage and follow:
            app.state.follower = Follower(app.state, params, stage, follow, repo).start()
        if params.serve.shadow:
            app.state.shadow = start_shadow(params, params.serve.shadow, app.state.log, repo)
        try:
            yield
        finally:
            if stage and follow:
                app.state.follower.close()
            if getattr(app.state, "shadow", None) is not None:
                app.state.shadow.close()
            app.state.log.close()

    app = FastAPI(title="staleguard", version=__version__, lifespan=lifespan,
                  description=f"Predictions of {params.features.target}; every prediction feeds "
                              "the monitor.")
    missing = {**missing_messages(params), params.features.target: missing_problem(params.features.target)}
    app.add_exception_handler(RequestValidationError, validation_handler(missing))
    app.add_exception_handler(AuthError, auth_error)  # type: ignore[arg-type]
    app.add_exception_handler(store_format.StoreError, store_error)
    app.add_exception_handler(DataError, data_error)
    app.add_exception_handler(UnknownId, unknown_id)
    app.add_exception_handler(AlreadyLogged, already_logged)
    app.add_middleware(Limits, max_body=params.serve.max_body_bytes, timeout=params.serve.timeout)
    app.include_router(router(params, Tokens.from_settings(params.serve.auth) if tokens is None else tokens))
    return app


def logged_index(params: Params, store_url: str, log: PredictionLog) -> Logged | None:
    """The ids already logged (serve/ids.py `Logged`), when repeats are refused and ids can
    repeat: not with serve.corrections: replace, nor for ids the server assigns (`key: none`)."""
    ident = id_column(params)
    if params.serve.corrections != "refuse" or ident == ROW_ID:
        return None
    pending = [records for seg in log.backlog for records, _, _, shadow in seg.items() if not shadow]
    return Logged.load(ident, params, store_url, pending)


def start_shadow(params: Params, spec: str, log: PredictionLog, repo: str) -> ShadowScorer | None:
    """The shadow model, loaded with the serving checks; if it cannot be, serve without it."""
    try:
        model = load(spec, params, repo)
    except StaleguardError as err:
        print(f"serve: shadow {spec!r} not loaded, serving without a shadow: {err}", file=sys.stderr)
        return None
    print(f"serve: shadow {model.source.version or spec} ({model.model_version}) scores every request, "
          "off the request path", flush=True)
    return ShadowScorer(model, log).start()


def run(params: Params, model: str, host: str, port: int, store: str | None = None,
        follow: float | None = None) -> None:
    """`staleguard serve`: check access and load (failing fast, before binding), then serve."""
    import uvicorn

    stage = followed_stage(model) if follow else None  # a bad --follow fails before any loading
    tokens = Tokens.from_settings(params.serve.auth)
    access = check_bind(host, tokens, params.serve.auth.allow_no_token)
    loaded = load(model, params)
    url = store_format.resolve(store, params)
    if loaded.source.note:
        print(f"serve: {loaded.source.note}", flush=True)
    print(f"serve: model {loaded.source.version or loaded.model_version} ({loaded.source.path}) "
          f"on http://{host}:{port}; logging predictions to {url}", flush=True)
    print(f"serve: {access}", flush=True)
    if stage:
        print(f"serve: following stage {stage!r} on origin every {follow:g} s", flush=True)
    uvicorn.run(create_app(params, model, url, loaded, follow=follow, tokens=tokens), host=host, port=port,
                access_log=False, log_level="warning")

