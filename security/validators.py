"""Password rules beyond Django's (等保 2.0 level 3): three of the four kinds of character, and not the username."""

from __future__ import annotations

import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters (symbols) ``password`` uses."""
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c in string.digits for c in password),
            any(not c.isalnum() for c in password),
        )
    )


class CharacterClassesValidator:
    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.message(), code="password_too_simple")

    def message(self) -> str:
        return ngettext(
            "The password must use at least %(count)d kind of character: lower case, upper case, digits, symbols.",
            "The password must use at least %(count)d of the four kinds of character: lower case letters, upper "
            "case letters, digits and symbols.",
            self.min_classes,
        ) % {"count": self.min_classes}

    def get_help_text(self) -> str:
        return self.message()


class UsernameNotContainedValidator:
    def validate(self, password: str, user: Any = None) -> None:
        username = user.get_username() if user is not None else ""
        if username and username.casefold() in password.casefold():
            raise ValidationError(_("The password must not contain the username."), code="password_contains_username")

    def get_help_text(self) -> str:
        return _("The password must not contain your username.")
