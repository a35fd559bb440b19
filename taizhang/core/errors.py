"""Errors services raise. Views turn them into Chinese messages on the page, never a stack trace."""

from django.core.exceptions import ValidationError


class ConcurrentEditError(Exception):
    """Someone else saved the record after this user opened it."""

    def __init__(self, current):
        super().__init__("concurrent edit")
        self.current = current


__all__ = ["ConcurrentEditError", "ValidationError"]
