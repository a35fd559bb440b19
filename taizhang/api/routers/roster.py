"""The roster as of a date: the ``roster`` command's JSON."""

from ninja import Router

router = Router(tags=["roster"])
