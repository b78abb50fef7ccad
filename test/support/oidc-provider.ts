/**
 * A real OpenID Connect provider (`oidc-provider`) in this process, on a free loopback
 * port, with one registered client and a fixed set of accounts; and a user agent that
 * signs in at it by posting its own login and consent forms, as a browser would.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface ProviderAccount {
  email: string;
  /** Left out, the provider sends no `email_verified` claim at all, as some providers never do. */
  emailVerified?: boolean;
  name: string;
}

export interface TestOidcProvider {
  issuer: string;
  stop(): Promise<void>;
}

/** Starts the provider; `accounts` are keyed by the login typed on its form, which is also their subject. */
export async function startOidcProvider(options: {
  client: { clientId: string; clientSecret: string; redirectUri: string };
  accounts: Record<string, ProviderAccount>;
}): Promise<TestOidcProvider> {
  let handle: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.writeHead(503).end();
  const server = createServer((request, response) => handle(request, response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.client.clientId,
        client_secret: options.client.clientSecret,
        redirect_uris: [options.client.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['oidc-test-cookie-key-0123456789abcdef'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(_ctx: unknown, id: string) {
      const account = options.accounts[id];
      if (!account) return undefined;
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: account.email, ...(account.emailVerified === undefined ? {} : { email_verified: account.emailVerified }), name: account.name };
        },
      };
    },
  });
  handle = provider.callback();
  return {
    issuer,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Cookies per the provider's origin, as a browser keeps them (enough for one sign-in). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const equals = pair!.indexOf('=');
      const name = pair!.slice(0, equals).trim();
      const value = pair!.slice(equals + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute) || (/^\s*expires=/i.test(attribute) && new Date(attribute.split('=')[1]!).getTime() < Date.now()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

const attribute = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1];

/** The fields a page's form would post: its hidden inputs, with the login form's fields filled. */
function formOf(page: string, pageUrl: string, login: string): { action: string; fields: URLSearchParams } {
  const form = /<form[^>]*>[\s\S]*?<\/form>/.exec(page)?.[0];
  if (!form) throw new Error(`The provider's page has no form:\n${page.slice(0, 500)}`);
  const action = new URL(attribute(form.slice(0, form.indexOf('>')), 'action') ?? pageUrl, pageUrl).href;
  const fields = new URLSearchParams();
  for (const input of form.match(/<input[^>]*>/g) ?? []) {
    const name = attribute(input, 'name');
    if (!name) continue;
    fields.set(name, name === 'login' ? login : name === 'password' ? 'any password' : (attribute(input, 'value') ?? ''));
  }
  return { action, fields };
}

/**
 * Follows the provider's pages from the authorization URL, signing in as `login` and
 * consenting, until it redirects to the client; returns that redirect (the callback URL).
 */
export async function signInAtProvider(authorizationUrl: string, login: string, redirectUri: string): Promise<URL> {
  const jar = new CookieJar();
  let request: { url: string; init: RequestInit } = { url: authorizationUrl, init: { method: 'GET' } };
  // Login, consent, and the redirects between them: a dozen hops at most.
  for (let hop = 0; hop < 20; hop += 1) {
    const response = await fetch(request.url, { ...request.init, redirect: 'manual', headers: { ...(request.init.headers as Record<string, string>), cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, request.url);
      if (next.href.startsWith(redirectUri)) return next;
      request = { url: next.href, init: { method: 'GET' } };
      continue;
    }
    const page = await response.text();
    if (response.status !== 200) throw new Error(`The provider answered ${response.status} at ${request.url}:\n${page.slice(0, 500)}`);
    const { action, fields } = formOf(page, request.url, login);
    request = { url: action, init: { method: 'POST', body: fields.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } } };
  }
  throw new Error('The provider never redirected back to the client');
}
