// Local civil time in an IANA zone → UTC, with Python zoneinfo's fold=0 rules: an ambiguous
// (fall-back) wall time takes its first occurrence; a wall time inside a spring-forward gap is read
// with the offset in force before the gap.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True for a zone name the runtime's tz database knows (case-sensitive canonical or alias). */
export function isValidZone(zone: string): boolean {
  if (!zone || zone.length > 64 || !/^[A-Za-z0-9_+\-/]+$/.test(zone)) return false;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** UTC offset (ms) of `zone` at instant `ms`. */
export function offsetAt(zone: string, ms: number): number {
  const parts = formatter(zone).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const era = parts.find((p) => p.type === 'era')?.value;
  let year = get('year');
  if (era === 'BC' || era === 'B') year = 1 - year;
  const d = new Date(0);
  d.setUTCFullYear(year, get('month') - 1, get('day'));
  d.setUTCHours(get('hour'), get('minute'), get('second'), 0);
  return d.getTime() - Math.floor(ms / 1000) * 1000;
}

const DAY = 86_400_000;

/** `date` YYYY-MM-DD and `time` HH:MM[:SS[.ffffff]] as wall time in `zone` → the UTC instant. */
export function localToUtc(date: string, time: string, zone: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const [hms, frac = ''] = time.split('.');
  const [h, mi, s = 0] = hms.split(':').map(Number);
  const wall = new Date(0);
  wall.setUTCFullYear(y, mo - 1, d);
  wall.setUTCHours(h, mi, s, Number((frac + '000').slice(0, 3)));
  const L = wall.getTime();
  const before = offsetAt(zone, L - DAY);
  const candidates = [...new Set([before, offsetAt(zone, L), offsetAt(zone, L + DAY)])];
  const valid = candidates.map((o) => L - o).filter((u) => offsetAt(zone, u) === L - u).sort((a, b) => a - b);
  return new Date(valid.length ? valid[0] : L - before);
}
