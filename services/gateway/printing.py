"""ESC/POS ticket printing for kiosks with a thermal printer (python-escpos).

A kiosk without a configured printer prints through the browser (window.print with the
58 mm / 80 mm receipt CSS). A kiosk that has one is listed in ``KIOSK_PRINTERS``:

    KIOSK_PRINTERS="lobby=tcp://192.0.2.10:9100?paper=80, annex=usb://04b8:0e15?paper=58,
                    desk=file:///dev/usb/lp0"

Entries are separated by commas, semicolons or white space; each is ``kiosk-id=URL``:

- ``tcp://HOST[:PORT]``  a network printer (raw port, 9100 by default)
- ``usb://VID:PID``      a USB printer through libusb (needs the optional ``pyusb``)
- ``file:///dev/...``    a device node such as the kernel's usblp ``/dev/usb/lp0``
- ``dummy://``           keeps the bytes in memory (tests, a dry run)

Query options: ``paper=58|80`` (default 80), ``profile=`` (a python-escpos printer
profile, default ``default``), ``timeout=`` seconds for the network (default 8).

The kiosk page learns only the ids and paper widths, never the hosts.
"""
import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

KIOSK_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
PAPER_COLUMNS = {58: 32, 80: 48}

TEXTS = {
    "id": {
        "ticket": "NOMOR ANTRIAN",
        "service": "Layanan",
        "priority": "Prioritas",
        "ahead": "Antrian di depan Anda",
        "wait": "Perkiraan tunggu",
        "minutes": "menit",
        "issued": "Diambil",
        "scan": "Pindai untuk melihat status antrian:",
        "keep": "Simpan tiket ini sampai dipanggil.",
        "priorities": {"elderly": "Lansia", "disabled": "Disabilitas",
                       "pregnant": "Ibu hamil"},
    },
    "en": {
        "ticket": "QUEUE NUMBER",
        "service": "Service",
        "priority": "Priority",
        "ahead": "People ahead of you",
        "wait": "Estimated wait",
        "minutes": "min",
        "issued": "Issued",
        "scan": "Scan to follow your place in the queue:",
        "keep": "Keep this ticket until you are called.",
        "priorities": {"elderly": "Elderly", "disabled": "Disability",
                       "pregnant": "Pregnant"},
    },
}


class PrinterConfigError(ValueError):
    pass


class PrintError(Exception):
    pass


@dataclass
class PrinterSpec:
    kiosk: str
    kind: str  # tcp | usb | file | dummy
    target: dict = field(default_factory=dict)
    paper: int = 80
    profile: str = "default"
    timeout: float = 8.0

    def public(self):
        """What the kiosk page may know about its printer."""
        return {"paper": self.paper}


def parse_printers(spec):
    """``KIOSK_PRINTERS`` text -> {kiosk id: PrinterSpec}. Raises PrinterConfigError."""
    printers = {}
    for entry in re.split(r"[,;\s]+", (spec or "").strip()):
        if not entry:
            continue
        if "=" not in entry:
            raise PrinterConfigError("KIOSK_PRINTERS entry %r is not kiosk=URL" % entry)
        kiosk, url = entry.split("=", 1)
        if not KIOSK_ID_RE.match(kiosk):
            raise PrinterConfigError("KIOSK_PRINTERS: bad kiosk id %r" % kiosk)
        printers[kiosk] = parse_printer_url(kiosk, url)
    return printers


def parse_printer_url(kiosk, url):
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        paper = int(query.get("paper", 80))
        timeout = float(query.get("timeout", 8))
    except ValueError:
        raise PrinterConfigError("KIOSK_PRINTERS %s: paper/timeout must be numbers" % kiosk)
    if paper not in PAPER_COLUMNS:
        raise PrinterConfigError("KIOSK_PRINTERS %s: paper must be 58 or 80" % kiosk)
    spec = PrinterSpec(kiosk=kiosk, kind=parts.scheme, paper=paper,
                       profile=query.get("profile", "default"), timeout=timeout)
    if parts.scheme == "tcp":
        if not parts.hostname:
            raise PrinterConfigError("KIOSK_PRINTERS %s: tcp:// needs a host" % kiosk)
        spec.target = {"host": parts.hostname, "port": parts.port or 9100}
    elif parts.scheme == "usb":
        m = re.match(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$", parts.netloc)
        if not m:
            raise PrinterConfigError("KIOSK_PRINTERS %s: usb://VID:PID in hex" % kiosk)
        spec.target = {"idVendor": int(m.group(1), 16), "idProduct": int(m.group(2), 16)}
    elif parts.scheme == "file":
        if not parts.path:
            raise PrinterConfigError("KIOSK_PRINTERS %s: file:// needs a path" % kiosk)
        spec.target = {"devfile": parts.path}
    elif parts.scheme == "dummy":
        spec.target = {}
    else:
        raise PrinterConfigError(
            "KIOSK_PRINTERS %s: scheme must be tcp, usb, file or dummy" % kiosk)
    return spec


def open_printer(spec):
    """A python-escpos printer object for ``spec`` (not yet connected)."""
    from escpos import printer as p

    kwargs = {"profile": spec.profile}
    if spec.kind == "tcp":
        return p.Network(spec.target["host"], port=spec.target["port"],
                         timeout=spec.timeout, **kwargs)
    if spec.kind == "usb":
        return p.Usb(spec.target["idVendor"], spec.target["idProduct"],
                     timeout=int(spec.timeout * 1000), **kwargs)
    if spec.kind == "file":
        return p.File(spec.target["devfile"], **kwargs)
    return p.Dummy(**kwargs)


def _fmt_time(iso, tz=None):
    if not iso:
        return ""
    try:
        dt = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except ValueError:
        return str(iso)
    if tz is not None and dt.tzinfo is not None:
        dt = dt.astimezone(tz)
    return dt.strftime("%d-%m-%Y %H:%M")


def _ascii(text):
    """Thermal printers' code pages vary; Indonesian needs nothing past ASCII."""
    import unicodedata
    text = unicodedata.normalize("NFKD", str(text or ""))
    return text.encode("ascii", "ignore").decode("ascii")


def render_ticket(printer, ticket, site_name="", lang="id", paper=80, tz=None):
    """Write one ticket to ``printer`` as ESC/POS commands and cut the paper.

    ``ticket`` is the gateway's ticket view (number, service_name[_en], priority,
    position, estimated_wait_s, issued_at, track_url).
    """
    t = TEXTS["en" if lang == "en" else "id"]
    cols = PAPER_COLUMNS.get(paper, 48)
    rule = "-" * cols
    service = ticket.get("service_name_en") if lang == "en" else None
    service = service or ticket.get("service_name") or ticket.get("service") or ""

    printer.hw("INIT")
    printer.set(align="center", bold=True, normal_textsize=True)
    if site_name:
        printer.block_text(_ascii(site_name).upper(), columns=cols)
        printer.ln()
    printer.set(align="center", bold=False, normal_textsize=True)
    printer.textln(rule)
    printer.textln(t["ticket"])
    # The number as large as the printer goes: 58 mm paper fits 4 x 4 for "B-007".
    size = 6 if paper == 80 else 4
    printer.set(align="center", bold=True, custom_size=True, width=size, height=size)
    printer.textln(_ascii(ticket.get("number", "")))
    printer.set(align="center", bold=True, normal_textsize=True, double_height=True)
    printer.block_text(_ascii(service), columns=cols)
    printer.ln()
    printer.set(align="center", bold=False, normal_textsize=True)
    priority = ticket.get("priority")
    if priority and priority != "regular":
        printer.textln("%s: %s" % (t["priority"], t["priorities"].get(priority, priority)))
    printer.textln(rule)
    printer.set(align="left", normal_textsize=True)
    if ticket.get("position") is not None:
        ahead = max(0, int(ticket["position"]) - 1)
        printer.textln(_pair(t["ahead"], str(ahead), cols))
    if ticket.get("estimated_wait_s") is not None:
        minutes = max(1, round(int(ticket["estimated_wait_s"]) / 60))
        printer.textln(_pair(t["wait"], "+/- %d %s" % (minutes, t["minutes"]), cols))
    elif isinstance(ticket.get("estimated_wait_reason"), dict):
        # no counter open for the service yet: say so instead of an estimate
        reason = ticket["estimated_wait_reason"]
        printer.block_text(_ascii("%s: %s" % (t["wait"], reason.get(lang) or reason.get("id", ""))), columns=cols)
        printer.ln()
    printer.textln(_pair(t["issued"], _fmt_time(ticket.get("issued_at"), tz), cols))
    printer.set(align="center")
    if ticket.get("track_url"):
        printer.ln()
        printer.block_text(t["scan"], columns=cols)
        printer.ln()
        # Rendered as a raster image (GS v 0), which every ESC/POS printer prints;
        # the centre alignment set above places it.
        printer.qr(ticket["track_url"], size=6 if paper == 80 else 4)
    printer.block_text(t["keep"], columns=cols)
    printer.ln()
    printer.ln(2)
    printer.cut()


def _pair(label, value, cols):
    label, value = _ascii(label), _ascii(value)
    space = cols - len(label) - len(value)
    if space < 1:
        return (label + " " + value)[:cols]
    return label + " " * space + value


def print_ticket(spec, ticket, site_name="", lang="id", tz=None):
    """Render on a fresh connection to the kiosk's printer; returns the printer."""
    printer = open_printer(spec)
    try:
        render_ticket(printer, ticket, site_name=site_name, lang=lang,
                      paper=spec.paper, tz=tz)
    except PrintError:
        raise
    except Exception as exc:  # device errors from escpos, sockets, usb
        raise PrintError("%s: %s" % (exc.__class__.__name__, exc))
    finally:
        try:
            printer.close()
        except Exception:
            pass
    return printer
