/**
 * Everything a message needs to really go out and come back, for tests: the
 * time-skipping Temporal server and a database (`startTestRuntime`), a real SMTP
 * server, the HTTP API listening on a port (links and provider callbacks point at
 * it), and a Twilio double that checks every request against Twilio's OpenAPI
 * description.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiDependencies } from '../../src/api/server.ts';
import { unrestrictedMessaging, type MessagingSettings } from '../../src/delivery/settings.ts';
import { createAccountMail } from '../../src/mail/account-mail.ts';
import { createServices, type Services } from '../../src/services.ts';
import { createTwilioSender } from '../../src/sms/twilio.ts';
import { injectWithKey, makeKey } from './api.ts';
import { startTestRuntime, type TestRuntime } from './runtime.ts';
import { startTwilioDouble, type TwilioDouble } from './twilio-double.ts';

export const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
export const AUTH_TOKEN = 'twilio-auth-token-for-tests';
export const FROM = '+15005550006';
export const SECRET = 'a-signing-secret-of-at-least-thirty-two-characters';
/** The mail provider proves itself to the bounce and complaint webhook with this, not an API key. */
export const BOUNCE_TOKEN = 'a-bounce-webhook-token-for-tests';
const ORG = { name: 'Hope Shelter', address: '12 Harbour Road, Portland', website: 'https://hope.example' };

export interface ChannelStack {
  runtime: TestRuntime;
  services: Services;
  api: FastifyInstance;
  /** The API with an admin key. */
  call: ReturnType<typeof injectWithKey>;
  apiUrl: string;
  twilioDouble: TwilioDouble;
  messaging: MessagingSettings;
  stop(): Promise<void>;
}

export interface ChannelStackOptions {
  /** Webhook endpoints at http://127.0.0.1 allowed (a receiver the test runs): plain http to loopback, and private networks. */
  localWebhookReceiver?: boolean;
}

/** `extra` goes to buildApi (connectors, for instance). */
export async function startChannelStack(extra: Partial<ApiDependencies> = {}, options: ChannelStackOptions = {}): Promise<ChannelStack> {
  const runtime = await startTestRuntime();
  // The API's address is only known once it listens; links and callbacks point at it.
  let publicUrl = '';
  const twilioDouble = await startTwilioDouble({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const services = createServices({
    db: runtime.db,
    temporal: runtime.env.client,
    taskQueue: runtime.taskQueue,
    channels: { signingSecret: SECRET, org: { name: ORG.name, website: ORG.website }, phoneCountry: 'US' },
    webhookUrlPolicy: { allowLoopbackHttp: options.localWebhookReceiver ?? false, allowPrivateNetworks: options.localWebhookReceiver ?? false },
    // Invitations and password resets go through the runtime's real SMTP server, linking to the API.
    people: { mail: createAccountMail({ mailer: runtime.mailer, from: 'Steward <hello@steward.localhost>', publicUrl: () => publicUrl, orgName: ORG.name }) },
  });
  const api = buildApi({
    ...services,
    ...extra,
    channelRoutes: {
      channels: services.channels!,
      get publicUrl() {
        return publicUrl;
      },
      orgName: ORG.name,
      twilioAuthToken: AUTH_TOKEN,
      bounceWebhookToken: BOUNCE_TOKEN,
    },
  });
  const call = injectWithKey(api, await makeKey(services.keys));
  const apiUrl = (await api.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
  publicUrl = apiUrl;
  const messaging = unrestrictedMessaging({
    publicUrl: apiUrl,
    signingSecret: SECRET,
    org: ORG,
    sms: createTwilioSender({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiUrl: twilioDouble.url, statusCallbackUrl: `${apiUrl}/webhooks/twilio/status` }),
  });
  return {
    runtime,
    services,
    api,
    call,
    apiUrl,
    twilioDouble,
    messaging,
    async stop() {
      await services.webhooks.dispatcher.stop();
      await api.close();
      await twilioDouble.close();
      await runtime.stop();
    },
  };
}
