"""The app on the phone: the web manifest (and, later, the service worker)."""
