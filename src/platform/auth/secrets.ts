// Comparing secrets (tokens given in headers) in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Equal-time comparison of two secrets of any length (hashing first equalises the lengths). */
export function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}
