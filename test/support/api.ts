/**
 * Calling the API as a holder of a key: tests make a real key in the test's
 * database and send it on every request, as an integration would.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ApiKeyStore, ApiScope } from '../../src/auth/api-keys.ts';

export async function makeKey(keys: ApiKeyStore, scopes: ApiScope[] = ['admin'], name = `test ${scopes.join('+')}`): Promise<string> {
  return (await keys.create({ name, scopes })).key;
}

/** `api.inject` with the key's Authorization header on every request. */
export function injectWithKey(api: FastifyInstance, key: string) {
  return (options: InjectOptions) =>
    api.inject({ ...options, headers: { authorization: `Bearer ${key}`, ...(options.headers as Record<string, string> | undefined) } });
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
