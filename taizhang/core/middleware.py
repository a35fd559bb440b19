"""Response headers the whole site shares."""


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every response Django produces.

    Pages, htmx fragments, exports, error workbooks, attachments and the .ics feed all carry personal data;
    no browser, proxy or shared office PC may keep a copy (the back button then asks the server again).
    The application serves nothing dynamic that is public and cacheable, so the rule is the simplest
    correct one: everything except static files. Those never get here — WhiteNoise, placed before this
    middleware, answers them itself with its long-lived caching of hashed names. A view that already says
    ``no-store`` (e.g. ``private, no-store`` or Django's ``never_cache``) keeps its own header; anything
    else (``max-age=…``) is replaced.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response
