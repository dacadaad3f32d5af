"""Errors a service reports to its callers.

Each carries a machine code, a message in Bahasa Indonesia and in English, and the
input fields it is about. The gateway turns them into the documented error shape
``{"error": {"code", "message", "fields"}}`` with the HTTP status of the class.
These are plain exceptions; ``shared.infrastructure.rpc_errors`` registers them with nameko so
they cross RPC as themselves.
"""


class PtspError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message_id, message_en=None, fields=None, code=None):
        super().__init__(message_id, message_en or message_id, fields or {}, code or self.code)

    @property
    def message_id(self):
        return self.args[0]

    @property
    def message_en(self):
        return self.args[1]

    @property
    def fields(self):
        return self.args[2]

    @property
    def error_code(self):
        return self.args[3]

    def message(self, language="id"):
        return self.message_en if language == "en" else self.message_id

    def __str__(self):
        return self.message_en


class InvalidInput(PtspError):
    status = 422
    code = "invalid_input"


class NotFound(PtspError):
    status = 404
    code = "not_found"


class Conflict(PtspError):
    status = 409
    code = "conflict"


class Unauthorized(PtspError):
    status = 401
    code = "unauthorized"


class Forbidden(PtspError):
    status = 403
    code = "forbidden"


class Unavailable(PtspError):
    """A server the request needs (PostgreSQL, RabbitMQ, Redis) or the service that
    would answer it is unreachable, or the caller's deadline passed: nothing was
    changed, try again shortly (HTTP 503 with Retry-After)."""
    status = 503
    code = "unavailable"
    retry_after_s = 2
    retry_after = retry_after_s  # sent as Retry-After

    def __init__(self, message_id=None, message_en=None, fields=None, code=None):
        super().__init__(message_id or "Layanan sedang tidak tersedia. Coba lagi sebentar lagi.",
                         message_en or "The service is unavailable. Please try again shortly.", fields, code)


class UnsupportedMediaType(PtspError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(PtspError):
    """Refused for now: try again after ``retry_after`` seconds (sent as Retry-After)."""
    status = 429
    code = "too_many_requests"

    def __init__(self, message_id, message_en=None, fields=None, code=None, retry_after=1):
        Exception.__init__(self, message_id, message_en or message_id, fields or {}, code or self.code,
                           max(1, int(retry_after)))

    @property
    def retry_after(self):
        return self.args[4]


ALL_ERRORS = (PtspError, InvalidInput, NotFound, Conflict, Unauthorized, Forbidden, TooManyRequests,
              UnsupportedMediaType, Unavailable)
