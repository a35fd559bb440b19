"""The project's URLs plus ``/bench-admin/``: Django's admin with a plain changelist of Member (the peer page of
issue 10's table). Used only by ``benchmarks/bench.py`` through ``bench_settings``."""

from django.contrib import admin
from django.urls import path

from config.urls import handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as project_urlpatterns
from taizhang.members.models import Member


class MemberAdmin(admin.ModelAdmin):
    """The columns a ledger row shows, 20 a page like the ledger's default, with the full count."""

    list_display = ("name", "gender", "birth_date", "branch", "district", "category", "join_date")
    list_select_related = ("branch", "district")
    search_fields = ("name", "name_pinyin", "name_initials")
    list_per_page = 20


site = admin.AdminSite(name="bench_admin")
site.register(Member, MemberAdmin)

urlpatterns = [path("bench-admin/", site.urls), *project_urlpatterns]
