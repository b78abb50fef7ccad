/**
 * The `steward` command's way to a running Steward: its HTTP API. Errors come back
 * in the API's one error shape and are shown as such.
 */
import type { Config } from '../config.ts';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClient {
  baseUrl: string;
  request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

export function apiBaseUrl(config: Pick<Config, 'STEWARD_API_URL' | 'HOST' | 'PORT'>): string {
  return (config.STEWARD_API_URL ?? `http://${config.HOST}:${config.PORT}`).replace(/\/+$/, '');
}

/** A client of the API at `baseUrl`, sending `apiKey` (STEWARD_API_KEY, or the first admin key in the data directory). */
export function createApiClient(baseUrl: string, apiKey?: string): ApiClient {
  return {
    baseUrl,
    async request<T>(method: 'GET' | 'POST', path: string, body?: unknown) {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${path}`, {
          method,
          headers: {
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (error) {
        throw new ApiError(`cannot reach Steward at ${baseUrl} (${(error as Error).cause ?? (error as Error).message}); is it running? Set STEWARD_API_URL to point elsewhere`, 0);
      }
      const payload = (await response.json().catch(() => ({}))) as T & { error?: { message: string; issues?: { path: string; message: string }[] } };
      if (response.status >= 400) {
        const hint = response.status === 401 ? ' (set STEWARD_API_KEY to an API key, or run where the data directory holds api-key)' : '';
        throw new ApiError(`${payload.error?.message ?? `HTTP ${response.status}`}${hint}`, response.status, payload.error?.issues);
      }
      return { status: response.status, body: payload };
    },
  };
}
