"""The admin's overview page."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..accounts.auth import role_required
from ..accounts.models import Role
from .services import organisations_with_locations, people_per_role

bp = Blueprint("organisations", __name__)


@bp.get("/admin")
@role_required(Role.ADMIN)
def overview():
    return render_template("organisations/overview.html", organisations=organisations_with_locations(),
                           people=people_per_role())
