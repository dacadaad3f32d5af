"""HTTP plumbing of the gateway: the route table (which also feeds the OpenAPI
document), JSON answers, and the translation of every failure into the documented
error shape ``{"error": {"code", "message", "fields"}}``."""
import functools
import json
import logging
import re
import traceback
from dataclasses import dataclass, field
from typing import Optional

import eventlet
import kombu.exceptions
import psycopg
import redis.exceptions
from nameko.exceptions import RemoteError
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Response

from shared.contracts import field_text
from services.gateway.server import CLOSE_CONNECTION, http
from shared.contracts.enums import ROLES, SUPERVISOR_ROLES
from shared.contracts.errors import InvalidInput, PtspError, Unavailable, UnsupportedMediaType

log = logging.getLogger(__name__)

RPC_TIMEOUT_S = 10


@dataclass
class Route:
    method: str
    path: str
    summary: str
    tags: list
    body: Optional[type] = None
    answer: Optional[object] = None
    status: int = 200
    auth: tuple = ()  # the roles allowed; empty: anyone
    extra_statuses: dict = field(default_factory=dict)
    name: str = ""
    max_body: Optional[int] = None
    # Refuse a body that is not declared application/json (415): a cross-site form or
    # text/plain fetch cannot send one without a CORS preflight this API never grants.
    json_only: bool = False
    # Request headers the route reads, for the OpenAPI document: name -> (required, description).
    headers: dict = field(default_factory=dict)
    # Query parameters the route reads, for the OpenAPI document: name -> (required, description).
    query: dict = field(default_factory=dict)


ROUTES: list[Route] = []

# Who may call a route (``route(auth=…)``).
OFFICERS = ROLES                  # counter officers, and supervisors and admins acting at a counter
SUPERVISORS = SUPERVISOR_ROLES


def route(method, path, summary, tags=("api",), body=None, answer=None, status=200, auth=(),
          extra_statuses=None, max_body=None, json_only=False, headers=None, query=None):
    """Register an API entrypoint: a nameko ``@http`` handler whose failures become
    documented JSON errors.

    ``auth``: the roles allowed (e.g. ``OFFICERS``); the route checks the bearer
    token's live session and the officer's role before anything else (401, 403)
    and passes the officer to the handler as ``officer``. ``body`` (a pydantic
    model) is validated and passed as ``body``. ``max_body`` raises the server's
    body limit (bytes) for this route only; ``json_only`` refuses a body not
    declared application/json (415); ``headers`` documents the request headers the
    route reads; ``query`` the query parameters it reads."""
    if auth and not set(auth) <= set(ROLES):
        raise ValueError(f"unknown roles in {auth}")
    spec = Route(method, path, summary, list(tags), body, answer, status, tuple(auth), dict(extra_statuses or {}),
                 max_body=max_body, json_only=json_only, headers=dict(headers or {}),
                 query=dict(query or {}))
    if json_only:
        spec.extra_statuses.setdefault(415, "Content-Type is not application/json")
    ROUTES.append(spec)

    def decorate(handler):
        spec.name = handler.__name__

        @functools.wraps(handler)
        def entrypoint(self, request, **path_args):
            response = answer_of(self, request, path_args)
            metrics = getattr(self, "metrics", None)
            if metrics is not None:
                metrics.responses.labels(spec.name, str(response.status_code)).inc()
            return response

        def answer_of(self, request, path_args):
            language = language_of(request)
            try:
                if spec.auth:
                    # Who asks comes first: no validation detail for a caller who may not ask.
                    path_args["officer"] = self.authorize(request, spec.auth)
                if json_only and request.mimetype != "application/json":
                    raise UnsupportedMediaType(
                        "Content-Type harus application/json.", "Content-Type must be application/json.",
                        {"Content-Type": "must be application/json"})
                if body is not None:
                    path_args["body"] = parse_body(request, body)
                with eventlet.Timeout(RPC_TIMEOUT_S, ServiceUnavailable):
                    result = handler(self, request, **path_args)
            except PtspError as exc:
                # A refusal is an answer: one line, with field names but never their values.
                log.info("%s %s refused: %s %s %s", method, spec.name, exc.status, exc.error_code,
                         loggable_fields(exc.fields))
                headers = {"WWW-Authenticate": 'Bearer realm="ptsp"'} if exc.status == 401 else {}
                if getattr(exc, "retry_after", None):  # 429 and 503
                    headers["Retry-After"] = str(exc.retry_after)
                return error_response(exc.status, exc.error_code, exc.message(language), exc.fields, headers or None,
                                      message_id=exc.message_id)
            except (ServiceUnavailable, *SERVER_DOWN) as exc:
                # A server (RabbitMQ, Redis, PostgreSQL) is down or the answer is late:
                # nothing was done, the client retries (invariant 8).
                log.warning("%s %s: unavailable (%s)", method, spec.name, type(exc).__name__)
                return error_response(503, "unavailable", *UNAVAILABLE[language == "en"], {},
                                      {"Retry-After": str(Unavailable.retry_after_s)})
            except RemoteError as exc:
                log.error("%s %s: remote %s", method, spec.name, exc.exc_type)
                return error_response(500, "internal", *INTERNAL[language == "en"], {})
            except Exception as exc:  # noqa: BLE001
                # The message may quote input (personal data): log where, not what.
                log.error("%s %s failed: %s\n%s", method, spec.name, type(exc).__name__,
                          "".join(traceback.format_tb(exc.__traceback__)))
                return error_response(500, "internal", *INTERNAL[language == "en"], {})
            if isinstance(result, Response):
                return result
            return json_response(result, spec.status)

        return http(method, path, max_body=max_body)(entrypoint)

    return decorate


class ServiceUnavailable(Exception):
    pass


# Failures that mean "a server is unreachable", not "a bug": answered 503.
SERVER_DOWN = (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
               psycopg.OperationalError, ConnectionError)


UNAVAILABLE = (("Layanan sedang tidak tersedia. Coba lagi sebentar lagi.",),
               ("The service is unavailable. Please try again shortly.",))
INTERNAL = (("Terjadi kesalahan pada sistem.",), ("Something went wrong on our side.",))


FIELD_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


def loggable_fields(fields):
    """Field names for the log; a name that is not a plain identifier (an unknown key
    a client sent may be anything, an e-mail address even) is not repeated."""
    return ",".join(name if FIELD_NAME.match(str(name)) else "<other>" for name in fields) or "-"


def language_of(request):
    wanted = request.args.get("lang") or request.headers.get("Accept-Language", "")
    return "en" if wanted.strip().lower().startswith("en") else "id"


class RequestTimeout(PtspError):
    status = 408
    code = "request_timeout"


MAX_JSON_DEPTH = 32
# Refused in every string of a body, keys included: NUL breaks PostgreSQL text and
# the others have no place in names, codes or notes (tab and newlines are allowed).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_body(request, model: type[BaseModel]):
    try:
        raw = request.get_data(cache=True)
    except (OSError, ClientDisconnected):  # socket timeout: Content-Length larger than what was sent
        request.environ[CLOSE_CONNECTION] = True
        raise RequestTimeout("Badan permintaan tidak lengkap.", "The request body did not arrive in full.",
                             {"body": "incomplete"}) from None
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise InvalidInput("Badan permintaan bukan JSON yang valid.", "The request body is not valid JSON.",
                               {"body": "invalid JSON"}, code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("Badan permintaan harus objek JSON.", "The request body must be a JSON object.",
                           {"body": "must be an object"})
    check_strings(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def check_strings(data):
    """Refuse control characters in any string and nesting deeper than MAX_JSON_DEPTH,
    naming the field. Iterative, so a deep body cannot exhaust the stack here."""
    pending = [((), data)]
    while pending:
        path, value = pending.pop()
        name = ".".join(str(part) for part in path) or "body"
        if len(path) > MAX_JSON_DEPTH:
            raise InvalidInput("Data bersarang terlalu dalam.", "The body is nested too deeply.",
                               {name: "nested too deeply"})
        if isinstance(value, dict):
            for key, item in value.items():
                if CONTROL_CHARACTERS.search(key):
                    raise InvalidInput("Nama kolom tidak valid.", "Invalid field name.",
                                       {name: "control characters are not allowed in field names"})
                pending.append((path + (key,), item))
        elif isinstance(value, list):
            pending.extend((path + (i,), item) for i, item in enumerate(value))
        elif isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            raise InvalidInput(f"Data tidak valid: {name}.", f"Invalid input: {name}.",
                               {name: "control characters are not allowed"})


def invalid_input(exc: ValidationError):
    fields = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, error["msg"])
    return InvalidInput(*field_text.summary(fields), fields)


def json_response(data, status=200, headers=None):
    if status == 204:
        return Response(status=204, headers=headers)
    return Response(json.dumps(data, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/json")


def error_response(status, code, message, fields, headers=None, message_id=None):
    """The documented error shape; ``details`` gives each field's message in both
    languages (shared.contracts.field_text), ``message_id`` being the Indonesian
    message that stands in for a note no template knows."""
    return json_response({"error": {"code": code, "message": message, "fields": fields,
                                    "details": field_text.details(fields, message_id or message)}},
                         status, headers)
