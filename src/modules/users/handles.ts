// Handle rules: lower-case [a-z0-9_], runs of "_" collapsed, trimmed, at most 30 characters.
import { randomBytes } from 'node:crypto';

export function normalizeHandle(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 30);
}

/** Candidate handles for a new account without one, most natural first. */
export function handleCandidates(name: string, email: string): string[] {
  const fromName = normalizeHandle(name.replace(/\s+/g, '_'));
  const fromEmail = normalizeHandle(email.split('@')[0] ?? '');
  const base = fromName || fromEmail || 'selflink';
  const out = [fromName, fromEmail, 'selflink'].filter((h) => h.length >= 3);
  for (let i = 0; i < 8; i++) out.push(`${base.slice(0, 25)}_${randomBytes(2).toString('hex')}`);
  return [...new Set(out)];
}
