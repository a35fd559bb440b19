"""The calendar subscription page (the user's own feed link) and the feed itself."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from taizhang.activities import ics


@login_required
@require_GET
def calendar_page(request):
    path = reverse("activity_reports:ics", args=[ics.feed_token(request.user)])
    https_url = request.build_absolute_uri(path)
    webcal_url = "webcal://" + https_url.split("://", 1)[1]
    return render(request, "activities/reports/calendar.html", {"https_url": https_url, "webcal_url": webcal_url,
                                                                "past_days": ics.PAST_DAYS})


@require_GET
def feed(request, token):
    user = ics.user_for_token(token)
    if user is None:
        raise Http404
    response = HttpResponse(ics.build_calendar(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="taizhang.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response
