from django.contrib import admin

from programs.models import Event, Program, ProgramMember


class ProgramMemberInline(admin.TabularInline):
    model = ProgramMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sponsor", "phase", "status", "health"]
    list_filter = ["sponsor", "phase", "status", "health"]
    search_fields = ["code", "name", "product"]
    inlines = [ProgramMemberInline]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["at", "program", "verb", "summary", "audience"]
    list_filter = ["kind", "audience"]
    search_fields = ["summary", "program__code"]
