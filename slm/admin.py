from django.contrib import admin

from slm.models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "desk", "owner", "criticality", "is_active")
    list_filter = ("desk", "criticality", "is_active")
    search_fields = ("name", "description")
    autocomplete_fields = ("owner",)
