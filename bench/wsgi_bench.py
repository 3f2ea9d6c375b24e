"""The real app for gunicorn in `bench/server_cost.py`, with one extra route: `/bench/ping`.

    DATABASE_URL=... SECRET_KEY=... .venv/bin/gunicorn bench.wsgi_bench:app

`/bench/ping` answers "ok" through the same Flask app, middleware and extensions (sessions,
Flask-Login, Babel, compression, after-request hooks) as every page, so a page's requests per
second against it say what the page costs above the framework's own floor on the same server.
The route exists only here: webapp/ has no benchmark route, and this module is never deployed.

Settings come from the environment as in production (DATABASE_URL, SECRET_KEY), except that
the sign-in rate limiter is off (the benchmark signs in a hundred participants from 127.0.0.1,
which the per-address limit would refuse) and the reminder worker is not started.
"""
from __future__ import annotations

from webapp import create_app

app = create_app({"RATELIMIT_ENABLED": False, "REMINDER_WORKER": "off"})


@app.get("/bench/ping")
def bench_ping():
    return "ok"
