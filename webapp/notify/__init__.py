"""Reminders people can trust: an outbox of notifications, planned in one place, sent by Web Push."""
