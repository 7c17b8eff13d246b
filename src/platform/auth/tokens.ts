// HS256 JWTs with the original's claims (token_type, user_id, jti, exp, iat) plus `sid`,
// the session (refresh-token family) that makes every token revocable.
import { randomBytes } from 'node:crypto';
import { createSigner, createVerifier, TokenError as JwtError } from 'fast-jwt';

export type TokenType = 'access' | 'refresh';

export interface TokenClaims {
  token_type: TokenType;
  user_id: number;
  jti: string;
  sid: number;
  exp: number;
  iat: number;
}

export class TokenError extends Error {
  override name = 'TokenError';
  constructor(readonly reason: 'invalid' | 'expired' | 'wrong_type') {
    super(reason === 'wrong_type' ? 'Token has wrong type' : 'Token is invalid or expired');
  }
}

/** Verified tokens kept (each entry a token and its claims: ~1 KB). */
const VERIFIED_CACHE_SIZE = 10_000;

export const newJti = () => randomBytes(16).toString('hex');

export class TokenSigner {
  // fast-jwt signs and verifies synchronously with node:crypto's HMAC; jose's WebCrypto path cost
  // a sixth of a users/me request's CPU (bench/RESULTS.md, users/me profile).
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => Record<string, unknown>;
  constructor(secret: string, readonly accessTtlSec: number, readonly refreshTtlSec: number) {
    // iat and exp come in the payload (fast-jwt keeps both), so a negative TTL (tests) yields an expired token.
    this.signer = createSigner({ key: secret, algorithm: 'HS256' });
    this.verifier = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['exp'] });
  }

  // Verified tokens are remembered, never past their exp: a client sends the same access token for
  // minutes, and revocation is checked per request elsewhere (the session, users/session-cache.ts),
  // not by re-checking the signature. Ours, not fast-jwt's cache: that one is keyed by the token's
  // SHA-256 (~8 % of a users/me request's CPU), and keying it by the token itself makes it warn at
  // every start. The token as key hides nothing from whoever can read this process's memory, where
  // the signing key is too.
  // Found by the token's signature, then compared whole: hashing the whole token for the lookup cost
  // more than the comparison.
  private readonly verified = new Map<string, { token: string; payload: Readonly<Record<string, unknown>>; expMs: number }>();

  private verifyCached(token: string): Readonly<Record<string, unknown>> {
    const key = token.slice(token.lastIndexOf('.') + 1);
    const hit = this.verified.get(key);
    if (hit && hit.token === token && Date.now() < hit.expMs) return hit.payload;
    const payload = Object.freeze(this.verifier(token));
    if (hit) this.verified.delete(key);
    // Oldest first out (a Map keeps insertion order): a bound, not an LRU's precision.
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, { token, payload, expMs: (payload.exp as number) * 1000 });
    return payload;
  }

  async sign(type: TokenType, userId: number, sid: number, jti = newJti()): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const ttl = type === 'access' ? this.accessTtlSec : this.refreshTtlSec;
    return this.signer({ token_type: type, user_id: userId, jti, sid, iat, exp: iat + ttl });
  }

  async verify(token: string, expected: TokenType): Promise<TokenClaims> {
    return this.verifyNow(token, expected);
  }

  /** verify(), synchronously: the guard admits a request with a known token and session in one turn. */
  verifyNow(token: string, expected: TokenType): TokenClaims {
    let payload: Record<string, unknown>;
    try {
      payload = this.verifyCached(token);
    } catch (err) {
      throw new TokenError(err instanceof JwtError && err.code === JwtError.codes.expired ? 'expired' : 'invalid');
    }
    const { token_type, user_id, jti, sid } = payload;
    if (token_type !== 'access' && token_type !== 'refresh') throw new TokenError('invalid');
    if (token_type !== expected) throw new TokenError('wrong_type');
    if (!Number.isSafeInteger(user_id) || typeof jti !== 'string' || !Number.isSafeInteger(sid)) throw new TokenError('invalid');
    return payload as unknown as TokenClaims;
  }
}
