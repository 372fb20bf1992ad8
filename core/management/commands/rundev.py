"""Serve the app with a Celery worker and beat, for the embedded (no-server) set-up.

``make run`` calls this: the web server, one worker with an embedded beat, all stopped together
with Ctrl-C. In production, docker-compose runs them as separate services instead.
"""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the development web server together with a Celery worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        processes = [
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "itsm",
                    "worker",
                    "--beat",
                    "--loglevel",
                    "INFO",
                    "--concurrency",
                    "2",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=env,
            ),
            subprocess.Popen([python, "manage.py", "runserver", addrport, "--noreload"], env=env),
        ]
        self.stdout.write(self.style.SUCCESS(f"Serving on http://{addrport}/ with a Celery worker and beat."))

        def stop(*_args):
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
