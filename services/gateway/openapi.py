"""The OpenAPI 3 document of the gateway, generated from the route table and the
pydantic models of ``schemas.py``."""
import re

from pydantic.json_schema import models_json_schema

from services.gateway import schemas
from services.gateway.web import ROUTES

PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def openapi_document(public_url):
    models = {r.body for r in ROUTES if r.body} | {m for r in ROUTES for m in answer_models(r.answer)}
    models.add(schemas.ErrorAnswer)
    _, definitions = models_json_schema([(m, "validation") for m in sorted(models, key=lambda m: m.__name__)],
                                        ref_template="#/components/schemas/{model}")
    paths = {}
    for r in ROUTES:
        path = PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", r.path)
        operation = {
            "operationId": r.name, "summary": r.summary, "tags": r.tags,
            "parameters": [
                {"name": name, "in": "path", "required": True,
                 # The gateway's path converters (services/gateway/server.py) bound both.
                 "schema": {"type": "integer", "minimum": 0, "maximum": 999_999_999} if kind == "int" else
                 {"type": "string", "minLength": 1, "maxLength": 200}}
                for kind, name in PATH_PARAM.findall(r.path)] + [
                {"name": name, "in": "header", "required": required, "description": description,
                 "schema": {"type": "string"}}
                for name, (required, description) in r.headers.items()] + [
                {"name": name, "in": "query", "required": required, "description": description,
                 "schema": {"type": "string", "maxLength": 40}}
                for name, (required, description) in r.query.items()],
            "responses": {str(r.status): answer_spec(r.answer, r.status)},
        }
        for status, description in r.extra_statuses.items():
            operation["responses"][str(status)] = error_spec(description) if status >= 400 else {
                "description": description}
        if r.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{r.body.__name__}"}}}}
            operation["responses"].setdefault("422", error_spec("invalid input; `fields` names each bad field"))
        if r.auth:
            operation["x-roles"] = list(r.auth)
            operation["security"] = [{"bearer": []}]
            operation["responses"].setdefault("401", error_spec("missing, invalid or expired token"))
            operation["responses"].setdefault("403", error_spec("not allowed for this officer"))
        paths.setdefault(path, {})[r.method.lower()] = operation
    return {
        # 3.1: its schemas are JSON Schema 2020-12, which pydantic writes (3.0 has no "null" type).
        "openapi": "3.1.0",
        "info": {"title": "PTSP queue", "version": "1.0.0",
                 "description": "Queue and service flow of a Polres one-stop service office (PTSP). "
                                "Errors are {\"error\": {\"code\", \"message\", \"fields\"}}; messages are in "
                                "Bahasa Indonesia unless `Accept-Language: en` is sent."},
        "servers": [{"url": public_url}],
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    }


def answer_models(answer):
    if answer is None:
        return []
    if isinstance(answer, list):
        return answer
    return [answer]


def answer_spec(answer, status):
    if answer is None:
        return {"description": "no content" if status == 204 else "ok"}
    if isinstance(answer, list):
        schema = {"type": "array", "items": {"$ref": f"#/components/schemas/{answer[0].__name__}"}}
    else:
        schema = {"$ref": f"#/components/schemas/{answer.__name__}"}
    return {"description": "ok", "content": {"application/json": {"schema": schema}}}


def error_spec(description):
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorAnswer"}}}}
