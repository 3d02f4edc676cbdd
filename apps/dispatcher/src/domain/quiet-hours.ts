/** A customer's quiet hours: "HH:MM" 24-hour local wall times in an IANA time zone. */
export interface QuietWindow {
  start: string;
  end: string;
  timezone: string;
}

const DAY_MS = 86_400_000;

/**
 * When `now` falls inside the window (in the zone's local wall time, start inclusive, end
 * exclusive), the instant the window ends; otherwise undefined.
 *
 * A window with end < start crosses midnight (22:00–07:00). start === end is rejected at the
 * edge (PreferencesSchema); here it is an empty window rather than one that never ends.
 */
export function quietHoursEnd(window: QuietWindow, now: Date): Date | undefined {
  const start = minutesOfDay(window.start);
  const end = minutesOfDay(window.end);
  const clock = zoneClock(window.timezone);
  const local = clock.wallTime(now.getTime());
  const minute = local.hour * 60 + local.minute;

  const inside = start < end ? minute >= start && minute < end : start > end && (minute >= start || minute < end);
  if (!inside) return undefined;

  // The end is today if the clock has not reached it yet, else tomorrow (a window that crossed
  // midnight). Date.UTC rolls day 32 over into the next month, so this is plain calendar arithmetic.
  const day = minute < end ? local.day : local.day + 1;
  const target = Date.UTC(local.year, local.month - 1, day, Math.floor(end / 60), end % 60);
  return new Date(whenClockReaches(clock, target, now.getTime()));
}

/**
 * The first instant after `after` at which the zone's wall clock reads `wall` (a local date and
 * time written as if it were UTC), or, when that wall time is skipped, the instant the clock
 * jumps over it.
 *
 * A wall time maps to an instant through the zone's UTC offset, and the offset is what
 * daylight saving changes. We try the offsets in force a day before and a day after (no zone
 * changes its offset twice within two days): wall − offset is a real occurrence when the zone
 * has that offset at that instant.
 * - Fall-back: both offsets fit, so the wall time occurs twice (01:30 EDT, then 01:30 EST); we
 *   take the first one after `after`, so a window ends at the first 01:30 still ahead of it.
 * - Spring-forward: neither fits, the wall time never happens (02:30 in New York on
 *   2026-03-08). The window then ends when the clock jumps past it, at the transition: 03:00
 *   local. It lies between wall − later offset and wall − earlier offset, and we find it by
 *   bisection on the offset.
 */
function whenClockReaches(clock: ZoneClock, wall: number, after: number): number {
  const offsets = new Set([clock.offsetAt(wall - DAY_MS), clock.offsetAt(wall + DAY_MS)]);
  const occurrences = [...offsets]
    .map((offset) => wall - offset)
    .filter((instant) => clock.offsetAt(instant) === wall - instant && instant > after);
  if (occurrences.length > 0) return Math.min(...occurrences);

  let before = wall - clock.offsetAt(wall + DAY_MS); // still on the old offset
  let transition = wall - clock.offsetAt(wall - DAY_MS); // already on the new one
  const oldOffset = clock.offsetAt(before);
  while (transition - before > 1) {
    const mid = Math.floor((before + transition) / 2);
    if (clock.offsetAt(mid) === oldOffset) before = mid;
    else transition = mid;
  }
  return transition;
}

function minutesOfDay(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

interface ZoneClock {
  wallTime(instant: number): WallTime;
  /** Milliseconds to add to UTC to get the zone's wall time at `instant`. */
  offsetAt(instant: number): number;
}

/** Reads a zone's wall clock through Intl, the only source of tz data we have without a library. */
function zoneClock(timeZone: string): ZoneClock {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const wallTime = (instant: number): WallTime => {
    const parts = format.formatToParts(instant);
    const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
    // Some ICU versions print midnight as "24" even with h23; it is hour 0 of the same day.
    return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour') % 24, minute: part('minute'), second: part('second') };
  };
  return {
    wallTime,
    offsetAt(instant) {
      const w = wallTime(instant);
      // Intl shows whole seconds, so compare against the instant truncated to its second.
      return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(instant / 1000) * 1000;
    },
  };
}
