"""A secret calendar-feed address per person: their week as iCalendar, for the phone's calendar."""
