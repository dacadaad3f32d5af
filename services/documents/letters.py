"""The letter an online application ends with (the lost-item report's letter, the
crowd permit), as a PDF made with fpdf2. No I/O: the use case passes what the letter
says and serves the bytes.

The applicant's NIK is printed masked (first six and last four digits): the letter
is served to whoever holds the tracking code, and the full NIK is not needed to
recognise the holder at a check."""
import unicodedata
from datetime import date, datetime

from fpdf import FPDF

MONTHS_ID = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
             "November", "Desember")


def latin1(text) -> str:
    """The core PDF fonts speak Latin-1: accents kept where they exist there, other
    characters decomposed or replaced."""
    text = unicodedata.normalize("NFKC", str(text))
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


def masked_nik(nik: str) -> str:
    return nik[:6] + "*" * 6 + nik[12:] if len(nik) == 16 else "*" * len(nik)


def indonesian_date(day: date) -> str:
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def letter_pdf(*, type_name: str, type_name_en: str, document_number: str, issued_on: date,
               valid_until, site_code: str, applicant_name: str, nik: str, tracking_code: str,
               note=None, officer=None, generated_at: datetime) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(f"{type_name} {document_number}"))
    pdf.set_author(latin1(f"PTSP {site_code.upper()}"))
    pdf.set_creation_date(generated_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, latin1(f"KEPOLISIAN NEGARA REPUBLIK INDONESIA - {site_code.upper()}"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, "Pelayanan Terpadu Satu Pintu (PTSP)", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, latin1(type_name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 10)
    pdf.cell(0, 6, latin1(type_name_en), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, latin1(f"Nomor / Number: {document_number}"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    rows = [
        ("Nama / Name", applicant_name),
        ("NIK", masked_nik(nik)),
        ("Tanggal terbit / Issued on", indonesian_date(issued_on)),
        ("Berlaku sampai / Valid until", indonesian_date(valid_until) if valid_until else "-"),
        ("Kode pelacakan / Tracking code", tracking_code),
    ]
    if note:
        rows.append(("Keterangan / Remarks", note))
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(70, 8, latin1(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 8, latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, latin1(
        "Surat ini diterbitkan secara elektronik melalui layanan PTSP. Keasliannya dapat diperiksa oleh petugas "
        "dengan nomor surat dan kode pelacakan di atas."), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, latin1(
        "This letter was issued electronically by the PTSP service. An officer can check it with the number and "
        "tracking code above."), new_x="LMARGIN", new_y="NEXT")
    if officer:
        pdf.ln(6)
        pdf.cell(0, 6, latin1(f"Petugas pemeriksa / Reviewed by: {officer}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
