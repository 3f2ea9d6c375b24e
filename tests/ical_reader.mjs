// Reads an iCalendar feed the way a client without its own time-zone database does (the
// Outlook app, or anything built on ical.js): only the feed's embedded VTIMEZONE says what
// a TZID means. Used by tests/test_calendar_feed_clients.py.
//
//   node tests/ical_reader.mjs [wall-clock time ...] < feed.ics
//
// Prints JSON: the zones the feed defines, every VEVENT (UID, start and end as local wall
// clock in the event's zone and as UTC), and for each wall-clock time given (ISO 8601
// without offset, e.g. 2026-03-29T01:59:59) the UTC offset in seconds that each embedded
// zone gives it.
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const root = new ICAL.Component(ICAL.parse(readFileSync(0, "utf8")));

// Nothing but the feed's own definitions: no zone is known unless the feed brings it
// (reset leaves only UTC, which ical.js always has).
ICAL.TimezoneService.reset();
const zones = root.getAllSubcomponents("vtimezone").map((component) => new ICAL.Timezone(component));
for (const zone of zones) {
  ICAL.TimezoneService.register(zone);
}

function moment(time) {
  // ical.js takes a TZID's definition from the VTIMEZONE in the same file, else from the
  // TimezoneService (which holds only those same VTIMEZONEs); a TZID that neither knows would
  // silently be floating time, so say where the zone came from.
  const zone = time.zone;
  return {
    tzid: zone ? zone.tzid : null,
    embedded: Boolean(zone && zone.component && zone.component.name === "vtimezone"),
    local: time.toString(),
    utc: time.toJSDate().toISOString().replace(".000Z", "Z"),
  };
}

const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return { uid: event.uid, start: moment(event.startDate), end: moment(event.endDate) };
});

// The offset from UTC that each zone gives a wall-clock time, the way an event's DTSTART is
// turned into a moment. (Not the other way round: ical.js's own conversion from UTC into a
// zone is an hour off in the hour after each change, whatever the VTIMEZONE says.)
const offsets = {};
for (const zone of zones) {
  offsets[zone.tzid] = process.argv.slice(2).map((wallClock) => zone.utcOffset(ICAL.Time.fromDateTimeString(wallClock)));
}

process.stdout.write(JSON.stringify({
  zones: zones.map((zone) => zone.tzid),
  events,
  offsets,
}));
