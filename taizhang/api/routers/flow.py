"""A member's flow history and the flow events (members/flow.py, members/services.py)."""

from ninja import Router

router = Router(tags=["flow"])
