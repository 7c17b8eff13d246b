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

export const newJti = () => randomBytes(16).toString('hex');

export class TokenSigner {
  // fast-jwt signs and verifies synchronously with node:crypto's HMAC; jose's WebCrypto path cost
  // a sixth of a users/me request's CPU (bench/RESULTS.md, users/me profile).
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => Record<string, unknown>;
  constructor(secret: string, readonly accessTtlSec: number, readonly refreshTtlSec: number) {
    // iat and exp come in the payload (fast-jwt keeps both), so a negative TTL (tests) yields an expired token.
    this.signer = createSigner({ key: secret, algorithm: 'HS256' });
    // Verified tokens are remembered (an LRU keyed by the token's SHA-256, never past its exp): a
    // client sends the same access token for minutes, and revocation is checked per request
    // elsewhere (the session, users/session-cache.ts), not by re-checking the signature.
    this.verifier = createVerifier({ key: secret, algorithms: ['HS256'], requiredClaims: ['exp'], cache: 10_000 });
  }

  async sign(type: TokenType, userId: number, sid: number, jti = newJti()): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const ttl = type === 'access' ? this.accessTtlSec : this.refreshTtlSec;
    return this.signer({ token_type: type, user_id: userId, jti, sid, iat, exp: iat + ttl });
  }

  async verify(token: string, expected: TokenType): Promise<TokenClaims> {
    let payload: Record<string, unknown>;
    try {
      payload = this.verifier(token);
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
