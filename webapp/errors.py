"""Error pages in the visitor's language, for browsers and for HTMX requests alike."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

ERROR_TEXTS = {
    400: (_l("Something is not right"), _l("We could not understand this request. Go back and try again.")),
    403: (_l("Not allowed"), _l("You may not do this.")),
    404: (_l("Page not found"), _l("This page does not exist, or it is not for you.")),
    405: (_l("Not possible"), _l("This cannot be done here.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    429: (_l("Too many tries"), _l("Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("This is our fault. Please try again later.")),
}


def render_error(status: int, message=None):
    title, default_message = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    return render_template("errors/error.html", status=status, title=title,
                           message=message or default_message), status


JSON_BODY_LIMIT = 64 * 1024


def _sends_nul() -> bool:
    """Whether the request holds a NUL character anywhere the app reads: in the path, a query or form
    value or name, or a JSON body (as \\u0000). Nobody types one, and PostgreSQL cannot store or even
    compare text with it, so it would end in a 500."""
    texts = [request.path, *request.args.keys(), *request.form.keys()]
    texts += [value for values in (*request.args.listvalues(), *request.form.listvalues()) for value in values]
    # A JSON body is read only when small: the push routes refuse larger ones without reading them.
    small = (request.content_length or 0) <= JSON_BODY_LIMIT
    return any("\x00" in text for text in texts) or (request.is_json and small and b"\\u0000" in request.get_data())


def register(app: Flask) -> None:
    @app.before_request
    def refuse_nul_characters():
        if _sends_nul():
            if request.is_json:
                return jsonify({"error": str(ERROR_TEXTS[400][1])}), 400
            return render_error(400)
        return None

    @app.errorhandler(CSRFError)
    def csrf_failed(_error):
        return render_error(400, _l("This form was open too long or came from elsewhere. Please try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Werkzeug's own descriptions are English; views that need a specific message
        # return render_error(status, message) themselves.
        return render_error(error.code or 500)

    @app.errorhandler(InternalServerError)
    def server_error(_error):
        db.session.rollback()
        return render_error(500)
