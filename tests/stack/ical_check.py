"""Parses an iCalendar feed read from stdin with the PyPI `icalendar` package (an independent parser),
strictly: CRLF line ends, no content line over 75 octets, no property the parser could not read, then
prints the events as JSON for the Rust test to assert on. Exit 1 with the reason on any problem."""

import json
import sys

import icalendar


def main() -> int:
    raw = sys.stdin.buffer.read()
    problems = []
    if not raw.endswith(b"\r\n"):
        problems.append("the feed does not end in CRLF")
    for number, line in enumerate(raw.split(b"\r\n")[:-1], start=1):
        if b"\n" in line or b"\r" in line:
            problems.append(f"line {number} has a bare LF or CR")
        if len(line) > 75:
            problems.append(f"line {number} is {len(line)} octets")
    try:
        calendar = icalendar.Calendar.from_ical(raw.decode("utf-8"))
    except Exception as error:  # the parser's own refusal, whatever its type
        print(json.dumps({"problems": problems + [f"unparsable: {error}"]}))
        return 1
    for component in calendar.walk():
        for error in getattr(component, "errors", []):
            problems.append(f"{component.name}: {error}")
    for required in ("VERSION", "PRODID"):
        if required not in calendar:
            problems.append(f"the calendar has no {required}")
    events = []
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            if required not in event:
                problems.append(f"an event has no {required}")
        alarms = [
            {
                "action": str(alarm.get("ACTION")),
                "trigger_minutes": int(alarm.decoded("TRIGGER").total_seconds() // 60),
            }
            for alarm in event.walk("VALARM")
        ]
        events.append(
            {
                "uid": str(event.get("UID")),
                "status": str(event.get("STATUS", "")),
                "sequence": int(event.get("SEQUENCE", 0)),
                "summary": str(event.get("SUMMARY", "")),
                "start": event.decoded("DTSTART").isoformat(),
                "end": event.decoded("DTEND").isoformat() if "DTEND" in event else None,
                "alarms": alarms,
            }
        )
    print(json.dumps({"problems": problems, "events": events}))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
