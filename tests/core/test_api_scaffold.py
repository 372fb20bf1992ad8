import io

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_me_requires_authentication(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_me_answers_the_token_user(as_user, agent):
    response = as_user(agent).get("/api/v1/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "agent"
    assert body["is_agent"] is True
    assert body["roles"] == ["Agent"]
    assert body["support_groups"] == ["Service Desk"]


def test_me_for_end_user_is_not_agent(as_user, end_user):
    body = as_user(end_user).get("/api/v1/me/").json()
    assert body["is_agent"] is False
    assert body["organization"] == "Acme"


def test_agent_only_endpoints_refuse_end_users(as_user, end_user, agent, desk):
    assert as_user(end_user).get("/api/v1/desks/").status_code == 403
    response = as_user(agent).get("/api/v1/desks/")
    assert response.status_code == 200
    assert [d["slug"] for d in response.json()["results"]] == ["it"]


def test_apitoken_command_prints_a_working_token(api_client, agent):
    out = io.StringIO()
    call_command("apitoken", "agent", stdout=out)
    key = out.getvalue().strip()
    assert len(key) == 40
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api_client.get("/api/v1/me/").json()["username"] == "agent"


def test_apitoken_unknown_user_is_a_clear_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("apitoken", "ghost")


def test_schema_is_valid_openapi_3(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)
    assert "/api/v1/me/" in schema["paths"]


def test_schema_generation_has_no_warnings():
    # --fail-on-warn turns every drf-spectacular warning (untyped field, unknown path param) into an error.
    call_command("spectacular", "--fail-on-warn", "--validate", stdout=io.StringIO())


def test_api_docs_are_served_from_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
