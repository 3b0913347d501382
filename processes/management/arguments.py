"""What the commands' arguments share."""

from __future__ import annotations

import argparse
import datetime as dt

from django.utils.translation import gettext as _


def iso_date(value: str) -> dt.date:
    """A command-line date, YYYY-MM-DD; anything else is the command's usage error, saying what was given."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from exc
