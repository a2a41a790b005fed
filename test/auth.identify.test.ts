import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorOf, type Caller } from '../src/auth/caller.js';
import { createCallerIdentifier, type AuthConfig } from '../src/auth/identify.js';
import { UnauthenticatedError } from '../src/domain/errors.js';

const SECRET = 'identify-test-secret-0123456789';

const baseConfig: AuthConfig = {
  JWT_SECRET: SECRET,
  JWT_JWKS_URL: undefined,
  JWT_ISSUER: undefined,
  JWT_AUDIENCE: undefined,
  allowUserIdHeader: true,
  SERVICE_TOKENS: new Map([['lots-token-0123', 'lots']]),
};

async function hs256(claims: { sub?: string; exp?: number }, secret = SECRET): Promise<string> {
  let token = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) token = token.setSubject(claims.sub);
  token = token.setExpirationTime(claims.exp ?? '1h');
  return token.sign(new TextEncoder().encode(secret));
}

function headers(values: Record<string, string>): Headers {
  return new Headers(values);
}

function failureReason(caller: Caller): string | undefined {
  return caller.kind === 'anonymous' ? caller.failure.reason : undefined;
}

describe('identifyCaller', () => {
  const identify = createCallerIdentifier(baseConfig);

  it('names a seller by the JWT subject', async () => {
    const caller = await identify(headers({ authorization: `Bearer ${await hs256({ sub: '41872156' })}` }));
    expect(caller).toEqual({ kind: 'seller', userId: '41872156' });
  });

  it('rejects an expired JWT', async () => {
    const token = await hs256({ sub: '41872156', exp: Math.floor(Date.now() / 1000) - 60 });
    expect(failureReason(await identify(headers({ authorization: `Bearer ${token}` })))).toBe('token_expired');
  });

  it('rejects a JWT signed with another secret', async () => {
    const token = await hs256({ sub: '41872156' }, 'another-secret-0123456789');
    expect(failureReason(await identify(headers({ authorization: `Bearer ${token}` })))).toBe('invalid_token');
  });

  it('rejects a token that is no JWT', async () => {
    expect(failureReason(await identify(headers({ authorization: 'Bearer not.a.jwt' })))).toBe('invalid_token');
  });

  it('rejects another authorization scheme', async () => {
    expect(failureReason(await identify(headers({ authorization: 'Basic dXNlcjpwYXNz' })))).toBe('invalid_token');
  });

  it('rejects a JWT without subject', async () => {
    expect(failureReason(await identify(headers({ authorization: `Bearer ${await hs256({})}` })))).toBe('invalid_user_id');
  });

  it('prefers a bad JWT over X-User-Id', async () => {
    const caller = await identify(headers({ authorization: 'Bearer broken', 'x-user-id': '41872156' }));
    expect(caller.kind).toBe('anonymous');
  });

  it('accepts X-User-Id when allowed', async () => {
    expect(await identify(headers({ 'x-user-id': '41872156' }))).toEqual({ kind: 'seller', userId: '41872156' });
  });

  it('rejects X-User-Id when not allowed', async () => {
    const strict = createCallerIdentifier({ ...baseConfig, allowUserIdHeader: false });
    expect(failureReason(await strict(headers({ 'x-user-id': '41872156' })))).toBe('user_id_header_not_allowed');
  });

  it('rejects a malformed X-User-Id', async () => {
    expect(failureReason(await identify(headers({ 'x-user-id': 'user 1; drop' })))).toBe('invalid_user_id');
  });

  it('names a service by its token', async () => {
    expect(await identify(headers({ 'x-service-token': 'lots-token-0123' }))).toEqual({ kind: 'service', service: 'lots' });
  });

  it('rejects an unknown service token', async () => {
    expect(failureReason(await identify(headers({ 'x-service-token': 'lots-token-0124' })))).toBe('unknown_service_token');
  });

  it('reports missing credentials', async () => {
    expect(failureReason(await identify(headers({})))).toBe('missing_credentials');
  });

  it('offers X-User-Id where it is accepted', async () => {
    const withHeader = await identify(headers({}));
    const withoutHeader = await createCallerIdentifier({ ...baseConfig, allowUserIdHeader: false })(headers({}));

    expect(withHeader.kind).toBe('anonymous');
    expect(withoutHeader.kind).toBe('anonymous');
    expect(withHeader.kind === 'anonymous' ? withHeader.failure.params.userIdHeaderAccepted : 'not anonymous').toBe(true);
    expect(withoutHeader.kind === 'anonymous' ? withoutHeader.failure.params.userIdHeaderAccepted : 'not anonymous').toBeUndefined();
  });

  it('reports JWT verification not configured', async () => {
    const unconfigured = createCallerIdentifier({ ...baseConfig, JWT_SECRET: undefined });
    const token = await hs256({ sub: '41872156' });
    expect(failureReason(await unconfigured(headers({ authorization: `Bearer ${token}` })))).toBe('jwt_not_configured');
  });
});

describe('identifyCaller with JWKS', () => {
  let server: http.Server;
  let jwksUrl: string;
  let sign: (sub: string) => Promise<string>;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
    server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    sign = (sub) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'test-key' }).setSubject(sub).setIssuer('auth.example').setExpirationTime('1h').sign(privateKey);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies a token against the key set', async () => {
    const identify = createCallerIdentifier({ ...baseConfig, JWT_SECRET: undefined, JWT_JWKS_URL: jwksUrl, JWT_ISSUER: 'auth.example' });
    expect(await identify(headers({ authorization: `Bearer ${await sign('61200433')}` }))).toEqual({ kind: 'seller', userId: '61200433' });
  });

  it('rejects a token of another issuer', async () => {
    const identify = createCallerIdentifier({ ...baseConfig, JWT_SECRET: undefined, JWT_JWKS_URL: jwksUrl, JWT_ISSUER: 'other.example' });
    expect(failureReason(await identify(headers({ authorization: `Bearer ${await sign('61200433')}` })))).toBe('invalid_token');
  });
});

describe('actorOf', () => {
  it('maps sellers and services', () => {
    expect(actorOf({ kind: 'seller', userId: '1' })).toEqual({ type: 'SELLER', id: '1' });
    expect(actorOf({ kind: 'service', service: 'lots' })).toEqual({ type: 'SERVICE', id: 'lots' });
  });

  it('throws the failure for anonymous callers', () => {
    const failure = new UnauthenticatedError('missing_credentials');
    expect(() => actorOf({ kind: 'anonymous', failure })).toThrow(failure);
  });
});
