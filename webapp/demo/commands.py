"""`flask demo seed`: build (or top up) the demo programme, safely run again and again."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from .seed import DEMO_PIN, DEMO_STAFF_PASSWORD, seed_demo


@click.group()
def demo():
    """Demo data."""


@demo.command("seed")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where the app is reached, for the activation link printed at the end.")
@with_appcontext
def seed(base_url: str):
    """Create the demo organisation, people and weeks around today; running it again adds nothing twice."""
    result = seed_demo()
    db.session.commit()
    click.echo("Demo logins")
    click.echo(f"  Open {base_url}/login")
    for person in result.participants:
        click.echo(f"  participant  {person.display_name:<16} phone {person.phone}  PIN {DEMO_PIN}  ({person.locale})")
    click.echo(f"  Staff sign-in: {base_url}/login/staff  password {DEMO_STAFF_PASSWORD}")
    for person in result.staff:
        click.echo(f"  {person.role.value:<11}  {person.display_name:<16} {person.email}")
    click.echo(f"  Not yet activated: {result.pending.display_name}, link {base_url}/activate/{result.pending_token}")
