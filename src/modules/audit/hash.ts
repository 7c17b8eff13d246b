// Canonical JSON and the chain hash of an audit event.
import { createHash } from 'node:crypto';

/** Compact JSON with object keys sorted at every depth, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export interface HashInput {
  prev: string;
  createdAt: Date;
  actorUserId: number | null;
  actorIp: string | null;
  action: string;
  objectType: string;
  objectId: string;
  metadata: Record<string, unknown>;
}

export function eventHash(e: HashInput): string {
  const doc = {
    prev: e.prev,
    created_at: e.createdAt.toISOString(),
    actor_user_id: e.actorUserId === null ? '' : String(e.actorUserId),
    actor_ip: e.actorIp ?? '',
    action: e.action,
    object_type: e.objectType,
    object_id: e.objectId,
    metadata: e.metadata,
  };
  return createHash('sha256').update(canonicalJson(doc)).digest('hex');
}
