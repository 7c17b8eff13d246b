// The one rewards calculator's pure parts: periods, canonical JSON, CSV lines and the integer
// largest-remainder allocation. No floats anywhere: cents and points are integers (BigInt where a
// product could pass 2^53).

export const EVENT_TYPES = ['pr_merged', 'bounty_paid', 'manual_adjustment', 'bonus', 'penalty'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const ADJUSTMENT_TYPES = ['manual_adjustment', 'bonus', 'penalty'] as const;
export type AdjustmentType = (typeof ADJUSTMENT_TYPES)[number];

export const DISPUTE_WINDOW_DAYS = 7;
export const CSV_HEADER = 'id,contributor_id,event_type,points,occurred_at,reference,metadata';

/** Points per size label, as the project's contributor docs promise; no size label → 10. */
export const SIZE_POINTS: Record<string, number> = { 'size/xs': 1, 'size/s': 2, 'size/m': 5, 'size/l': 8, 'size/xl': 13 };
export const DEFAULT_PR_POINTS = 10;

export function pointsForLabels(labels: unknown): { points: number; label: string | null } {
  let best: { points: number; label: string | null } = { points: DEFAULT_PR_POINTS, label: null };
  if (!Array.isArray(labels)) return best;
  for (const l of labels) {
    const name = l && typeof l === 'object' && typeof (l as { name?: unknown }).name === 'string' ? (l as { name: string }).name : typeof l === 'string' ? l : null;
    if (!name) continue;
    const p = SIZE_POINTS[name.trim().toLowerCase()];
    // Several size labels: the largest wins (a PR relabelled upwards keeps its new size).
    if (p !== undefined && (best.label === null || p > best.points)) best = { points: p, label: name };
  }
  return best;
}

export interface Period {
  period: string;
  start: Date;
  end: Date;
}

const PERIOD = /^(\d{4})-(\d{2})$/;

/** "YYYY-MM" → [first instant of the month, first instant of the next) in UTC; null when invalid. */
export function parsePeriod(s: string): Period | null {
  const m = PERIOD.exec(s);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12 || y < 2000 || y > 9998) return null;
  return { period: s, start: new Date(Date.UTC(y, mo - 1, 1)), end: new Date(Date.UTC(y, mo, 1)) };
}

export const periodOf = (d: Date) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;

export function disputeWindowEnd(p: Period, days = DISPUTE_WINDOW_DAYS): Date {
  return new Date(p.end.getTime() + days * 86_400_000);
}

/** Python's isoformat() of an aware UTC datetime: `+00:00`, fractional part only when non-zero. */
export function pyIso(d: Date): string {
  const iso = d.toISOString(); // 2026-01-02T03:04:05.678Z
  const ms = d.getUTCMilliseconds();
  return `${iso.slice(0, 19)}${ms ? `.${String(ms).padStart(3, '0')}000` : ''}+00:00`;
}

// Printable ASCII without quote or backslash: JSON and Python write it as is.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const escapeNonAscii = (s: string) => s.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * JSON as Python's `json.dumps(sort_keys=True)` writes it (ASCII-escaped, keys sorted at every
 * depth): `", "`/`": "` separators, or with `indent` one item per line.
 */
export function pyJson(value: unknown, indent?: number, depth = 0): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return PLAIN.test(value) ? `"${value}"` : escapeNonAscii(JSON.stringify(value));
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return 'null';
    return Number.isInteger(value) ? String(value) : String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const pad = indent === undefined ? '' : '\n' + ' '.repeat(indent * (depth + 1));
  const end = indent === undefined ? '' : '\n' + ' '.repeat(indent * depth);
  const sep = indent === undefined ? ', ' : ',';
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[${pad}${value.map((v) => pyJson(v, indent, depth + 1)).join(sep + pad)}${end}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  if (!keys.length) return '{}';
  return `{${pad}${keys.map((k) => `${escapeNonAscii(JSON.stringify(k))}: ${pyJson(obj[k], indent, depth + 1)}`).join(sep + pad)}${end}}`;
}

/** One CSV field, Excel dialect with minimal quoting (as Python's csv module writes it). */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export interface LedgerRowInput {
  id: number;
  contributorId: number;
  eventType: string;
  points: number;
  occurredAt: Date;
  reference: string;
  metadata: Record<string, unknown>;
}

/** The row hashed into ledger_hash and its CSV line (CRLF-terminated). */
export function ledgerRow(e: LedgerRowInput): { json: string; csv: string } {
  const occurred = pyIso(e.occurredAt);
  const metadata = pyJson(e.metadata ?? {});
  // Same bytes as pyJson({...}) of the whole row (keys in sorted order), with metadata serialised once.
  const json = `{"contributor_id": ${e.contributorId}, "event_type": ${pyJson(e.eventType)}, "id": ${e.id}, "metadata": ${metadata}, "occurred_at": ${pyJson(occurred)}, "points": ${e.points}, "reference": ${pyJson(e.reference)}}`;
  // Numbers and timestamps never need quoting; the text fields go through csvField.
  const csv = `${e.id},${e.contributorId},${csvField(e.eventType)},${e.points},${occurred},${csvField(e.reference)},${csvField(metadata)}\r\n`;
  return { json, csv };
}

/** floor(max(revenue − costs, 0) × percent / 100), in integers. */
export function poolCents(revenueCents: bigint, costsCents: bigint, percent: bigint): bigint {
  const net = revenueCents - costsCents;
  return net > 0n ? (net * percent) / 100n : 0n;
}

/**
 * Largest remainder: base = floor(pool × points / total) over contributors with positive points;
 * leftover cents go one each to the largest remainders, ties to the lower contributor id. Nobody is
 * paid a negative amount; the whole pool is paid whenever anyone has positive points.
 */
export function allocate(pool: bigint, totals: { id: number; points: bigint }[]): { amounts: Map<number, bigint>; totalPoints: bigint } {
  const amounts = new Map<number, bigint>();
  for (const t of totals) amounts.set(t.id, 0n);
  const positive = totals.filter((t) => t.points > 0n);
  const totalPoints = positive.reduce((a, t) => a + t.points, 0n);
  if (pool <= 0n || totalPoints <= 0n) return { amounts, totalPoints };
  let given = 0n;
  const rems: { id: number; rem: bigint }[] = [];
  for (const t of positive) {
    const num = pool * t.points;
    const base = num / totalPoints;
    amounts.set(t.id, base);
    given += base;
    rems.push({ id: t.id, rem: num % totalPoints });
  }
  let leftover = pool - given;
  rems.sort((a, b) => (a.rem === b.rem ? a.id - b.id : a.rem > b.rem ? -1 : 1));
  for (let i = 0; leftover > 0n; i++, leftover--) amounts.set(rems[i].id, amounts.get(rems[i].id)! + 1n);
  return { amounts, totalPoints };
}

/** Strictly an integer string (optionally signed); returns null for anything else. */
export function parseIntArg(v: unknown, { min, max }: { min: bigint; max: bigint }): bigint | null {
  if (typeof v !== 'string' || !/^-?\d{1,18}$/.test(v.trim())) return null;
  const n = BigInt(v.trim());
  return n < min || n > max ? null : n;
}
