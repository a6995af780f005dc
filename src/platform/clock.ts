import Joi from 'joi';

// One clock for the whole service, so tests (and the demo) can move time, e.g. to end a notice period.
let offsetMs = 0;

export const clock = {
  now: () => new Date(Date.now() + offsetMs),
  /** Moves the clock forward (tests only); never backwards, so audit times stay ordered. */
  advance(ms: number) {
    if (ms < 0) throw new Error('the clock only moves forward');
    offsetMs += ms;
  },
  reset: () => {
    offsetMs = 0;
  },
};

const SHANGHAI = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The business date of an instant: business dates and year boundaries are Asia/Shanghai time. */
export const shanghaiDate = (at: Date = clock.now()) => SHANGHAI.format(at);

export function isCalendarDate(s: string) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export const dateSchema = () =>
  Joi.string()
    .strict()
    .custom((v, h) => (isCalendarDate(v) && v >= '2000-01-01' && v <= '2099-12-31' ? v : h.error('date.calendar')))
    .messages({ 'date.calendar': '{{#label}} must be a calendar date YYYY-MM-DD between 2000 and 2099' });

export function addDays(date: string, days: number) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
