// The environment readers every config area uses: each checks its variable and names it in the error.
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

export interface RateSpec {
  limit: number;
  windowMs: number;
}

export function str(env: Env, key: string, def: string): string {
  const v = env[key];
  return v === undefined || v === '' ? def : v;
}

export function optStr(env: Env, key: string): string | null {
  const v = env[key];
  return v === undefined || v === '' ? null : v;
}

export function int(env: Env, key: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${key} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${key} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function bool(env: Env, key: string, def: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${key} must be true or false, got "${raw}"`);
}

export function list(env: Env, key: string, def: string[]): string[] {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

export const upperList = (env: Env, key: string, def: string[]) => list(env, key, def).map((c) => c.toUpperCase());
export const lowerList = (env: Env, key: string, def: string[]) => list(env, key, def).map((c) => c.toLowerCase());

const UNITS: Record<string, number> = { s: 1000, sec: 1000, second: 1000, m: 60_000, min: 60_000, minute: 60_000, h: 3_600_000, hour: 3_600_000, d: 86_400_000, day: 86_400_000 };

/** Parses DRF-style rates such as "240/min" or "5/s". */
export function parseRate(key: string, raw: string): RateSpec {
  const m = /^(\d+)\s*\/\s*([a-z]+)$/i.exec(raw.trim());
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || !unit) throw new ConfigError(`${key} must look like "120/min" (units s, min, h, day), got "${raw}"`);
  return { limit: Number(m[1]), windowMs: unit };
}

export function url(env: Env, key: string, protocols: string[]): string | null {
  const raw = optStr(env, key);
  if (raw === null) return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`${key} is not a valid URL`);
  }
  if (!protocols.includes(u.protocol)) throw new ConfigError(`${key} must use ${protocols.join(' or ')}, got ${u.protocol}`);
  return raw;
}

/** Rules versions partition caches: short, printable, default "v1". */
export function version(env: Env, key: string): string {
  const v = str(env, key, 'v1').trim();
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(v)) throw new ConfigError(`${key} must be 1-32 letters, digits, ".", "_" or "-", got "${v}"`);
  return v;
}

export function seconds(env: Env, key: string, def: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw.trim());
  if (!/^\d+(\.\d+)?$/.test(raw.trim()) || !(n > 0) || n > 3600) throw new ConfigError(`${key} must be a number of seconds between 0 and 3600, got "${raw}"`);
  return n;
}
