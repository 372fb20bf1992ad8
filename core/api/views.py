from drf_spectacular.utils import extend_schema
from rest_framework import generics, viewsets

from core.api.permissions import IsAgent
from core.api.serializers import DeskSerializer, MeSerializer, SupportGroupSerializer
from core.models import Desk, SupportGroup


class MeView(generics.RetrieveAPIView):
    """The signed-in user, with roles and groups."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


@extend_schema(tags=["organisation"])
class DeskViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Desk.objects.filter(is_active=True)
    serializer_class = DeskSerializer
    permission_classes = [IsAgent]
    lookup_field = "slug"


@extend_schema(tags=["organisation"])
class SupportGroupViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = SupportGroup.objects.filter(is_active=True).select_related("desk")
    serializer_class = SupportGroupSerializer
    permission_classes = [IsAgent]
