"""English and Swedish: the incident pages, choices and e-mails read in the user's language, and
the incidents catalogue is complete and compiled."""

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from incidents import services
from incidents.choices import Priority, State
from notifications.models import Notification
from notifications.services import render
from tests.incidents.factories import make_incident

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "incidents" / "locale" / "sv" / "LC_MESSAGES" / "django.po"


def _translations(entry: str) -> list[str]:
    """The msgstr texts of one catalogue entry (each joined from its quoted lines)."""
    texts, current = [], None
    for line in entry.splitlines():
        if line.startswith("msgstr"):
            current = [line.split(" ", 1)[1]]
            texts.append(current)
        elif line.startswith('"') and current is not None:
            current.append(line)
    return ["".join(part[1:-1] for part in text) for text in texts]


def test_every_message_of_the_incidents_catalogue_is_translated():
    text = CATALOGUE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = [e for e in text.split("\n\n")[1:] if "msgid" in e]
    untranslated = [e for e in entries if not all(_translations(e))]
    assert not untranslated, untranslated[:3]
    assert len(entries) > 300


@pytest.mark.parametrize(
    ("english", "swedish"),
    [
        (State.IN_PROGRESS.label, "Pågående"),
        (State.ON_HOLD.label, "Väntande"),
        (State.RESOLVED.label, "Löst"),
        (State.CANCELLED.label, "Avbruten"),
        (Priority.P1.label, "P1 - Kritisk"),
        ("Assignment group", "Supportgrupp"),
        ("Caller", "Anmälare"),
        ("Urgency", "Brådska"),
        ("Work note", "Arbetsanteckning"),
    ],
)
def test_domain_terms_in_swedish(english, swedish):
    with translation.override("sv"):
        assert str(translation.gettext(str(english))) == swedish


@pytest.mark.django_db
def test_agent_queue_and_detail_in_swedish(client, other_group_agent, end_user, desk):
    incident = make_incident(end_user)
    client.force_login(other_group_agent)  # prefers Swedish
    html = client.get(reverse("incidents:agent-queue")).content.decode()
    assert "Mina öppna" in html and "Alla öppna" in html and "Massåtgärd" in html
    html = client.get(incident.get_absolute_url()).content.decode()
    assert "Tidslinje" in html and "Arbetsanteckning (intern" in html and "Påbörja arbetet" in html


@pytest.mark.django_db
def test_portal_in_swedish(client, other_end_user, desk, agent):
    incident = make_incident(other_end_user)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Klart"
    )
    client.force_login(other_end_user)
    html = client.get(reverse("incidents:portal-report")).content.decode()
    assert "Anmäl en incident" in html and "Jag kan inte arbeta alls" in html
    html = client.get(incident.get_portal_url()).content.decode()
    assert "Är problemet löst?" in html and "Ja, det är löst" in html and "Lösning levererad" in html


@pytest.mark.django_db
def test_resolution_email_in_the_callers_language(other_end_user, desk, agent):
    incident = make_incident(other_end_user)
    services.resolve_incident(
        incident, by=agent, resolution_code="solution_provided", resolution_notes="Klart"
    )
    subject, body, _html = render(Notification.objects.get(template="incident_resolved"))
    assert subject.startswith(f"[{incident.number}] Löst:")
    assert "Bekräfta eller avvisa lösningen" in body
