// Dates in the browser's locale and time zone; the server speaks UTC RFC 3339.

const DAY_MS = 24 * 60 * 60 * 1000;

const fmt = {
  date: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' }),
  time: new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }),
  weekday: new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long' }),
  short: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' }),
  long: new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }),
};
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export const formatDate = (d) => fmt.date.format(new Date(d));
export const formatTime = (d) => fmt.time.format(new Date(d));
export const formatShort = (d) => fmt.short.format(new Date(d));
export const formatLong = (d) => fmt.long.format(new Date(d));

/** Local midnight starting the day of d. */
export function startOfDay(d) {
  const x = new Date(d);
  return new Date(x.getFullYear(), x.getMonth(), x.getDate());
}

/** Local midnight n days after the day of d (DST-safe, unlike adding ms). */
export function addDays(d, n) {
  const x = startOfDay(d);
  return new Date(x.getFullYear(), x.getMonth(), x.getDate() + n);
}

/** "2025-01-31" in local time, as <input type=date> uses. */
export function dayKey(d) {
  const x = new Date(d);
  const pad = (n) => String(n).padStart(2, '0');
  return `${x.getFullYear()}-${pad(x.getMonth() + 1)}-${pad(x.getDate())}`;
}

/** Parses an <input type=date> value as a local day. */
export function parseDayKey(key) {
  const [y, m, d] = key.split('-').map(Number);
  return new Date(y, m - 1, d);
}

/** "Today", "Yesterday", or the weekday and date, for statement headings. */
export function dayHeading(d) {
  const days = Math.round((startOfDay(d) - startOfDay(new Date())) / DAY_MS);
  if (days === 0 || days === -1) {
    const word = relative.format(days, 'day');
    return word.charAt(0).toUpperCase() + word.slice(1);
  }
  return fmt.weekday.format(new Date(d));
}
