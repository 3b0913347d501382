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


ISSUER_HELP = (
    "the code of the office whose plan it is — a city's or a district's office (any unit marked as an office); "
    "default: the provincial programme office"
)


def add_plan_arguments(parser: argparse.ArgumentParser, *, year_required: bool = True, year_help: str = "") -> None:
    """``--issuer CODE`` and ``--year YYYY``: a plan is named by the office that issues it and its year."""
    parser.add_argument("--issuer", metavar="CODE", default=None, help=ISSUER_HELP)
    parser.add_argument("--year", type=int, required=year_required, help=year_help or "the plan's year, e.g. 2023")
