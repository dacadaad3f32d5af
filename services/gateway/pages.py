"""The hall in the browser: the pages and the few endpoints only they need.

``PageRoutes`` is a mixin for the gateway service class (nameko collects entrypoints
and dependency providers from base classes). It serves

- the pages ``/kiosk``, ``/kiosk/check-in``, ``/counter``, ``/display``, ``/admin``, ``/reports`` and the
  citizen's status page ``/t/<ticket_id>`` (the ``track_url``), rendered with Jinja2
  (autoescape on) and driven by plain ES modules under ``/static`` — no build step;
- ``/static/<path>``: CSS, JS, fonts, the chime;
- ``GET /api/speech?text=&voice=``: an announcement rendered by espeak-ng (WAV), the
  display board's fallback when the browser has no Indonesian voice;
- ``GET /api/tickets/<id>/qr.svg``: the QR code of a ticket's status page (with the
  access key the kiosk sends in ``X-Ticket-Key``, so the key stays out of URLs and logs);
- ``POST /api/tickets/<id>/print``: ESC/POS printing on the kiosk's thermal printer
  (``KIOSK_PRINTERS``, see services/gateway/printing.py).

Everything a page shows comes from the public JSON API; nothing here holds domain rules.
"""
import hashlib
import io
import json
import logging
import mimetypes
import re
from pathlib import Path
from typing import Literal

import jinja2
from pydantic import BaseModel, Field
from werkzeug.wrappers import Response

from services.gateway import printing, speech
from services.gateway.server import http
from services.gateway.web import route
from shared.contracts.errors import InvalidInput, NotFound, PtspError

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
STRINGS = json.loads((STATIC / "i18n" / "strings.json").read_text("utf-8"))
LANGS = ("id", "en")
TICKET_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_jinja = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True, lstrip_blocks=True)

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".wav": "audio/wav",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}

# A page may load only what this gateway serves; no inline script runs.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self' blob:; font-src 'self'; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",   # the status page's URL is the ticket's key
    "X-Frame-Options": "DENY",
}


class PrintRequest(BaseModel):
    kiosk: str = Field(pattern=printing.KIOSK_ID_RE.pattern, description="the kiosk's id in KIOSK_PRINTERS")
    language: Literal["id", "en"] = "id"


class PrintAnswer(BaseModel):
    printed: bool
    kiosk: str
    paper: int


class SpeechUnavailable(PtspError):
    status = 503
    code = "speech_unavailable"


class PrinterFailed(PtspError):
    status = 502
    code = "printer_error"


TRACKING_CODE_RE = re.compile(r"^[A-HJKMNP-Z2-9]{12}$")


def t(key, lang="id", **values):
    entry = STRINGS.get(key)
    text = entry.get(lang) or entry.get("id") if entry else key
    for name, value in values.items():
        text = text.replace("{%s}" % name, str(value))
    return text


def request_lang(request):
    """?lang= first, then the page's cookie, then Bahasa Indonesia."""
    lang = request.args.get("lang") or request.cookies.get("ptsp_lang") or "id"
    return lang if lang in LANGS else "id"


def _static_version():
    """A short hash of every static file, for cache-busting URLs in templates."""
    digest = hashlib.sha1()
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(STATIC)).encode())
            digest.update(str(path.stat().st_mtime_ns).encode())
    return digest.hexdigest()[:10]


class PageRoutes:
    """Mixin for the gateway service: pages, static files, speech, QR, printing.

    The service class provides ``settings`` (shared.infrastructure.config.SettingsProvider) and
    ``page_ticket_view(ticket_id)`` / ``page_site()``, which ask the queue service."""

    _speech_cache = speech.SpeechCache()

    # -- pages -------------------------------------------------------------------

    @http("GET", "/kiosk")
    def page_kiosk(self, request):
        kiosk = request.args.get("kiosk", "")
        printers = self._kiosk_printers()
        return self._render(request, "kiosk", extra={
            "kiosk": kiosk if printing.KIOSK_ID_RE.match(kiosk or "") else "",
            "printers": {k: p.public() for k, p in printers.items()},
        })

    @http("GET", "/kiosk/check-in")
    def page_kiosk_checkin(self, request):
        """The kiosk's check-in of an online registration (tracking code typed or scanned)."""
        kiosk = request.args.get("kiosk", "")
        return self._render(request, "kiosk-checkin", extra={
            "kiosk": kiosk if printing.KIOSK_ID_RE.match(kiosk or "") else "",
            "printers": {k: p.public() for k, p in self._kiosk_printers().items()},
        })

    @http("GET", "/counter")
    def page_counter(self, request):
        return self._render(request, "counter")

    @http("GET", "/display")
    def page_display(self, request):
        return self._render(request, "display")

    @http("GET", "/admin")
    def page_admin(self, request):
        return self._render(request, "admin")

    @http("GET", "/reports")
    def page_reports(self, request):
        return self._render(request, "reports")

    @http("GET", "/t/<ticket_id>")
    def page_ticket_status(self, request, ticket_id):
        if not TICKET_ID_RE.match(ticket_id):
            return self._render(request, "status", extra={"ticket_id": ""}, status=404)
        return self._render(request, "status", extra={"ticket_id": ticket_id})

    @http("GET", "/a/<tracking_code>")
    def page_application_status(self, request, tracking_code):
        """The applicant's journey: steps, where they are, their current ticket."""
        code = tracking_code.replace("-", "").upper()
        if not TRACKING_CODE_RE.match(code):
            return self._render(request, "application", extra={"tracking_code": ""}, status=404)
        return self._render(request, "application", extra={"tracking_code": code})

    # -- static files ------------------------------------------------------------

    @http("GET", "/static/<path:path>")
    def static_file(self, request, path):
        target = static_target(path)
        if target is None:
            return Response(json.dumps(STATIC_NOT_FOUND), status=404, mimetype="application/json")
        stat = target.stat()
        etag = '"%x-%x"' % (stat.st_mtime_ns, stat.st_size)
        headers = {"ETag": etag, "Cache-Control": "no-cache",
                   "X-Content-Type-Options": "nosniff"}
        if request.args.get("v"):
            headers["Cache-Control"] = "public, max-age=31536000, immutable"
        if etag in request.headers.get("If-None-Match", ""):
            return Response(status=304, headers=headers)
        ctype = CONTENT_TYPES.get(target.suffix) or (
            mimetypes.guess_type(target.name)[0] or "application/octet-stream")
        return Response(target.read_bytes(), status=200, headers=headers,
                        content_type=ctype)

    # -- speech, QR, printing ----------------------------------------------------

    @route("GET", "/api/speech", "An announcement spoken by espeak-ng (WAV); query: text, voice=id|en",
           tags=["display"], extra_statuses={422: "text empty, too long or not speakable",
                                             503: "espeak-ng not installed"})
    def speech_audio(self, request):
        voice = request.args.get("voice", "id")
        if voice not in speech.VOICES:
            raise InvalidInput("Suara tidak dikenal.", "Unknown voice.", {"voice": "id | en"})
        try:
            data = self._speech_cache.get(request.args.get("text", ""), voice=voice)
        except ValueError as exc:
            raise InvalidInput("Teks tidak dapat diucapkan.", "The text cannot be spoken.", {"text": str(exc)})
        except speech.SpeechError as exc:
            log.warning("speech rendering failed: %s", exc)
            raise SpeechUnavailable("Suara dari server tidak tersedia.", "Server speech is not available.")
        return Response(data, status=200, content_type="audio/wav", headers={
            "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})

    @route("GET", "/api/tickets/<ticket_id>/qr.svg", "QR code (SVG) of the ticket's status page (track_url, "
           "with the access key sent in X-Ticket-Key)", tags=["kiosk"], extra_statuses={404: "not a ticket id"},
           headers={"X-Ticket-Key": (False, "the ticket's access_key, to put into the QR's link")})
    def ticket_qr(self, request, ticket_id):
        if not TICKET_ID_RE.match(ticket_id):
            raise NotFound("Tiket tidak ditemukan.", "No such ticket.", {"ticket_id": "not a ticket id"})
        key = request.headers.get("X-Ticket-Key")
        svg = qr_svg(self._track_url(ticket_id, key))
        # A QR holding a key is the holder's: no shared cache may keep it.
        cache = "private, no-store" if key else "public, max-age=86400"
        return Response(svg, status=200, content_type="image/svg+xml", headers={
            "Cache-Control": cache, "X-Content-Type-Options": "nosniff", "Vary": "X-Ticket-Key"})

    @route("POST", "/api/tickets/<ticket_id>/print", "Print the ticket on the kiosk's ESC/POS printer (KIOSK_PRINTERS)",
           tags=["kiosk"], body=PrintRequest, answer=PrintAnswer,
           extra_statuses={404: "no such ticket, or no printer for this kiosk", 502: "the printer failed"},
           headers={"X-Ticket-Key": (False, "the ticket's access_key, to print into the QR's link")})
    def ticket_print(self, request, ticket_id, body):
        spec = self._kiosk_printers().get(body.kiosk)
        if spec is None:
            raise NotFound("Kios ini tidak memiliki printer tiket.", "This kiosk has no ticket printer.",
                           {"kiosk": body.kiosk}, code="no_printer")
        ticket = self.page_ticket_view(ticket_id) if TICKET_ID_RE.match(ticket_id) else None
        if ticket is None:
            raise NotFound("Tiket tidak ditemukan.", "No such ticket.", {"ticket_id": "no such ticket"})
        ticket["track_url"] = self._track_url(ticket_id, request.headers.get("X-Ticket-Key"))
        site = self.page_site() or {}
        tz = None
        try:
            from zoneinfo import ZoneInfo
            tz = ZoneInfo(site.get("timezone") or "Asia/Jakarta")
        except Exception:
            pass
        try:
            printing.print_ticket(spec, ticket, site_name=site.get("name", ""), lang=body.language, tz=tz)
        except printing.PrintError as exc:
            log.warning("kiosk %s: printing failed: %s", body.kiosk, exc)
            raise PrinterFailed("Printer tiket tidak dapat mencetak.", "The ticket printer could not print.",
                                {"kiosk": body.kiosk})
        return {"printed": True, "kiosk": body.kiosk, "paper": spec.paper}

    # -- helpers -----------------------------------------------------------------

    def _kiosk_printers(self):
        spec = self.settings.KIOSK_PRINTERS or ""
        try:
            return printing.parse_printers(str(spec))
        except printing.PrinterConfigError as exc:
            log.error("%s", exc)
            return {}

    def _track_url(self, ticket_id, access_key=None):
        """The citizen's status page of a ticket (its QR code and ``track_url``). The
        access key rides in the fragment (``#k=``), which browsers never send to a
        server, so it stays out of access logs and Referer headers."""
        url = self.settings.PTSP_PUBLIC_URL.rstrip("/") + "/t/" + ticket_id
        if access_key and re.fullmatch(r"[A-Za-z0-9_-]{1,200}", access_key):
            url += "#k=" + access_key
        return url

    def _render(self, request, page, extra=None, status=200):
        lang = request_lang(request)
        data = {
            "page": page,
            "lang": lang,
            "site": self.settings.PTSP_SITE,
            "strings": STRINGS,
        }
        data.update(extra or {})
        template = _jinja.get_template(page + ".html")
        html = template.render(
            page=page, lang=lang, data=data, v=STATIC_VERSION,
            t=lambda key, **kw: t(key, lang, **kw),
            both=lambda key: (t(key, "id"), t(key, "en")),
            **(extra or {}))
        headers = dict(SECURITY_HEADERS)
        headers["Content-Security-Policy"] = CSP
        headers["Cache-Control"] = "no-cache"
        return Response(html, status=status, headers=headers,
                        content_type="text/html; charset=utf-8")


STATIC_NOT_FOUND = {"error": {"code": "not_found", "message": "Berkas tidak ditemukan.", "fields": {"path": "no such file"},
                              "details": [{"field": "path", "id": "Berkas tidak ditemukan.", "en": "no such file"}]}}
MAX_STATIC_PATH = 300


def static_target(path):
    """The file under STATIC that ``path`` names, or None: never outside STATIC, and
    a path too long, with a NUL or otherwise unusable for the file system is simply
    not found (the error would show the install path)."""
    if len(path) > MAX_STATIC_PATH or "\x00" in path:
        return None
    try:
        target = (STATIC / path).resolve()
        if STATIC not in target.parents or not target.is_file():
            return None
    except (OSError, ValueError):
        return None
    return target


def qr_svg(text):
    """An SVG QR code (one path, black on white, quiet zone included)."""
    import qrcode
    import qrcode.image.svg

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                       box_size=10, border=2,
                       image_factory=qrcode.image.svg.SvgPathFillImage)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image().save(buf)
    return buf.getvalue()


STATIC_VERSION = _static_version()
