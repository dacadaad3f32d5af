"""ESC/POS ticket bytes, checked on python-escpos's Dummy printer."""
import pytest

pytest.importorskip("escpos")
from escpos.printer import Dummy  # noqa: E402

from services.gateway.printing import (  # noqa: E402
    PrinterConfigError, parse_printers, print_ticket, render_ticket)

TICKET = {
    "id": "7f1c", "number": "B-007", "service": "SKCK", "service_name": "SKCK baru",
    "service_name_en": "Police clearance", "priority": "elderly", "status": "waiting",
    "position": 4, "estimated_wait_s": 900, "issued_at": "2026-11-25T01:02:03+00:00",
    "track_url": "https://ptsp.example/t/7f1c",
}

ESC_INIT = b"\x1b@"
RASTER_IMAGE = b"\x1dv0"      # GS v 0: the QR code as a raster image
CUT = b"\x1dV"               # GS V: paper cut


def rendered(paper=80, lang="id", ticket=TICKET):
    d = Dummy()
    render_ticket(d, ticket, site_name="Polres Demo", lang=lang, paper=paper)
    return d.output


@pytest.mark.parametrize("paper,columns", [(58, 32), (80, 48)])
def test_ticket_bytes_start_with_init_and_end_with_cut(paper, columns):
    out = rendered(paper)
    assert out.startswith(ESC_INIT)
    assert CUT in out[-8:]
    assert b"B-007" in out
    assert b"POLRES DEMO" in out
    assert RASTER_IMAGE in out
    # every line of text fits the paper's column count
    for line in out.split(b"\n"):
        text = bytes(c for c in line if 32 <= c < 127)
        if b"\x1dv0" not in line and len(line) < 200:
            assert len(text) <= columns + 12, line  # escape arguments may be printable


def test_number_is_printed_large_and_bold():
    out = rendered(80)
    before = out[:out.index(b"B-007")]
    assert before.rstrip(b"\x1ba\x01").endswith(b"\x1bE\x01") or b"\x1bE\x01" in before[-8:]
    size_cmd = before.rfind(b"\x1d!")       # GS ! n: character size
    assert size_cmd != -1
    n = before[size_cmd + 2]
    assert (n >> 4) + 1 >= 4 and (n & 0x0F) + 1 >= 4


def test_texts_follow_the_language_and_show_wait_and_people_ahead():
    id_out, en_out = rendered(lang="id"), rendered(lang="en")
    assert b"NOMOR ANTRIAN" in id_out and b"Lansia" in id_out
    assert b"+/- 15 menit" in id_out
    assert b"Antrian di depan Anda" in id_out and id_out.count(b" 3\n") >= 1
    assert b"QUEUE NUMBER" in en_out and b"Police clearance" in en_out
    assert b"Elderly" in en_out


def test_ticket_without_position_or_priority_prints_no_such_lines():
    t = dict(TICKET, priority="regular", position=None, estimated_wait_s=None)
    out = rendered(ticket=t)
    assert b"Prioritas" not in out and b"Antrian di depan" not in out


def test_ticket_with_no_counter_open_prints_the_reason_instead_of_an_estimate():
    reason = {"code": "no_counter_open", "id": "Menunggu loket dibuka", "en": "Waiting for a counter to open"}
    t = dict(TICKET, estimated_wait_s=None, estimated_wait_reason=reason)
    out = rendered(ticket=t)
    assert b"Menunggu loket dibuka" in out and b"+/-" not in out


def test_qr_is_a_raster_image_of_reasonable_size():
    out = rendered(58)
    i = out.index(RASTER_IMAGE)
    # GS v 0 m xL xH yL yH: width in bytes, height in dots
    width_bytes = out[i + 4] + 256 * out[i + 5]
    height = out[i + 6] + 256 * out[i + 7]
    assert 10 <= width_bytes <= 48          # fits 58 mm (384 dots = 48 bytes)
    assert height >= 80


def test_parse_printers():
    spec = parse_printers(
        "lobby=tcp://192.0.2.10:9100?paper=80, annex=usb://04b8:0e15?paper=58;"
        " desk=file:///dev/usb/lp0 test=dummy://")
    assert spec["lobby"].kind == "tcp" and spec["lobby"].target == {
        "host": "192.0.2.10", "port": 9100}
    assert spec["annex"].target == {"idVendor": 0x04B8, "idProduct": 0x0E15}
    assert spec["annex"].paper == 58
    assert spec["desk"].target == {"devfile": "/dev/usb/lp0"}
    assert spec["test"].kind == "dummy" and spec["test"].public() == {"paper": 80}
    assert parse_printers("") == {}


@pytest.mark.parametrize("bad", [
    "lobby", "lobby=ftp://x", "lobby=tcp://", "lobby=usb://zz:01",
    "lobby=tcp://h?paper=70", "bad id=tcp://h", "lobby=tcp://h?paper=x"])
def test_parse_printers_rejects_bad_config(bad):
    with pytest.raises(PrinterConfigError):
        parse_printers(bad)


def test_print_ticket_on_dummy_spec():
    spec = parse_printers("k1=dummy://?paper=58")["k1"]
    printer = print_ticket(spec, TICKET, site_name="Polres Demo")
    assert printer.output.startswith(ESC_INIT) and b"B-007" in printer.output
