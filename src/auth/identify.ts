import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.js';
import { UnauthenticatedError, type UnauthenticatedReason } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { Caller } from './caller.js';

/** A user id as the classifieds site issues them; it is stored in a VARCHAR(64) column. */
const USER_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type AuthConfig = Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_URL' | 'JWT_ISSUER' | 'JWT_AUDIENCE' | 'allowUserIdHeader' | 'SERVICE_TOKENS'>;

export type IdentifyCaller = (headers: Headers) => Promise<Caller>;

/**
 * Build the function that identifies the caller of a request:
 *
 * - `X-Service-Token` names a service when it is one of the configured tokens;
 * - `Authorization: Bearer <JWT>` names a seller by the token's `sub`, verified with HS256 and
 *   JWT_SECRET, or with the keys at JWT_JWKS_URL for asymmetric algorithms;
 * - `X-User-Id` names a seller directly, only where the configuration allows it (behind a
 *   trusted gateway, in local runs and in tests).
 *
 * Credentials that are present but wrong make the caller anonymous with the reason, instead of
 * falling through to a weaker method, so a typo in a token is never silently ignored.
 */
export function createCallerIdentifier(config: AuthConfig, logger?: Logger): IdentifyCaller {
  const secret = config.JWT_SECRET ? new TextEncoder().encode(config.JWT_SECRET) : undefined;
  const jwks: JWTVerifyGetKey | undefined = config.JWT_JWKS_URL ? createRemoteJWKSet(new URL(config.JWT_JWKS_URL)) : undefined;
  const serviceTokens = [...config.SERVICE_TOKENS].map(([token, service]) => ({ digest: sha256(token), service }));

  const anonymous = (reason: UnauthenticatedReason, detail?: string): Caller => ({ kind: 'anonymous', failure: new UnauthenticatedError(reason, detail) });

  async function verifySellerToken(token: string): Promise<Caller> {
    let algorithm: string | undefined;
    try {
      algorithm = decodeProtectedHeader(token).alg;
    } catch {
      return anonymous('invalid_token', 'the token is not a JWT');
    }
    const symmetric = algorithm === 'HS256';
    const key = symmetric ? secret : jwks;
    if (!key) {
      return anonymous('jwt_not_configured', `no key is configured for ${algorithm ?? 'an unknown algorithm'}`);
    }
    try {
      const options = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, algorithms: symmetric ? ['HS256'] : undefined };
      const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      if (typeof payload.sub !== 'string' || !USER_ID.test(payload.sub)) {
        return anonymous('invalid_user_id', 'the token subject is not a user id');
      }
      return { kind: 'seller', userId: payload.sub };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        return anonymous('token_expired');
      }
      if (!(error instanceof joseErrors.JOSEError)) {
        logger?.warn({ err: error }, 'Fetching the JWKS to verify a seller token failed; the request is treated as unauthenticated.');
      }
      return anonymous('invalid_token', (error as Error).message);
    }
  }

  return async function identifyCaller(headers: Headers): Promise<Caller> {
    const serviceToken = headers.get('x-service-token');
    if (serviceToken !== null) {
      const digest = sha256(serviceToken.trim());
      const match = serviceTokens.find((candidate) => timingSafeEqual(candidate.digest, digest));
      return match ? { kind: 'service', service: match.service } : anonymous('unknown_service_token');
    }

    const authorization = headers.get('authorization');
    if (authorization !== null) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      return bearer ? verifySellerToken(bearer[1]!) : anonymous('invalid_token', 'expected the Bearer scheme');
    }

    const userId = headers.get('x-user-id');
    if (userId !== null) {
      if (!config.allowUserIdHeader) {
        return anonymous('user_id_header_not_allowed');
      }
      return USER_ID.test(userId.trim()) ? { kind: 'seller', userId: userId.trim() } : anonymous('invalid_user_id');
    }

    return { kind: 'anonymous', failure: new UnauthenticatedError('missing_credentials', undefined, { userIdHeaderAccepted: config.allowUserIdHeader }) };
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
