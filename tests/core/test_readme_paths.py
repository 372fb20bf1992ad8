"""Issue 11, defect 10: every agent and portal URL the README names answers 200 for the role the
README names it for (``/agent/slm/`` was a 404)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR) / "README.md"
PATH_RE = re.compile(r"`(/(?:agent|portal)/[^`\s]*)`")

# The role the README names for each area ("agents at /agent/incidents/, end users at
# /portal/incidents/", "incident manager", "service level managers", ...), longest prefix first.
ROLE_BY_PREFIX = [
    ("/portal/", "end_user"),
    ("/agent/major-incidents/", "incident_manager"),
    ("/agent/changes/", "change_manager"),
    ("/agent/slm/", "service_level_manager"),
    ("/agent/kb/", "knowledge_manager"),
    ("/agent/problems/", "agent"),
    ("/agent/incidents/", "agent"),
]


def readme_paths() -> list[str]:
    return sorted(set(PATH_RE.findall(README.read_text(encoding="utf-8"))))


def role_for(path: str) -> str | None:
    return next((role for prefix, role in ROLE_BY_PREFIX if path.startswith(prefix)), None)


def test_readme_names_the_main_pages():
    paths = readme_paths()
    assert {"/agent/incidents/", "/portal/incidents/", "/agent/slm/breaching/"} <= set(paths)
    assert "/agent/slm/" not in paths  # the 404 of issue 11


@pytest.mark.parametrize("path", readme_paths())
def test_readme_path_answers_200_for_its_role(client, request, path):
    role = role_for(path)
    assert role, f"{path}: say in ROLE_BY_PREFIX which role the README names for it"
    client.force_login(request.getfixturevalue(role))
    response = client.get(path)
    assert response.status_code == 200, f"{path} as {role}: {response.status_code}"
