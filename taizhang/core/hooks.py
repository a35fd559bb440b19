"""One way for other apps to react to an app's events: a ``Hook`` the owning app declares.

Dependencies point one way (ARCHITECTURE.md layout), yet a lower app must sometimes let a higher one
take part: a new committee gets activity types and points rules, attendance books points, a care visit
counts as contact, later apps add panels to the member page. The lower app declares a ``Hook`` in its
``hooks.py`` with a docstring saying when it fires, in which transaction, with which keyword arguments
and what a listener may or may not do; the higher app connects its listener in its
``AppConfig.ready()``. The lower app never imports the higher one.

It is a plain, explicit registry on purpose, not Django signals (ARCHITECTURE.md rule 4 keeps business
logic out of signals): a listener is an ordinary function called in the caller's transaction, and its
exceptions propagate to the caller, so a failing listener undoes the whole change.

* ``hook.connect(fn, key=…, order=…, **options)`` — also usable as ``@hook.connect``. Connecting again
  under the same key replaces the listener in its place (``ready()`` may run twice in tests), so
  registration is idempotent. ``options`` are what the owner asks of each listener (a panel's template).
* ``hook.send(**arguments)`` — call every listener for its effect.
* ``hook.collect(**arguments)`` — call every listener and return ``[(listener, result), …]``.

Listeners run by ``order`` (smallest first), listeners with the same order in the order they connected.
The arguments are keyword-only and exactly those the hook declares: ``connect`` refuses a function that
cannot take them, ``send``/``collect`` refuse a call that passes others.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Listener:
    key: str
    function: Callable
    order: int = 100
    options: dict = field(default_factory=dict)


class Hook:
    def __init__(self, name: str, *, arguments: tuple[str, ...], doc: str, options: tuple[str, ...] = ()):
        self.name = name
        self.arguments = tuple(arguments)
        self.options = tuple(options)
        self.__doc__ = doc
        self._listeners: dict[str, Listener] = {}  # replaced, never changed in place (copy on write)

    def __repr__(self) -> str:
        return f"<Hook {self.name}({', '.join(self.arguments)}): {len(self._listeners)} listener(s)>"

    def connect(self, function: Callable | None = None, *, key: str = "", order: int = 100, **options):
        """Add ``function`` as a listener (see the module docstring); returns it, so it is a decorator too."""
        if function is None:
            return lambda fn: self.connect(fn, key=key, order=order, **options)
        try:
            inspect.signature(function).bind(**dict.fromkeys(self.arguments))
        except TypeError as exc:
            raise TypeError(f"{function!r} cannot listen to {self.name}: it must take the keyword arguments "
                            f"{', '.join(self.arguments)} ({exc})") from None
        if set(options) != set(self.options):
            raise TypeError(f"{self.name} listeners are connected with the options {self.options!r}, "
                            f"not {tuple(options)!r}")
        key = key or f"{function.__module__}.{function.__qualname__}"
        self._listeners = {**self._listeners, key: Listener(key, function, order, options)}
        return function

    def listeners(self) -> list[Listener]:
        return sorted(self._listeners.values(), key=lambda listener: listener.order)

    def _check(self, arguments: dict) -> None:
        if set(arguments) != set(self.arguments):
            raise TypeError(f"{self.name} is sent with the keyword arguments {', '.join(self.arguments)}, "
                            f"not {', '.join(sorted(arguments))}")

    def send(self, **arguments) -> None:
        self._check(arguments)
        for listener in self.listeners():
            listener.function(**arguments)

    def collect(self, **arguments) -> list[tuple[Listener, Any]]:
        self._check(arguments)
        return [(listener, listener.function(**arguments)) for listener in self.listeners()]
