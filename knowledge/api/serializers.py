"""Serializers of the knowledge API: brief nested references, a list and a detail form."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from core.api.audience import AudienceSerializerMixin
from core.api.serializers import BriefUserSerializer
from core.models import Category
from core.roles import AGENT_ROLES, is_agent
from knowledge import services
from knowledge.choices import ArticleLanguage, Audience
from knowledge.forms import MAX_TAGS
from knowledge.models import Article, ArticleFeedback, ArticleVersion
from slm.models import Service


class KnowledgeCategoryRefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="path", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "display"]


class KnowledgeServiceRefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "display"]


class BriefArticleSerializer(serializers.ModelSerializer):
    """How other resources refer to an article."""

    display = serializers.CharField(source="title", read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ["number", "display", "url"]

    def get_url(self, article) -> str:
        return reverse("kb-article-detail", args=[article.number], request=self.context.get("request"))


class ArticleListSerializer(AudienceSerializerMixin, serializers.ModelSerializer):
    """An article in a list. End users read what the portal shows (``Meta.end_user_fields``): no
    owner or author accounts, versions, counters, review dates or workflow state."""

    url = serializers.SerializerMethodField()
    category = KnowledgeCategoryRefSerializer(read_only=True)
    owner = BriefUserSerializer(read_only=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    rank = serializers.SerializerMethodField(help_text="Relevance, only with ?search=.")
    snippet = serializers.SerializerMethodField(
        help_text="HTML excerpt with <mark> highlights, only with ?search=."
    )

    class Meta:
        model = Article
        fields = [
            "number",
            "url",
            "title",
            "summary",
            "state",
            "audience",
            "language",
            "category",
            "tags",
            "owner",
            "version",
            "published_at",
            "updated_at",
            "review_by",
            "view_count",
            "helpful_count",
            "not_helpful_count",
            "solved_count",
            "rank",
            "snippet",
        ]
        read_only_fields = fields
        end_user_fields = frozenset(
            {"number", "url", "title", "summary", "language", "category", "published_at", "rank", "snippet"}
        )

    def get_url(self, article) -> str:
        return reverse("kb-article-detail", args=[article.number], request=self.context.get("request"))

    def get_rank(self, article) -> float | None:
        return getattr(article, "search_rank", None)

    def get_snippet(self, article) -> str | None:
        snippet = getattr(article, "search_snippet", None)
        return str(snippet) if snippet is not None else None


class ArticleRevisionSummarySerializer(serializers.Serializer):
    state = serializers.CharField()
    author = BriefUserSerializer()
    title = serializers.CharField()
    change_note = serializers.CharField()
    based_on_version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class ArticleDetailSerializer(ArticleListSerializer):
    author = BriefUserSerializer(read_only=True)
    related_categories = KnowledgeCategoryRefSerializer(many=True, read_only=True)
    services = KnowledgeServiceRefSerializer(many=True, read_only=True)
    revision = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()

    class Meta(ArticleListSerializer.Meta):
        fields = [
            *[f for f in ArticleListSerializer.Meta.fields if f not in ("rank", "snippet")],
            "body",
            "body_html",
            "author",
            "related_categories",
            "services",
            "created_at",
            "retired_at",
            "lock_version",
            "revision",
            "available_actions",
        ]
        read_only_fields = fields
        # The portal's article page: title, summary, the rendered text, category, "Updated" date.
        end_user_fields = ArticleListSerializer.Meta.end_user_fields | {"body_html"}

    @extend_schema_field(ArticleRevisionSummarySerializer(allow_null=True))
    def get_revision(self, article):
        request = self.context.get("request")
        revision = services.pending_revision(article)
        if revision is None or request is None or not is_agent(request.user):
            return None
        return ArticleRevisionSummarySerializer(revision).data

    def get_available_actions(self, article) -> list[str]:
        request = self.context.get("request")
        return services.available_actions(article, request.user) if request else []


class ArticleWriteSerializer(serializers.Serializer):
    """Create a draft, or edit (PATCH/PUT). On a published article new text becomes a revision."""

    title = serializers.CharField(max_length=200, min_length=5)
    summary = serializers.CharField(max_length=500, required=False, allow_blank=True)
    body = serializers.CharField()
    language = serializers.ChoiceField(choices=ArticleLanguage.choices, required=False)
    audience = serializers.ChoiceField(choices=Audience.choices, required=False)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    related_categories = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), many=True, required=False
    )
    services = serializers.PrimaryKeyRelatedField(
        queryset=Service.objects.filter(is_active=True), many=True, required=False
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=MAX_TAGS, required=False
    )
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True, groups__name__in=AGENT_ROLES).distinct(),
        required=False,
    )
    review_by = serializers.DateField(required=False, allow_null=True)
    change_note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ArticleActionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ArticleVersionSerializer(serializers.ModelSerializer):
    written_by = BriefUserSerializer(read_only=True)
    published_by = BriefUserSerializer(read_only=True)

    class Meta:
        model = ArticleVersion
        fields = [
            "number",
            "title",
            "summary",
            "body",
            "body_html",
            "language",
            "change_note",
            "written_by",
            "published_by",
            "published_at",
        ]
        read_only_fields = fields


class ArticleFeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = ArticleFeedback
        fields = ["helpful", "comment", "version", "updated_at"]
        read_only_fields = ["version", "updated_at"]
        extra_kwargs = {"comment": {"required": False, "allow_blank": True, "max_length": 2000}}


class ArticleIncidentUseSerializer(serializers.Serializer):
    """Use the article on an incident (attach, send to the caller, resolve with it)."""

    incident = serializers.CharField(max_length=20, help_text="Incident number, e.g. INC0001234.")
    resolution_code = serializers.CharField(max_length=30, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ArticleIncidentLinkSerializer(serializers.Serializer):
    incident = serializers.CharField(source="incident.number")
    kind = serializers.CharField()
    linked_by = BriefUserSerializer()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    solved_at = serializers.DateTimeField(allow_null=True)
