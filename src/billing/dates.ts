/** Calendar dates as ISO strings (YYYY-MM-DD), computed in UTC so no local zone shifts them. */

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(s: string): boolean {
  const m = ISO.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

export function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(fromIso: string, toIso: string): number {
  return Math.round((Date.parse(`${toIso}T00:00:00Z`) - Date.parse(`${fromIso}T00:00:00Z`)) / 86_400_000);
}

/** Last day of a month given 'YYYY-MM'. */
export function endOfMonth(yearMonth: string): string {
  const [y, m] = yearMonth.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

export interface Clock {
  now(): Date;
  /** Today's date in the billing time zone. */
  today(): string;
}

export function systemClock(timeZone: string): Clock {
  const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return { now: () => new Date(), today: () => fmt.format(new Date()) };
}

/** A clock pinned to one day (demo, evals, tests): `now()` is noon UTC of that day plus elapsed real time is not modelled. */
export function fixedClock(today: string, now: Date = new Date(`${today}T12:00:00Z`)): Clock {
  if (!isIsoDate(today)) throw new Error(`fixedClock: not a date: ${today}`);
  return { now: () => now, today: () => today };
}
