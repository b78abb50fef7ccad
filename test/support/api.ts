/**
 * Calling the API as a holder of a key: tests make a real key in the test's
 * database and send it on every request, as an integration would.
 */
import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ApiKeyStore, ApiScope } from '../../src/auth/api-keys.ts';
import { eventually } from './wait.ts';

export async function makeKey(keys: ApiKeyStore, scopes: ApiScope[] = ['admin'], name = `test ${scopes.join('+')}`): Promise<string> {
  return (await keys.create({ name, scopes })).key;
}

/** `api.inject` with the key's Authorization header on every request. */
export function injectWithKey(api: FastifyInstance, key: string) {
  return (options: InjectOptions) =>
    api.inject({ ...options, headers: { authorization: `Bearer ${key}`, ...(options.headers as Record<string, string> | undefined) } });
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Signs in to the web app with a key, from the app's own page, and returns the session as a Cookie header. */
export async function signedInCookie(api: FastifyInstance, key: string, host = 'steward.example'): Promise<string> {
  const response = await api.inject({
    method: 'POST',
    url: '/app/sign-in',
    headers: { host, origin: `http://${host}`, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ key }).toString(),
  });
  const session = response.cookies.find((cookie) => cookie.name === 'steward_session');
  if (response.statusCode !== 303 || !session) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  return `${session.name}=${session.value}`;
}

export interface RoutedEnrollment {
  enrollmentId: string;
  journeyId: string;
  workflowId: string;
  action: 'enrolled' | 'signalled';
}

export interface RoutedEvent {
  eventId: string;
  duplicate: boolean;
  routing: 'routed';
  enrollments: RoutedEnrollment[];
}

/**
 * Intake answers once an event is stored; routing follows. Waits until the event
 * of an accepted POST /events answer is routed and returns where it went
 * (`GET /events/:id`); `signalled` lists the enrollments that took a step on it so far.
 */
export async function routed(call: ReturnType<typeof injectWithKey>, accepted: { statusCode: number; json(): unknown }, timeoutMs = 30_000): Promise<RoutedEvent> {
  if (accepted.statusCode !== 202) throw new Error(`event not accepted: ${accepted.statusCode} ${JSON.stringify(accepted.json())}`);
  const { eventId, duplicate } = accepted.json() as { eventId: string; duplicate: boolean };
  return eventually(
    async () => {
      const event = (await call({ method: 'GET', url: `/events/${eventId}` })).json() as { routing: string; enrollments: RoutedEnrollment[] };
      return event.routing === 'routed' ? { eventId, duplicate, routing: 'routed' as const, enrollments: event.enrollments } : undefined;
    },
    `event ${eventId} to be routed`,
    timeoutMs,
  );
}
