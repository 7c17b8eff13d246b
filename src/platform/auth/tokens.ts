// HS256 JWTs with the original's claims (token_type, user_id, jti, exp, iat) plus `sid`,
// the session (refresh-token family) that makes every token revocable.
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

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
  // Imported once: handing jose raw bytes would re-import the HMAC key on every sign and verify.
  private readonly key: Promise<CryptoKey>;
  constructor(secret: string, readonly accessTtlSec: number, readonly refreshTtlSec: number) {
    this.key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async sign(type: TokenType, userId: number, sid: number, jti = newJti()): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const ttl = type === 'access' ? this.accessTtlSec : this.refreshTtlSec;
    return new SignJWT({ token_type: type, user_id: userId, jti, sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .sign(await this.key);
  }

  async verify(token: string, expected: TokenType): Promise<TokenClaims> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, await this.key, { algorithms: ['HS256'] }));
    } catch (err) {
      throw new TokenError(err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid');
    }
    const { token_type, user_id, jti, sid } = payload;
    if (token_type !== 'access' && token_type !== 'refresh') throw new TokenError('invalid');
    if (token_type !== expected) throw new TokenError('wrong_type');
    if (!Number.isSafeInteger(user_id) || typeof jti !== 'string' || !Number.isSafeInteger(sid)) throw new TokenError('invalid');
    return payload as unknown as TokenClaims;
  }
}
