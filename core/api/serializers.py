from rest_framework import serializers

from core.models import Desk, Organization, SupportGroup, User
from core.roles import is_agent, role_names


class BriefUserSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display"]


class MeSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)
    organization = serializers.StringRelatedField()
    roles = serializers.SerializerMethodField()
    is_agent = serializers.SerializerMethodField()
    support_groups = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display",
            "email",
            "first_name",
            "last_name",
            "language",
            "time_zone",
            "organization",
            "roles",
            "is_agent",
            "support_groups",
        ]
        read_only_fields = fields

    def get_roles(self, user) -> list[str]:
        return sorted(role_names(user))

    def get_is_agent(self, user) -> bool:
        return is_agent(user)


class DeskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Desk
        fields = ["id", "name", "slug", "email", "time_zone", "language"]


class SupportGroupSerializer(serializers.ModelSerializer):
    desk = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = SupportGroup
        fields = ["id", "name", "desk", "line_level", "email"]


class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "name"]
