"""What a screen pushed over the tabs declares about itself, once, on its state class.

A new pushed screen is a state class that subclasses ``PushedScreen`` and says, next to its fields:

- ``TITLE``: the message key of its app-bar title;
- ``USAGE_NAME``: its name in the usage log's ``screen_shown`` event when it is pushed (``None``
  when the screen logs a richer event of its own, as the patient and trend screens do);
- ``forget()``: how it drops patient data on logout and switch user (a component may still hold
  the object for a moment after the stack is emptied).

Its dataclass takes ``repr=False``: Flet formats messages with repr, so a screen's repr names only
its class (or, defined on the class, something short and patient-free).

Optional: ``about_a_patient`` (it shows or writes about one patient: no scanner burst may switch
patient while it is open, see ``scan_router.py``), ``REFRESHABLE`` with ``refresh()`` (the shell offers a
refresh button), ``leave()`` (it was closed by Back or a tab change) and ``step_back()`` (Back
closes something inside it first).
The component that shows it registers with ``@shows(StateClass)`` in its screen module
(``mobile_app/ui/screen_views.py``); nothing else lists screens.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar


class PushedScreen(ABC):
    TITLE: ClassVar[str]
    USAGE_NAME: ClassVar[str | None] = None
    REFRESHABLE: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(getattr(cls, "TITLE", None), str):
            raise TypeError(f"{cls.__name__} must declare TITLE, the message key of its title")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    @abstractmethod
    def forget(self) -> None:
        """Logout or switch user: drop every piece of patient data this screen holds."""

    def leave(self) -> None:  # noqa: B027 - most screens have nothing to do when closed
        """The user closed the screen (Back or another tab), not what it opened."""

    @property
    def about_a_patient(self) -> bool:
        """Whether the screen is about one patient (a scan must not switch patient under it)."""
        return False

    async def refresh(self) -> None:  # noqa: B027 - only screens with REFRESHABLE fetch again
        """Fetch what the screen shows again (the shell's refresh button)."""

    def step_back(self) -> bool:
        """Back inside the screen (a document closes before its patient); False: close the screen."""
        return False
