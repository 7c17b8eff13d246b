// argon2id for new hashes; Django's pbkdf2_sha256 hashes verify so users of the original can be imported.
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';

const pbkdf2Async = promisify(pbkdf2);
const ARGON = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export async function hashPassword(password: string): Promise<string> {
  return argonHash(password, ARGON);
}

export interface VerifyResult {
  ok: boolean;
  /** True when the stored hash is of an older scheme and should be replaced. */
  needsRehash: boolean;
}

export async function verifyPassword(password: string, stored: string): Promise<VerifyResult> {
  if (stored.startsWith('$argon2')) {
    try {
      return { ok: await argonVerify(stored, password), needsRehash: false };
    } catch {
      return { ok: false, needsRehash: false };
    }
  }
  if (stored.startsWith('pbkdf2_sha256$')) {
    const [, iterStr, salt, expected] = stored.split('$');
    const iterations = Number(iterStr);
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000_000 || !salt || !expected) return { ok: false, needsRehash: false };
    const derived = await pbkdf2Async(password, salt, iterations, 32, 'sha256');
    const want = Buffer.from(expected, 'base64');
    const ok = want.length === derived.length && timingSafeEqual(want, derived);
    return { ok, needsRehash: ok };
  }
  // Unusable hashes ("!…", social-only accounts) never verify.
  return { ok: false, needsRehash: false };
}

/** Django's format, used only by tests and the importer's fixtures. */
export async function djangoPbkdf2(password: string, salt: string, iterations = 600_000): Promise<string> {
  const derived = await pbkdf2Async(password, salt, iterations, 32, 'sha256');
  return `pbkdf2_sha256$${iterations}$${salt}$${derived.toString('base64')}`;
}

export const UNUSABLE_PASSWORD = '!unusable';
