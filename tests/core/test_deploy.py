"""Deployment artefacts: the compose file validates and production settings pass check --deploy."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import require

ROOT = Path(__file__).resolve().parents[2]


def _compose_command() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_is_valid():
    command = _compose_command()
    require(command is not None, "neither 'docker compose' nor 'docker-compose' is installed")
    env = {
        **os.environ,
        "SECRET_KEY": "x" * 60,
        "POSTGRES_PASSWORD": "secret",
        "ALLOWED_HOSTS": "itsm.example",
    }
    result = subprocess.run(
        [*command, "-f", "docker-compose.yml", "config"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for service in ("web:", "worker:", "beat:", "db:", "redis:"):
        assert service in result.stdout


def test_check_deploy_is_clean_with_production_settings():
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTEST_VERSION", "PYTEST_CURRENT_TEST", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "3fQ!v9#Lm2@xR8$wZ5^tN1&yB7*cD4(eH6)jK0_pS",
            "ALLOWED_HOSTS": "itsm.example",
            "CSRF_TRUSTED_ORIGINS": "https://itsm.example",
            "DATABASE_URL": os.environ.get(
                "DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'deploy-check.sqlite3'}"
            ),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_in_production_is_refused():
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "SECRET_KEY", "DEBUG"}}
    env["DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


@pytest.mark.parametrize("path", ["Dockerfile", "docker-compose.yml", ".ci/run", "Makefile"])
def test_deployment_files_exist(path):
    assert (ROOT / path).is_file()
