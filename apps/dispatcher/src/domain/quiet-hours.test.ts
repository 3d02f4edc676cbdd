import { quietHoursEnd, type QuietWindow } from './quiet-hours.js';

const window = (start: string, end: string, timezone: string): QuietWindow => ({ start, end, timezone });
/** The end of the window as an ISO instant, or undefined when `now` is outside it. */
const endAt = (w: QuietWindow, now: string): string | undefined => quietHoursEnd(w, new Date(now))?.toISOString();
const hoursBetween = (from: string, to: string | undefined): number => (Date.parse(to ?? 'NaN') - Date.parse(from)) / 3_600_000;

const berlinNight = window('22:00', '07:00', 'Europe/Berlin');
const newYorkNight = window('22:00', '07:00', 'America/New_York');

describe('quietHoursEnd', () => {
  it('is undefined outside the window', () => {
    expect(endAt(berlinNight, '2026-06-15T10:00:00Z')).toBeUndefined(); // 12:00 CEST
    expect(endAt(window('13:00', '14:00', 'America/New_York'), '2026-06-15T19:00:00Z')).toBeUndefined(); // 15:00 EDT
  });

  it('ends a same-day window later that day', () => {
    expect(endAt(window('13:00', '14:00', 'America/New_York'), '2026-06-15T17:30:00Z')).toBe('2026-06-15T18:00:00.000Z');
  });

  it('ends a midnight-crossing window the next morning when inside before midnight', () => {
    expect(endAt(berlinNight, '2026-06-15T21:00:00Z')).toBe('2026-06-16T05:00:00.000Z'); // 23:00 CEST → 07:00 CEST
  });

  it('ends a midnight-crossing window the same morning when inside after midnight', () => {
    expect(endAt(berlinNight, '2026-06-15T22:00:00Z')).toBe('2026-06-16T05:00:00.000Z'); // 00:00 CEST
    expect(endAt(berlinNight, '2026-06-16T01:00:00Z')).toBe('2026-06-16T05:00:00.000Z'); // 03:00 CEST
  });

  it('includes the start and excludes the end', () => {
    expect(endAt(berlinNight, '2026-06-15T19:59:59.999Z')).toBeUndefined(); // 21:59:59.999
    expect(endAt(berlinNight, '2026-06-15T20:00:00Z')).toBe('2026-06-16T05:00:00.000Z'); // 22:00
    expect(endAt(berlinNight, '2026-06-16T04:59:59.999Z')).toBe('2026-06-16T05:00:00.000Z'); // 06:59:59.999
    expect(endAt(berlinNight, '2026-06-16T05:00:00Z')).toBeUndefined(); // 07:00

    const lunch = window('13:00', '14:00', 'America/New_York');
    expect(endAt(lunch, '2026-06-15T16:59:59Z')).toBeUndefined();
    expect(endAt(lunch, '2026-06-15T17:00:00Z')).toBe('2026-06-15T18:00:00.000Z');
    expect(endAt(lunch, '2026-06-15T18:00:00Z')).toBeUndefined();
  });

  it('treats an end of 00:00 as the coming midnight', () => {
    const evening = window('20:00', '00:00', 'Europe/Berlin');
    expect(endAt(evening, '2026-06-15T21:30:00Z')).toBe('2026-06-15T22:00:00.000Z'); // 23:30 → 00:00 CEST
    expect(endAt(evening, '2026-06-15T22:00:00Z')).toBeUndefined(); // 00:00 itself is outside
  });

  it('rolls over the end of a month and a year', () => {
    expect(endAt(newYorkNight, '2027-01-01T04:00:00Z')).toBe('2027-01-01T12:00:00.000Z'); // 23:00 EST on 31 Dec
    expect(endAt(berlinNight, '2026-06-30T21:00:00Z')).toBe('2026-07-01T05:00:00.000Z');
  });

  it('reads the wall clock of half-hour zones', () => {
    // Asia/Kolkata is UTC+05:30 all year.
    const kolkata = window('21:30', '08:15', 'Asia/Kolkata');
    expect(endAt(kolkata, '2026-01-10T15:59:59Z')).toBeUndefined(); // 21:29:59 IST
    expect(endAt(kolkata, '2026-01-10T16:00:00Z')).toBe('2026-01-11T02:45:00.000Z'); // 21:30 IST → 08:15 IST
  });

  describe('spring forward (the clock skips an hour)', () => {
    it('lasts an hour less when it spans the gap (New York, 2026-03-08, 02:00 → 03:00)', () => {
      const now = '2026-03-08T03:00:00Z'; // 22:00 EST on 7 March
      expect(endAt(newYorkNight, now)).toBe('2026-03-08T11:00:00.000Z'); // 07:00 EDT
      expect(hoursBetween(now, endAt(newYorkNight, now))).toBe(8);
    });

    it('ends at the jump when the end falls in the gap (New York, end 02:30)', () => {
      expect(endAt(window('22:00', '02:30', 'America/New_York'), '2026-03-08T03:00:00Z')).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT
      expect(endAt(window('01:00', '02:30', 'America/New_York'), '2026-03-08T06:59:59Z')).toBe('2026-03-08T07:00:00.000Z'); // from 01:59:59 EST
    });

    it('lasts an hour less when it spans the gap (Berlin, 2026-03-29, 02:00 → 03:00)', () => {
      expect(endAt(berlinNight, '2026-03-28T21:00:00Z')).toBe('2026-03-29T05:00:00.000Z'); // 22:00 CET → 07:00 CEST
    });

    it('ends at the jump when the end falls in the gap (Berlin, end 02:30)', () => {
      expect(endAt(window('23:00', '02:30', 'Europe/Berlin'), '2026-03-28T22:00:00Z')).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST
    });

    it('handles a 30-minute shift (Australia/Lord_Howe, 2026-10-04, 02:00 → 02:30)', () => {
      const lordHoweNight = window('22:00', '07:00', 'Australia/Lord_Howe');
      expect(endAt(lordHoweNight, '2026-10-03T11:30:00Z')).toBe('2026-10-03T20:00:00.000Z'); // 22:00 +10:30 → 07:00 +11, 8.5 h
      expect(endAt(window('22:00', '02:15', 'Australia/Lord_Howe'), '2026-10-03T11:30:00Z')).toBe('2026-10-03T15:30:00.000Z'); // 02:30 +11
    });

    it('ends when the clock jumps over a whole skipped day (Pacific/Apia, 2011-12-30)', () => {
      // Samoa moved across the date line: 29 December 23:59:59 (−10) was followed by 31 December 00:00 (+14).
      expect(endAt(window('22:00', '07:00', 'Pacific/Apia'), '2011-12-30T09:00:00Z')).toBe('2011-12-30T10:00:00.000Z');
    });
  });

  describe('fall back (the clock repeats an hour)', () => {
    it('lasts the real elapsed time when it spans the repeated hour (New York, 2026-11-01, 02:00 → 01:00)', () => {
      const now = '2026-11-01T02:00:00Z'; // 22:00 EDT on 31 October
      expect(endAt(newYorkNight, now)).toBe('2026-11-01T12:00:00.000Z'); // 07:00 EST
      expect(hoursBetween(now, endAt(newYorkNight, now))).toBe(10);
    });

    it('ends at the first occurrence still ahead when the end falls in the repeated hour (New York, end 01:30)', () => {
      const untilHalfPastOne = window('22:00', '01:30', 'America/New_York');
      expect(endAt(untilHalfPastOne, '2026-11-01T02:00:00Z')).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
      expect(endAt(untilHalfPastOne, '2026-11-01T05:15:00Z')).toBe('2026-11-01T05:30:00.000Z'); // from 01:15 EDT
      expect(endAt(untilHalfPastOne, '2026-11-01T05:45:00Z')).toBeUndefined(); // 01:45 EDT: past the end
      // The clock reads 01:00 again at 06:00Z: back inside by wall time, until 01:30 EST.
      expect(endAt(untilHalfPastOne, '2026-11-01T06:00:00Z')).toBe('2026-11-01T06:30:00.000Z');
    });

    it('lasts the real elapsed time when it spans the repeated hour (Berlin, 2026-10-25, 03:00 → 02:00)', () => {
      const now = '2026-10-24T20:00:00Z'; // 22:00 CEST
      expect(endAt(berlinNight, now)).toBe('2026-10-25T06:00:00.000Z'); // 07:00 CET
      expect(hoursBetween(now, endAt(berlinNight, now))).toBe(10);
    });

    it('ends at the first occurrence when the end falls in the repeated hour (Berlin, end 02:30)', () => {
      expect(endAt(window('22:00', '02:30', 'Europe/Berlin'), '2026-10-24T20:00:00Z')).toBe('2026-10-25T00:30:00.000Z'); // 02:30 CEST
    });

    it('handles a 30-minute shift (Australia/Lord_Howe, 2026-04-05, 02:00 → 01:30)', () => {
      const now = '2026-04-04T11:00:00Z'; // 22:00 +11
      expect(endAt(window('22:00', '07:00', 'Australia/Lord_Howe'), now)).toBe('2026-04-04T20:30:00.000Z'); // 07:00 +10:30
      expect(hoursBetween(now, endAt(window('22:00', '07:00', 'Australia/Lord_Howe'), now))).toBe(9.5);
      expect(endAt(window('23:00', '01:45', 'Australia/Lord_Howe'), '2026-04-04T12:00:00Z')).toBe('2026-04-04T14:45:00.000Z'); // first 01:45, +11
    });
  });
});
