"""Agent and portal pages of incidents."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from core.decorators import agent_required
from incidents.models import Incident


@agent_required
def agent_detail(request, number: str):
    incident = get_object_or_404(Incident.objects.visible_to(request.user).for_list(), number=number)
    timeline = incident.timeline.select_related("author")
    return render(request, "agent/incidents/detail.html", {"incident": incident, "timeline": timeline})


@login_required
def portal_detail(request, number: str):
    incident = get_object_or_404(Incident.objects.visible_to(request.user).for_list(), number=number)
    timeline = incident.timeline.filter(is_public=True).select_related("author")
    return render(request, "portal/incidents/detail.html", {"incident": incident, "timeline": timeline})
