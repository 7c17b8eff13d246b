// Authenticated encryption (AES-256-GCM) for secrets that must travel through the job queue, such as
// a user's own LLM key: the broker only ever sees ciphertext. The key comes from a server secret
// (HKDF), or, when none is configured (embedded mode, one process), from random bytes per process.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export class SecretBox {
  private readonly key: Buffer;
  constructor(secret: string | null, purpose: string) {
    this.key = secret ? Buffer.from(hkdfSync('sha256', secret, 'selflink', purpose, 32)) : randomBytes(32);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return `v1.${Buffer.concat([iv, c.getAuthTag(), body]).toString('base64url')}`;
  }

  /** null when the box is not ours, tampered with or malformed. */
  open(sealed: string): string | null {
    if (!sealed.startsWith('v1.')) return null;
    try {
      const raw = Buffer.from(sealed.slice(3), 'base64url');
      if (raw.length < 28) return null;
      const d = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
