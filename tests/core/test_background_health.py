"""A dead beat is visible: every periodic task records a heartbeat through Celery's task signals;
/readyz and the admin home page report a task that has not succeeded for three of its periods.
The runtime folder is created at start-up; the outbox lease follows the SMTP timeout; the
PostgreSQL connection is health-checked before reuse."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from core import heartbeats
from core.models import TaskHeartbeat
from incidents.tasks import auto_close_resolved
from slm.tasks import sweep_timers
from tests.services import ROOT

pytestmark = pytest.mark.django_db


def test_a_periodic_task_run_by_celery_records_its_heartbeat():
    before = timezone.now()
    result = sweep_timers.apply()  # through Celery's tracer: the task signals fire
    assert result.successful()
    beat = TaskHeartbeat.objects.get(name="slm.tasks.sweep_timers")
    assert beat.last_run_at >= before and beat.last_ok_at >= beat.last_run_at
    assert beat.last_error == ""


def test_a_failing_periodic_task_records_its_error_and_no_success():
    result = auto_close_resolved.apply(kwargs={"batch": "many"})
    assert result.failed()
    beat = TaskHeartbeat.objects.get(name="incidents.tasks.auto_close_resolved")
    assert beat.last_ok_at is None and beat.last_error_at is not None
    assert beat.last_error.startswith("TypeError")


def test_periods_come_from_the_beat_schedule(settings):
    periods = heartbeats.periods()
    assert periods["slm.tasks.sweep_timers"] == timedelta(seconds=settings.SLA_SWEEP_SECONDS)
    assert periods["notifications.tasks.deliver_due_notifications"] == timedelta(seconds=30)
    assert periods["problems.tasks.detect_trends"] == timedelta(days=1)  # crontab 03:15 daily


def fresh_heartbeats(**overrides):
    """Every scheduled task succeeded just now, except ``overrides`` (name -> last success)."""
    now = timezone.now()
    for name in heartbeats.periods():
        TaskHeartbeat.objects.update_or_create(
            name=name,
            defaults={"registered_at": now - timedelta(days=30), "last_ok_at": now, "last_run_at": now},
        )
    for name, last_ok in overrides.items():
        TaskHeartbeat.objects.filter(name=name).update(last_ok_at=last_ok, last_run_at=last_ok)


def test_readyz_reports_a_sweep_late_by_three_periods(client, settings):
    period = heartbeats.periods()["slm.tasks.sweep_timers"]
    fresh_heartbeats(**{"slm.tasks.sweep_timers": timezone.now() - 3 * period + timedelta(seconds=5)})
    ok = client.get("/readyz")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["checks"]["beat"] == "ok"

    fresh_heartbeats(**{"slm.tasks.sweep_timers": timezone.now() - 3 * period - timedelta(seconds=5)})
    late = client.get("/readyz")
    assert late.status_code == 503
    assert late.json()["checks"] == {"database": "ok", "broker": "ok", "beat": "late"}
    assert late.json()["late_tasks"] == ["slm.tasks.sweep_timers"]


def test_a_task_that_never_ran_is_late_three_periods_after_it_was_first_expected(client):
    fresh_heartbeats()
    TaskHeartbeat.objects.filter(name="incidents.major.sweep").update(
        last_ok_at=None, last_run_at=None, registered_at=timezone.now() - timedelta(seconds=91)
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["late_tasks"] == ["incidents.major.sweep"]


def test_a_fresh_database_is_not_late(client):
    # No heartbeat yet (beat is starting): the tasks are registered now, not reported.
    assert not TaskHeartbeat.objects.exists()
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert set(TaskHeartbeat.objects.values_list("name", flat=True)) == set(heartbeats.periods())


def test_admin_home_names_the_late_task(client, admin):
    fresh_heartbeats(**{"incidents.major.sweep": timezone.now() - timedelta(hours=1)})
    TaskHeartbeat.objects.filter(name="incidents.major.sweep").update(last_error="OperationalError: boom")
    client.force_login(admin)
    page = client.get("/admin/").content.decode()
    assert "Periodic task incidents.major.sweep has not succeeded since" in page
    assert "is Celery beat running?" in page
    assert "OperationalError: boom" in page
    client.cookies["django_language"] = "sv"
    page = client.get("/admin/").content.decode()
    assert "Den periodiska uppgiften incidents.major.sweep har inte lyckats sedan" in page
    del client.cookies["django_language"]
    fresh_heartbeats()
    assert "background-health" not in client.get("/admin/").content.decode()


def settings_in_subprocess(env: dict, expression: str):
    """Evaluate ``expression`` on freshly loaded settings with ``env`` (as a process starts)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    full_env.update({"DJANGO_SETTINGS_MODULE": "itsm.settings", "SECRET_KEY": "x" * 50, **env})
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({expression}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True
    )
    return done.returncode, (json.loads(done.stdout) if done.returncode == 0 else done.stderr)


def test_the_runtime_folder_is_created_whatever_the_broker(tmp_path):
    var = tmp_path / "missing" / "var"
    code, _out = settings_in_subprocess(
        {"ITSM_VAR_DIR": str(var), "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}, "settings.CELERY_BROKER_URL"
    )
    assert code == 0, _out
    assert var.is_dir()


def test_the_outbox_lease_follows_the_smtp_timeout(tmp_path):
    var = str(tmp_path)
    assert settings_in_subprocess({"ITSM_VAR_DIR": var}, "settings.NOTIFY_LEASE_SECONDS") == (0, 60)
    assert settings_in_subprocess(
        {"ITSM_VAR_DIR": var, "EMAIL_TIMEOUT": "5"}, "settings.NOTIFY_LEASE_SECONDS"
    ) == (
        0,
        15,
    )
    code, err = settings_in_subprocess(
        {"ITSM_VAR_DIR": var, "EMAIL_TIMEOUT": "30", "NOTIFY_LEASE_SECONDS": "30"},
        "settings.NOTIFY_LEASE_SECONDS",
    )
    assert code != 0 and "NOTIFY_LEASE_SECONDS=30 must be longer than EMAIL_TIMEOUT=30" in err


def test_postgresql_connections_are_health_checked_before_reuse(tmp_path):
    code, database = settings_in_subprocess(
        {
            "ITSM_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "postgres://u@db.example:5432/itsm",
            "DB_CONN_MAX_AGE": "60",
        },
        "settings.DATABASES['default']",
    )
    assert code == 0, database
    assert database["CONN_MAX_AGE"] == 60 and database["CONN_HEALTH_CHECKS"] is True


def test_the_development_server_does_not_keep_a_connection_per_thread(tmp_path):
    env = {"ITSM_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@db.example:5432/itsm"}
    code = (
        "import json, sys; sys.argv = ['manage.py', 'runserver']; import django; django.setup(); "
        "from django.conf import settings; print(json.dumps(settings.DATABASES['default']['CONN_MAX_AGE']))"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST") and k != "DB_CONN_MAX_AGE"}
    full_env.update({"DJANGO_SETTINGS_MODULE": "itsm.settings", "SECRET_KEY": "x" * 50, **env})

    def conn_max_age(**extra):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env={**full_env, **extra}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert conn_max_age() == 0
    assert conn_max_age(DB_CONN_MAX_AGE="30") == 30  # an explicit choice wins
