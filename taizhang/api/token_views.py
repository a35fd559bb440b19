"""The token pages (placeholder until the pages are written)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def token_list(request):
    return HttpResponse("")


@login_required
def token_revoke(request, pk):
    return HttpResponse("")
