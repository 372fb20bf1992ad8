"""SLM API: read for agents, write for service level managers (and administrators)."""

from django.db.models import ProtectedError
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from core import roles
from core.api.idempotency import IdempotentCreateMixin
from slm.api.serializers import BusinessCalendarSerializer, PolicySerializer, ServiceSerializer
from slm.filtersets import CalendarFilterSet, PolicyFilterSet, ServiceFilterSet
from slm.models import BusinessCalendar, Service, SlaPolicy


def is_service_level_manager(user) -> bool:
    return roles.has_role(user, roles.SERVICE_LEVEL_MANAGER) or roles.has_role(user, roles.ADMINISTRATOR)


class ReadAgentsWriteServiceLevelManagers(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return roles.is_agent(request.user)
        return roles.is_agent(request.user) and is_service_level_manager(request.user)


class _ProtectedDelete:
    def destroy(self, request, *args, **kwargs):
        try:
            return super().destroy(request, *args, **kwargs)
        except ProtectedError:
            return Response(
                {"detail": "It is still in use; deactivate it instead (is_active=false)."},
                status=status.HTTP_409_CONFLICT,
            )


@extend_schema(tags=["service levels"])
class ServiceViewSet(IdempotentCreateMixin, _ProtectedDelete, viewsets.ModelViewSet):
    queryset = Service.objects.select_related("desk", "owner")
    serializer_class = ServiceSerializer
    permission_classes = [ReadAgentsWriteServiceLevelManagers]
    filterset_class = ServiceFilterSet


@extend_schema(tags=["service levels"])
class CalendarViewSet(IdempotentCreateMixin, _ProtectedDelete, viewsets.ModelViewSet):
    queryset = BusinessCalendar.objects.prefetch_related("hours", "holidays")
    serializer_class = BusinessCalendarSerializer
    permission_classes = [ReadAgentsWriteServiceLevelManagers]
    filterset_class = CalendarFilterSet


@extend_schema(tags=["service levels"])
class PolicyViewSet(IdempotentCreateMixin, _ProtectedDelete, viewsets.ModelViewSet):
    queryset = SlaPolicy.objects.select_related("desk").prefetch_related(
        "targets", "escalation_users", "escalation_groups"
    )
    serializer_class = PolicySerializer
    permission_classes = [ReadAgentsWriteServiceLevelManagers]
    filterset_class = PolicyFilterSet
