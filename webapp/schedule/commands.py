"""`flask schedule ...`: keep recurring series filled in ahead of time."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from .series import extend_horizons, horizon


@click.group()
def schedule():
    """Planning tasks."""


@schedule.command("extend")
@with_appcontext
def extend():
    """Expand every recurring series up to the rolling horizon (run daily from cron)."""
    added = extend_horizons(horizon())
    db.session.commit()
    click.echo(f"{added} occurrences added")
