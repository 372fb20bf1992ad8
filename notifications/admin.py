from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification, Status


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "template", "address", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "channel", "template", "language")
    search_fields = ("address", "dedupe_key", "template", "thread")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Retry delivery now"))
    def retry_now(self, request, queryset):
        count = queryset.exclude(status=Status.SENT).update(
            status=Status.PENDING, next_attempt_at=timezone.now(), locked_until=None
        )
        messages.success(request, _("%(count)d notification(s) queued again.") % {"count": count})
