"""htmx helpers the apps' views share (request.htmx comes from django-htmx's middleware)."""

from django.http import HttpResponse
from django.shortcuts import redirect


def full_redirect(request, url: str) -> HttpResponse:
    """Send the browser to ``url`` as a whole page: an htmx request (a poll, a fragment) gets ``204`` with
    ``HX-Redirect`` (so the page changes, not the swapped element), any other request an ordinary redirect.
    Used when a polled job has ended (background exports, the ledger import) and by the forced password
    change."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
