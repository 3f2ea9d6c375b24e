"""Secret addresses blanked out in every log line: access logs keep each path, and a calendar-feed
token or an activation token in a path works like a password."""
from __future__ import annotations

import logging
import re

from flask import Flask

SECRET_PATHS = (
    (re.compile(r"/calendar/[^/\s?\"]+\.ics"), "/calendar/[hidden].ics"),
    (re.compile(r"/activate/[^/\s?\"]+"), "/activate/[hidden]"),
)


def hide_secrets(text):
    if not isinstance(text, str):
        return text
    for pattern, hidden in SECRET_PATHS:
        text = pattern.sub(hidden, text)
    return text


class HideSecretPaths(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = hide_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(hide_secrets(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            # gunicorn's access log passes its fields as one mapping; change it in place,
            # because its own class fills in the fields a format asks for but it lacks.
            for key, value in list(record.args.items()):
                record.args[key] = hide_secrets(value)
        return True


HIDE_SECRET_PATHS = HideSecretPaths()


def register(app: Flask) -> None:
    for logger in (logging.getLogger("werkzeug"), logging.getLogger("gunicorn.access"), app.logger):
        logger.addFilter(HIDE_SECRET_PATHS)  # a logging filter is added once, however often
