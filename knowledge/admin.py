"""Django admin for the knowledge base. Lifecycle steps go through the service functions."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from knowledge import services
from knowledge.choices import Action
from knowledge.models import (
    Article,
    ArticleEvent,
    ArticleFeedback,
    ArticleIncidentLink,
    ArticleRevision,
    ArticleVersion,
    ArticleView,
    Tag,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """History rows: visible, never edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ("number", "title", "change_note", "written_by", "published_by", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _lifecycle_action(action: str, label):
    def run(modeladmin, request, queryset):
        done = 0
        for article in queryset:
            try:
                services.perform_action(article, by=request.user, action=action)
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(getattr(exc, "messages", [])) or str(exc) or _("not allowed")
                modeladmin.message_user(request, f"{article.number}: {text}", messages.WARNING)
        if done:
            modeladmin.message_user(
                request, _("%(count)s article(s) updated.") % {"count": done}, messages.SUCCESS
            )

    run.__name__ = f"{action}_articles"
    run.short_description = label
    return run


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Metadata is edited here; text edits and lifecycle steps go through the services."""

    list_display = (
        "number",
        "title",
        "state",
        "audience",
        "language",
        "category",
        "owner",
        "version",
        "view_count",
    )
    list_filter = ("state", "audience", "language", "category")
    list_select_related = ("category", "owner")
    search_fields = ("number", "title", "summary")
    autocomplete_fields = ("category", "owner", "related_categories", "services", "tags")
    readonly_fields = (
        "number",
        "state",
        "version",
        "author",
        "title",
        "summary",
        "body",
        "published_at",
        "retired_at",
        "created_at",
        "updated_at",
        "view_count",
        "helpful_count",
        "not_helpful_count",
        "solved_count",
    )
    fields = (
        ("number", "state", "version"),
        "title",
        "summary",
        "body",
        ("language", "audience"),
        "category",
        "related_categories",
        "services",
        "tags",
        ("author", "owner"),
        "review_by",
        ("published_at", "retired_at", "created_at", "updated_at"),
        ("view_count", "helpful_count", "not_helpful_count", "solved_count"),
    )
    inlines = [VersionInline]
    actions = [
        _lifecycle_action(Action.SUBMIT, _("Submit for review")),
        _lifecycle_action(Action.PUBLISH, _("Publish")),
        _lifecycle_action(Action.RETIRE, _("Retire")),
    ]

    def has_add_permission(self, request) -> bool:
        # New articles are written in the agent UI's editor (numbering, rendering, history).
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name] for name in form.changed_data if name in services.SCALAR_FIELDS
        }
        if changes:
            services.edit_article(Article.objects.get(pk=obj.pk), by=request.user, changes=changes)

    def save_related(self, request, form, formsets, change):
        changes = {}
        for name in ("related_categories", "services"):
            if name in form.changed_data:
                changes[name] = list(form.cleaned_data[name])
        if "tags" in form.changed_data:
            changes["tags"] = [tag.name for tag in form.cleaned_data["tags"]]
        if changes:
            services.edit_article(form.instance, by=request.user, changes=changes)
        for formset in formsets:  # the read-only version inline: saves nothing, but admin expects it
            self.save_formset(request, form, formset, change=change)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(ArticleVersion)
class ArticleVersionAdmin(ReadOnlyAdmin):
    list_display = ("article", "number", "title", "published_by", "published_at")
    list_select_related = ("article", "published_by")
    search_fields = ("article__number", "title")


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(ReadOnlyAdmin):
    list_display = ("article", "state", "author", "updated_at")
    list_filter = ("state",)
    list_select_related = ("article", "author")


@admin.register(ArticleEvent)
class ArticleEventAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "kind", "author", "created_at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "author")


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("article", "user", "helpful", "comment", "updated_at")
    list_filter = ("helpful",)
    list_select_related = ("article", "user")
    search_fields = ("article__number", "comment")


@admin.register(ArticleView)
class ArticleViewAdmin(ReadOnlyAdmin):
    list_display = ("article", "user", "source", "created_at")
    list_filter = ("source",)
    list_select_related = ("article", "user")


@admin.register(ArticleIncidentLink)
class ArticleIncidentLinkAdmin(ReadOnlyAdmin):
    list_display = ("article", "incident", "linked_by", "created_at", "sent_at", "solved_at")
    list_select_related = ("article", "incident", "linked_by")
    search_fields = ("article__number", "incident__number")
