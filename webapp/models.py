"""Every model, imported once so the metadata (and Alembic) knows all tables."""
from .accounts.models import ActivationToken, BuddyMatch, CoachAssignment, Role, User  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .calendar_feed.models import CalendarFeed  # noqa: F401
from .messages.models import Message, MessageRecipient  # noqa: F401
from .notify.models import DeliveryAttempt, Notification, PushSubscription  # noqa: F401
from .schedule.models import (  # noqa: F401
    Attendance,
    Event,
    Location,
    MeetingOption,
    Organisation,
    Series,
    SeriesMember,
)
