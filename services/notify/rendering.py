"""Messages into words: Jinja2 templates in Indonesian and English.

Each kind of message has one template per language (``templates/<lang>/<kind>.txt``)
with three blocks: ``subject``, ``text`` (the e-mail body) and ``sms`` (short, for SMS
and WhatsApp). The HTML e-mail is ``templates/email.html``, one layout for every
kind, autoescaped, built from the text's paragraphs. Undefined variables are errors
(StrictUndefined), so a template that needs a fact the message lacks fails in the
tests, not in a citizen's inbox.
"""
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape

from services.notify.domain import Contact, Message, choose_language

TEMPLATES = Path(__file__).resolve().parent / "templates"

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str
    short: str       # SMS / WhatsApp


class Renderer:
    def __init__(self, site_name: str = "PTSP", templates: Path = TEMPLATES):
        self.site_name = site_name
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            # .html autoescaped; the .txt templates are plain text (subject, body, SMS).
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False,
                                         default=False),
            undefined=StrictUndefined, keep_trailing_newline=False)
        self.env.filters["tanggal"] = tanggal

    def context(self, message: Message, contact: Optional[Contact], language: str) -> dict:
        facts = dict(message.facts)
        english = language == "en"
        if "type" in facts:
            facts["type_label"] = facts["type_name_en"] if english else facts["type_name"]
        if "step" in facts:
            facts["step_label"] = (facts["step_name_en"] if english else facts["step_name"]) or ""
        wait = contact.estimated_wait_s if contact else None
        return {
            **facts,
            "language": language,
            "site_name": self.site_name,
            "track_url": contact.track_url if contact else None,
            "estimated_wait_min": max(1, round(wait / 60)) if wait is not None else None,
        }

    def render(self, message: Message, contact: Optional[Contact] = None,
               language: Optional[str] = None) -> Rendered:
        language = choose_language(language, contact.language if contact else None, message.language)
        env = self.env
        context = self.context(message, contact, language)
        template = env.get_template(f"{language}/{message.kind}.txt")
        blocks = render_blocks(template, context, ("subject", "text", "sms"))
        chrome = render_blocks(env.get_template(f"{language}/_email.txt"), context, ("link_label", "footer"))
        subject = " ".join(blocks["subject"].split())
        body = blocks["text"].strip()
        paragraphs = [" ".join(p.split()) for p in body.split("\n\n") if p.strip()]
        text = "\n\n".join(paragraphs)
        short = " ".join(blocks["sms"].split())
        if context["track_url"]:
            text += f"\n\n{chrome['link_label']}: {context['track_url']}"
            short += f" {context['track_url']}"
        html = env.get_template("email.html").render(
            **context, subject=subject, paragraphs=paragraphs, **chrome)
        return Rendered(language=language, subject=subject, text=text + f"\n\n-- \n{chrome['footer']}\n",
                        html=html, short=short)


def render_blocks(template, context: dict, names) -> dict:
    ctx = template.new_context(context)
    return {name: "".join(template.blocks[name](ctx)).strip() for name in names}


@pass_context
def tanggal(context, value) -> str:
    """A date in words in the message's language: ``10 Desember 2026``."""
    return format_date(value, context["language"])


def format_date(value, language: str) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day} {MONTHS[language][value.month - 1]} {value.year}"
