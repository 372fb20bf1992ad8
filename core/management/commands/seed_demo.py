"""Idempotent demo data for trying the product: ``python manage.py seed_demo``.

The organisation comes first (core.demo); then each app's ``demo.seed(base, stdout)`` adds its
own data in dependency order. Running it again changes nothing that is already there.
"""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from core import demo

# An entry is an app (its "<app>.demo" module) or a dotted module of its own.
APP_DEMOS = ["slm", "incidents", "incidents.major_demo", "knowledge", "problems", "changes"]


class Command(BaseCommand):
    help = "Create or refresh realistic demo data (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            base = demo.seed(self.stdout)
            for app in APP_DEMOS:
                try:
                    name = app if "." in app else f"{app}.demo"
                    module = import_module(name)
                except ModuleNotFoundError as exc:
                    if exc.name != name:
                        raise
                    continue
                result = module.seed(base, stdout=self.stdout)
                if isinstance(result, dict):
                    base.update(result)
        self.stdout.write(self.style.SUCCESS("Demo data is in place. Demo logins (password for all: demo):"))
        for username, first, last, roles, _language, org in demo.PEOPLE:
            what = ", ".join(roles) if roles else f"end user, {org}"
            self.stdout.write(f"  {username:<9} {first} {last} ({what})")
