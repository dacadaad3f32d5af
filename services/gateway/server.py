"""The gateway's HTTP server: nameko's WebServer, made strict.

nameko's ``http`` entrypoint runs on eventlet 0.33.3's WSGI server (pinned with
nameko 2.14). This module subclasses the two and keeps the rest of nameko as is:

- no body on 1xx, 204, 304 or HEAD answers: eventlet 0.33 frames every answer
  without Content-Length as chunked and ends it with ``0\\r\\n\\r\\n``, which a
  keep-alive client reads as the start of the next answer (fixed upstream in
  eventlet 0.38, eventlet/eventlet#747; the protocol below does the same here);
- every error the router or nameko produces (404, 405, 413, 500...) in the
  documented JSON shape ``{"error": {"code", "message", "fields"}}``;
- redirects (werkzeug's slash merging) are relative, never built from the Host header;
- a body limit checked before anything reads the body (413, connection closed);
- socket timeouts, so a half-sent request or a Content-Length larger than the body
  is dropped after ``HTTP_SOCKET_TIMEOUT_S``;
- path converters that refuse control characters, over-long segments and numbers
  too long for ``int()`` (404 instead of a 500);
- a one-line access log without query strings or ticket ids (a ticket id is the
  handle to a citizen's ticket; logs must not collect them).

Every gateway entrypoint must use ``http`` from here: nameko shares one server per
server class, and two servers cannot bind the same port.
"""
import json
import logging
import re
import socket
import time
from urllib.parse import urlsplit

from eventlet import wsgi
from nameko.exceptions import ContainerBeingKilled, IncorrectSignature
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import BaseConverter, IntegerConverter, Map, PathConverter, RequestRedirect
from werkzeug.wrappers import Request, Response

from shared.contracts import field_text

log = logging.getLogger(__name__)
access_log = logging.getLogger("services.gateway.access")

DEFAULT_SOCKET_TIMEOUT_S = 30
DEFAULT_MAX_BODY_BYTES = 256 * 1024
# After refusing a body unread, read and drop what the client still sends for this
# long before closing: closing with unread data makes the kernel send a reset, which
# can destroy the 413 before the client reads it (nginx's "lingering close").
LINGER_S = 2.0
# Set in the WSGI environ by the app when the connection must not be reused (the
# request body was refused unread, or it never arrived in full).
CLOSE_CONNECTION = "ptsp.close_connection"

# --- path converters -----------------------------------------------------------------

NO_CONTROL = r"[^/\x00-\x1f\x7f]"


class SegmentConverter(BaseConverter):
    """A path segment of at most 200 characters, none of them a control character
    (replaces werkzeug's default string converter, which takes any length)."""
    regex = NO_CONTROL + "{1,200}"


class BoundedIntConverter(IntegerConverter):
    """At most nine digits: a 4,400-digit counter number is a 404, not a ValueError
    from ``int()`` (Python refuses to convert more than 4,300 digits)."""
    regex = r"\d{1,9}"


class BoundedPathConverter(PathConverter):
    """A file path under /static: at most 300 characters, no control characters."""
    regex = r"[^/\x00-\x1f\x7f][^\x00-\x1f\x7f]{0,299}"


CONVERTERS = {"default": SegmentConverter, "string": SegmentConverter, "int": BoundedIntConverter,
              "path": BoundedPathConverter}

# --- the JSON error shape ----------------------------------------------------------------

HTTP_ERRORS = {
    400: ("bad_request", "Permintaan tidak valid.", "Bad request."),
    404: ("not_found", "Alamat tidak ditemukan.", "Not found."),
    405: ("method_not_allowed", "Metode tidak diizinkan untuk alamat ini.", "Method not allowed for this address."),
    408: ("request_timeout", "Permintaan tidak lengkap.", "The request did not arrive in full."),
    411: ("length_required", "Content-Length diperlukan.", "Content-Length is required."),
    413: ("body_too_large", "Badan permintaan terlalu besar.", "The request body is too large."),
    500: ("internal", "Terjadi kesalahan pada sistem.", "Something went wrong on our side."),
    503: ("unavailable", "Layanan sedang tidak tersedia. Coba lagi sebentar lagi.",
          "The service is unavailable. Please try again shortly."),
}


def wants_english(environ):
    query = environ.get("QUERY_STRING", "")
    if re.search(r"(^|&)lang=en", query):
        return True
    return environ.get("HTTP_ACCEPT_LANGUAGE", "").strip().lower().startswith("en")


def http_error(environ, status, fields=None, headers=None):
    code, message_id, message_en = HTTP_ERRORS.get(status, (f"http_{status}", f"HTTP {status}", f"HTTP {status}"))
    body = {"error": {"code": code, "message": message_en if wants_english(environ) else message_id,
                      "fields": fields or {}, "details": field_text.details(fields, message_id)}}
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/json")


def relative_redirect(exc: RequestRedirect):
    """werkzeug builds ``new_url`` from the Host header; send only its path."""
    target = urlsplit(exc.new_url)
    location = target.path + (f"?{target.query}" if target.query else "")
    if not location.startswith("/") or location.startswith("//"):
        return None
    return Response(status=exc.code, headers={"Location": location})


# --- access log ------------------------------------------------------------------------------

ID_PARENTS = {"t", "tickets", "applications"}
TOKEN_LIKE = re.compile(r"^[A-Za-z0-9_-]{16,}$")


def redact_path(path):
    """The path with ids and tokens replaced by ``{id}``, control characters escaped
    and length capped: what the access log may show."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        if (i > 0 and segments[i - 1] in ID_PARENTS and segment) or TOKEN_LIKE.match(segment):
            segments[i] = "{id}"
    shown = "/".join(segments)
    shown = shown.encode("unicode_escape", "backslashreplace").decode("ascii")
    return shown if len(shown) <= 120 else shown[:120] + "…"


def redact_request_line(line):
    method, _, rest = line.partition(" ")
    target = rest.rsplit(" ", 1)[0] if " " in rest else rest
    path, has_query, _ = target.partition("?")
    return f"{method[:10]} {redact_path(path)}{'?…' if has_query else ''}"


# --- the protocol ---------------------------------------------------------------------------------

class _BodilessFraming:
    """Stands in for the connection's file while an answer that has no body (HEAD,
    1xx, 204, 304) is written: passes the status line and headers without the
    ``Transfer-Encoding: chunked`` eventlet adds, and drops anything after them."""

    def __init__(self, wfile, answer):
        self.wfile, self.answer, self.headers_done = wfile, answer, False

    def writelines(self, parts):
        if not self.answer.get("bodiless"):
            return self.wfile.writelines(parts)
        kept = []
        for part in parts:
            if self.headers_done:
                break
            if part == b"\r\n":
                self.headers_done = True
            elif part.lower() == b"transfer-encoding: chunked\r\n":
                continue
            kept.append(part)
        return self.wfile.writelines(kept)

    def __getattr__(self, name):
        return getattr(self.wfile, name)


class StrictHttpProtocol(HttpOnlyProtocol):
    linger = False

    def parse_request(self):
        ok = super().parse_request()
        # eventlet logs (and quotes in its error lines) the request line: redact it.
        self.requestline = redact_request_line(self.requestline or "")
        return ok

    def log_request(self, code="-", size="-"):
        # http.server's own line for a malformed request (400, 505) quotes the raw line.
        access_log.info("%s %s", redact_request_line(self.requestline or ""), code)

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        access_log.info("refused malformed request from the client")

    def finish(self):
        if self.linger:
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                self.connection.settimeout(0.5)
                deadline = time.monotonic() + LINGER_S
                while time.monotonic() < deadline and self.connection.recv(65536):
                    pass
            except OSError:
                pass
        super().finish()

    def handle_one_response(self):
        app, wfile = self.application, self.wfile
        answer = {}

        def application(environ, start_response):
            def start(status, headers, exc_info=None):
                code = int(status.split(" ", 1)[0])
                answer["bodiless"] = environ["REQUEST_METHOD"] == "HEAD" or code in (204, 304) or code < 200
                if environ.get(CLOSE_CONNECTION):
                    self.close_connection = 1  # eventlet then sends Connection: close and skips the body
                    self.linger = True
                return start_response(status, headers, exc_info)
            return app(environ, start)

        self.application, self.wfile = application, _BodilessFraming(wfile, answer)
        try:
            super().handle_one_response()
        finally:
            self.application, self.wfile = app, wfile


# --- the nameko server and WSGI app --------------------------------------------------------------------

class GatewayWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        try:
            response = self.respond(environ)
        except Exception as exc:  # noqa: BLE001 - one line, never the message (it may quote input)
            log.error("%s %s failed: %s", environ.get("REQUEST_METHOD"), redact_path(environ.get("PATH_INFO", "")),
                      type(exc).__name__)
            response = http_error(environ, 500)
        return response(environ, start_response)

    def respond(self, environ):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except RequestRedirect as exc:
            return relative_redirect(exc) or http_error(environ, 404)
        except MethodNotAllowed as exc:
            return http_error(environ, 405, headers={"Allow": ", ".join(exc.valid_methods or [])})
        except HTTPException as exc:
            return http_error(environ, exc.code or 500)
        if environ.get("HTTP_TRANSFER_ENCODING"):
            # werkzeug 2.2 reads a chunked body as empty; refuse it rather than guess.
            environ[CLOSE_CONNECTION] = True
            return http_error(environ, 411)
        limit = getattr(provider, "max_body", None) or self.server.max_body
        if request.content_length is not None and request.content_length > limit:
            environ[CLOSE_CONNECTION] = True  # never read (or discard) the refused body
            return http_error(environ, 413, {"body": f"at most {limit} bytes"})
        request.path_values = values
        return provider.handle_request(request)


class GatewayWebServer(WebServer):
    """nameko's WebServer with the strict protocol, socket timeouts, the body limit,
    bounded path converters and the JSON error shape."""

    @property
    def max_body(self):
        return int(self.container.config.get("HTTP_MAX_BODY_BYTES") or DEFAULT_MAX_BODY_BYTES)

    def get_wsgi_app(self):
        return GatewayWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=StrictHttpProtocol, debug=False):
        timeout = float(self.container.config.get("HTTP_SOCKET_TIMEOUT_S") or DEFAULT_SOCKET_TIMEOUT_S)
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=access_log, log_format="%(request_line)s %(status_code)s %(wall_seconds).3fs",
                           socket_timeout=timeout)

    def make_url_map(self):
        url_map = Map(converters=CONVERTERS)
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map


class GatewayHttp(HttpRequestHandler):
    server = GatewayWebServer()

    def __init__(self, method, url, max_body=None, **kwargs):
        self.max_body = max_body  # a route that takes uploads may allow more than the default
        super().__init__(method, url, **kwargs)

    def response_from_exception(self, exc):
        # Entrypoints built with web.route answer their own errors; this is the rest
        # (plain pages, a container shutting down). One line, no message, no traceback.
        environ = {}
        if isinstance(exc, ContainerBeingKilled):
            return http_error(environ, 503, headers={"Retry-After": "2"})
        if isinstance(exc, IncorrectSignature):
            return http_error(environ, 400)
        log.error("%s %s failed: %s", self.method, self.url, type(exc).__name__)
        return http_error(environ, 500)


http = GatewayHttp.decorator
