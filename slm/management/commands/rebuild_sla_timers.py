"""Build SLA timers from incidents' history: ``manage.py rebuild_sla_timers [INC… | --missing | --all]``.

For incidents created before the SLM engine ran (imports, demo data written without it) or after
a bulk correction. Past warnings and breaches are marked as reached without notifying anyone.
"""

from django.core.management.base import BaseCommand, CommandError

from incidents.models import Incident
from slm import services


class Command(BaseCommand):
    help = "Rebuild SLA timers of incidents from their timeline history."

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", help="incident numbers (INC0001234)")
        parser.add_argument("--missing", action="store_true", help="every incident that has no timer")
        parser.add_argument("--all", action="store_true", help="every incident (replaces existing timers)")

    def handle(self, *args, numbers, missing, all, **options):
        if numbers:
            incidents = Incident.objects.filter(number__in=[n.upper() for n in numbers])
            unknown = set(n.upper() for n in numbers) - set(incidents.values_list("number", flat=True))
            if unknown:
                raise CommandError(f"unknown incident(s): {', '.join(sorted(unknown))}")
        elif all:
            incidents = Incident.objects.all()
        elif missing:
            incidents = Incident.objects.filter(sla_timers__isnull=True)
        else:
            raise CommandError("name incidents, or use --missing or --all")
        count = 0
        for pk in incidents.order_by("pk").values_list("pk", flat=True).iterator():
            services.rebuild_timers(Incident(pk=pk))
            count += 1
        if self.stdout and options.get("verbosity", 1):
            self.stdout.write(f"rebuilt SLA timers of {count} incident(s)")
