"""HTTP plumbing of the gateway: the route table (which also feeds the OpenAPI
document), JSON answers, and the translation of every failure into the documented
error shape ``{"error": {"code", "message", "fields"}}``."""
import functools
import json
import logging
import traceback
from dataclasses import dataclass, field
from typing import Optional

import eventlet
from nameko.exceptions import RemoteError
from nameko.web.handlers import http
from pydantic import BaseModel, ValidationError
from werkzeug.wrappers import Response

from shared.errors import InvalidInput, PtspError, UnsupportedMediaType

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
    auth: bool = False
    extra_statuses: dict = field(default_factory=dict)
    name: str = ""
    # Refuse a body that is not declared application/json (415): a cross-site form or
    # text/plain fetch cannot send one without a CORS preflight this API never grants.
    json_only: bool = False
    # Request headers the route reads, for the OpenAPI document: name -> (required, description).
    headers: dict = field(default_factory=dict)


ROUTES: list[Route] = []


def route(method, path, summary, tags=("api",), body=None, answer=None, status=200, auth=False,
          extra_statuses=None, json_only=False, headers=None):
    """Register an API entrypoint: a nameko ``@http`` handler whose failures become
    documented JSON errors. ``body`` (a pydantic model) is validated and passed to
    the handler as ``body``."""
    spec = Route(method, path, summary, list(tags), body, answer, status, auth, dict(extra_statuses or {}),
                 json_only=json_only, headers=dict(headers or {}))
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
                if json_only and request.mimetype != "application/json":
                    raise UnsupportedMediaType(
                        "Content-Type harus application/json.", "Content-Type must be application/json.",
                        {"Content-Type": "must be application/json"})
                if body is not None:
                    path_args["body"] = parse_body(request, body)
                with eventlet.Timeout(RPC_TIMEOUT_S, ServiceUnavailable):
                    result = handler(self, request, **path_args)
            except PtspError as exc:
                response = error_response(exc.status, exc.error_code, exc.message(language), exc.fields)
                if getattr(exc, "retry_after", None):
                    response.headers["Retry-After"] = str(exc.retry_after)
                return response
            except ServiceUnavailable:
                return error_response(503, "unavailable", *UNAVAILABLE[language == "en"], {})
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

        return http(method, path)(entrypoint)

    return decorate


class ServiceUnavailable(Exception):
    pass


UNAVAILABLE = (("Layanan sedang tidak tersedia. Coba lagi sebentar lagi.",),
               ("The service is unavailable. Please try again shortly.",))
INTERNAL = (("Terjadi kesalahan pada sistem.",), ("Something went wrong on our side.",))


def language_of(request):
    wanted = request.args.get("lang") or request.headers.get("Accept-Language", "")
    return "en" if wanted.strip().lower().startswith("en") else "id"


def parse_body(request, model: type[BaseModel]):
    raw = request.get_data(cache=True)
    if not raw.strip():
        data = {}
    else:
        try:
            data = json.loads(raw)
        except ValueError:
            raise InvalidInput("Badan permintaan bukan JSON yang valid.", "The request body is not valid JSON.",
                               {"body": "invalid JSON"}, code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("Badan permintaan harus objek JSON.", "The request body must be a JSON object.",
                           {"body": "must be an object"})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def invalid_input(exc: ValidationError):
    fields = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, error["msg"])
    names = ", ".join(fields)
    return InvalidInput(f"Data tidak valid: {names}.", f"Invalid input: {names}.", fields)


def json_response(data, status=200, headers=None):
    if status == 204:
        return Response(status=204, headers=headers)
    return Response(json.dumps(data, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/json")


def error_response(status, code, message, fields):
    return json_response({"error": {"code": code, "message": message, "fields": fields}}, status)
