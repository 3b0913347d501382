"""Logs a deployment reads: one JSON object per line, a line per request with its id, and the id on every line
written while that request is served."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from workflow.logs import JsonFormatter, RequestIdFilter, logging_config, request_id_var

pytestmark = pytest.mark.django_db


def record(**extra: Any) -> logging.LogRecord:
    made = logging.LogRecord("processes.ledger", logging.WARNING, __file__, 1, "逾期 %s 项", (3,), None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_a_line_is_one_json_object_with_time_level_logger_message() -> None:
    line = JsonFormatter().format(record(request_id="abc", status=200, request=object()))
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "processes.ledger" and entry["message"] == "逾期 3 项"
    assert entry["time"].endswith("+00:00") and entry["request_id"] == "abc" and entry["status"] == 200
    assert "request" not in entry  # an object (Django's request, with its cookies) is never written out


def test_an_exception_is_in_the_same_line() -> None:
    try:
        raise ValueError("坏了")
    except ValueError:
        import sys

        made = record()
        made.exc_info = sys.exc_info()
    entry = json.loads(JsonFormatter().format(made))
    assert "Traceback" in entry["exception"] and "ValueError: 坏了" in entry["exception"]


def test_the_json_configuration_writes_to_stdout_with_the_request_id(capsys: pytest.CaptureFixture[str]) -> None:
    config = logging_config(django_settings.LOGGING, fmt="json")
    assert config["handlers"]["console"]["stream"] == "ext://sys.stdout"
    assert logging_config(config, fmt="json")["handlers"]["console"]["filters"] == ["request_id"]  # idempotent
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    try:
        token = request_id_var.set("req-42")
        logger.warning("inside")
        request_id_var.reset(token)
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == "req-42" and "request_id" not in outside
    with pytest.raises(Exception, match="LOG_FORMAT"):
        logging_config(django_settings.LOGGING, fmt="xml")


def test_a_request_is_one_line_with_its_id(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.REQUEST_LOG = True
    with caplog.at_level(logging.INFO, logger="workflow.request"):
        given = Client().get("/accounts/login/?next=/secret-search", HTTP_X_REQUEST_ID="lb-7f3a")
        made = Client().get("/accounts/login/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    lines = [r for r in caplog.records if r.name == "workflow.request"]
    assert len(lines) == 2
    first: Any = lines[0]
    assert (first.method, first.path, first.status, first.request_id) == ("GET", "/accounts/login/", 200, "lb-7f3a")
    assert first.duration_ms >= 0 and first.user_id is None
    assert "secret-search" not in JsonFormatter().format(first)  # the query string is not logged
    assert given["X-Request-ID"] == "lb-7f3a"
    second: Any = lines[1]
    assert second.request_id == made["X-Request-ID"] and len(second.request_id) == 32  # a new id, not the bad one


def test_no_request_log_unless_asked(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    settings.REQUEST_LOG = False
    with caplog.at_level(logging.INFO, logger="workflow.request"):
        response = Client().get("/accounts/login/")
    assert not [r for r in caplog.records if r.name == "workflow.request"] and "X-Request-ID" not in response


def test_a_signed_in_request_names_the_user(settings: Any, caplog: pytest.LogCaptureFixture) -> None:
    from .factories import UserFactory

    settings.REQUEST_LOG = True
    user = UserFactory()
    client = Client()
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="workflow.request"):
        client.get("/plans/work/")
    line: Any = next(r for r in caplog.records if r.name == "workflow.request")
    assert line.path == "/plans/work/" and line.user_id == user.pk
