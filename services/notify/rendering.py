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
from typing import Mapping, Optional

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
        wait = contact.estimated_wait_s if contact else None
        context = {
            **facts,
            "language": language,
            "site_name": self.site_name,
            "track_url": contact.track_url if contact else None,
            "estimated_wait_min": max(1, round(wait / 60)) if wait is not None else None,
        }
        if message.subject == "application":
            context.update(application_words(facts, (contact.details if contact else None) or {}, language))
        return context
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


def application_words(facts: dict, details: Mapping, language: str) -> dict:
    """An application message's words in ``language``: the names the documents
    service gave with the contact (``details``, services/notify/contacts.py), the
    codes of the event where it gave none."""
    english = language == "en"

    def name(entry, code):
        entry = entry or {}
        return (entry.get("name_en") if english else entry.get("name")) or entry.get("name") or code

    steps = details.get("steps") or {}
    step = facts.get("step")
    type_entry = {"name": details.get("type_name"), "name_en": details.get("type_name_en")}
    ticket = details.get("ticket") or None
    last = details.get("last") or {}
    # The ticket of the step the message is about: the citizen's number for it.
    here = ticket if ticket and step and details.get("current_step") == step else None
    about_step = last.get("step") == step
    return {
        "type_label": name(type_entry, facts.get("type")),
        "step_label": name(steps.get(step), step) if step else "",
        "online": bool(details.get("online")),
        "tracking_code": details.get("tracking_code"),
        "next_number": here.get("number") if here else None,
        "next_service": (here.get("service_name_en") if english else here.get("service_name"))
                        or here.get("service") if here else None,
        "note": last.get("note") if about_step else None,
        "missing": [name(entry, entry.get("name")) for entry in last.get("missing") or ()] if about_step else [],
    }


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
