/**
 * The Twilio double (test/support/twilio-double.ts), exercised through the real
 * `twilio` client: what Twilio's OpenAPI description allows is accepted, what it does
 * not is refused the way Twilio refuses, injected failures reach the client as
 * RestExceptions, and webhook signatures agree with the twilio library's own check.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeTwilioSignature,
  createTwilioClient,
  startTwilioDouble,
  type TwilioDouble,
} from '../support/twilio-double.ts';

const accountSid = `AC${'0123456789abcdef'.repeat(2)}`;
const authToken = 'double-auth-token-0123456789abcdef';
const SENDER = '+15005550006';
const RECIPIENT = '+15558675310';
const MESSAGING_SERVICE = `MG${'a1'.repeat(16)}`;
const MESSAGES_URI = `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages.json`;

/** A webhook endpoint, as Steward would expose one, that checks Twilio's signature with the twilio library. */
interface WebhookReceiver {
  url: string;
  requests: { path: string; params: Record<string, string>; signatureValid: boolean }[];
  close(): Promise<void>;
}

async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: WebhookReceiver['requests'] = [];
  let baseUrl = '';
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const signature = String(request.headers['x-twilio-signature'] ?? '');
      const signatureValid = twilio.validateRequest(authToken, signature, `${baseUrl}${request.url ?? ''}`, params);
      requests.push({ path: request.url ?? '', params, signatureValid });
      if (!signatureValid) {
        response.writeHead(403, { 'content-type': 'text/plain' }).end('bad signature');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/xml' }).end('<Response/>');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The body of a raw `client.request` response (axios may already have parsed the JSON). */
function jsonBody(body: unknown): Record<string, unknown> {
  return (typeof body === 'string' ? JSON.parse(body) : body) as Record<string, unknown>;
}

/** Awaits a promise expected to reject, and returns what it rejected with. */
async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof twilio.RestException>> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(twilio.RestException);
    return error as InstanceType<typeof twilio.RestException>;
  }
  throw new Error('Expected the request to fail');
}

describe('Twilio double', () => {
  let double: TwilioDouble;
  let client: twilio.Twilio;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    double = await startTwilioDouble({ accountSid, authToken });
    client = createTwilioClient(double, { accountSid, authToken });
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await double?.close();
  });

  /** The problems of the request refused last. */
  const lastProblems = () => double.rejected.at(-1)?.problems ?? [];

  describe('accepts creates the spec allows', () => {
    it('with From', async () => {
      const message = await client.messages.create({
        to: RECIPIENT,
        from: SENDER,
        body: 'Thank you for your gift!',
        statusCallback: `${receiver.url}/sms/status`,
      });

      expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(message).toMatchObject({
        accountSid,
        to: RECIPIENT,
        from: SENDER,
        messagingServiceSid: null,
        body: 'Thank you for your gift!',
        status: 'queued',
        direction: 'outbound-api',
        apiVersion: '2010-04-01',
        numSegments: '1',
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${message.sid}.json`,
      });
      expect(message.dateCreated).toBeInstanceOf(Date);
      expect(Number.isNaN(message.dateCreated.getTime())).toBe(false);

      const received = double.messages.at(-1);
      expect(received?.sid).toBe(message.sid);
      expect(received?.params).toEqual({
        To: RECIPIENT,
        From: SENDER,
        Body: 'Thank you for your gift!',
        StatusCallback: `${receiver.url}/sms/status`,
      });
      expect(received?.receivedAt).toBeInstanceOf(Date);
      expect(double.rejected).toEqual([]);
    });

    it('with MessagingServiceSid', async () => {
      const message = await client.messages.create({ to: RECIPIENT, messagingServiceSid: MESSAGING_SERVICE, body: 'Hello' });

      expect(message).toMatchObject({ from: null, messagingServiceSid: MESSAGING_SERVICE, status: 'queued' });
      expect(double.messages.at(-1)?.params).toEqual({ To: RECIPIENT, MessagingServiceSid: MESSAGING_SERVICE, Body: 'Hello' });
      expect(double.rejected).toEqual([]);
    });

    it('and serves the created messages back through fetch and list', async () => {
      const created = await client.messages.create({ to: '+447700900123', from: SENDER, body: 'Fetch me' });

      const fetched = await client.messages(created.sid).fetch();
      expect(fetched).toMatchObject({ sid: created.sid, body: 'Fetch me', status: 'queued' });

      const listed = await client.messages.list({ to: '+447700900123', pageSize: 20 });
      expect(listed.map((m) => m.sid)).toEqual([created.sid]);
      expect(double.rejected).toEqual([]);
    });
  });

  describe('refuses requests the spec does not allow', () => {
    it('a create missing To, with the problem the schema names', async () => {
      const before = double.messages.length;
      const response = await client.request({ method: 'post', uri: MESSAGES_URI, data: { From: SENDER, Body: 'No recipient' } });

      expect(response.statusCode).toBe(400);
      expect(jsonBody(response.body)).toMatchObject({
        code: 21604,
        status: 400,
        more_info: 'https://www.twilio.com/docs/errors/21604',
      });
      expect(String(jsonBody(response.body).message)).toContain("missing required form parameter 'To'");
      expect(lastProblems()).toContain("missing required form parameter 'To'");
      expect(double.messages.length).toBe(before);
    });

    it('an unknown parameter', async () => {
      const response = await client.request({
        method: 'post',
        uri: MESSAGES_URI,
        data: { To: RECIPIENT, From: SENDER, Bodyy: 'Typo' },
      });

      expect(response.statusCode).toBe(400);
      expect(lastProblems()).toContain("unknown form parameter 'Bodyy' (not declared in Twilio's spec)");
    });

    it('a parameter that does not match its schema', async () => {
      const error = await rejection(client.messages.create({ to: RECIPIENT, messagingServiceSid: 'MG123', body: 'Hi' }));

      expect(error.status).toBe(400);
      expect(lastProblems()).toContain("form parameter 'MessagingServiceSid' must match pattern \"^MG[0-9a-fA-F]{32}$\"");
    });

    it('a To that is not a phone number', async () => {
      const error = await rejection(client.messages.create({ to: '555-1234', from: SENDER, body: 'Hi' }));

      expect(error).toMatchObject({ status: 400, code: 21211 });
      expect(lastProblems()).toContain('form parameter \'To\' must match format "phone-number"');
    });

    it('both From and MessagingServiceSid', async () => {
      const error = await rejection(
        client.messages.create({ to: RECIPIENT, from: SENDER, messagingServiceSid: MESSAGING_SERVICE, body: 'Hi' }),
      );

      expect(error.status).toBe(400);
      expect(lastProblems()).toEqual(["exactly one of 'From' or 'MessagingServiceSid' is required; both were given"]);
    });

    it('a create with no content', async () => {
      const error = await rejection(client.messages.create({ to: RECIPIENT, from: SENDER }));

      expect(error).toMatchObject({ status: 400, code: 21602 });
      expect(lastProblems()).toEqual(["at least one of 'Body', 'MediaUrl' or 'ContentSid' is required"]);
    });

    it('a body that is not form-encoded', async () => {
      const response = await client.request({
        method: 'post',
        uri: MESSAGES_URI,
        headers: { 'Content-Type': 'application/json' },
        data: { To: RECIPIENT, From: SENDER, Body: 'Hi' },
      });

      expect(response.statusCode).toBe(400);
      expect(lastProblems()).toEqual(["content-type must be application/x-www-form-urlencoded, not 'application/json'"]);
    });

    it('another account, and a path the spec does not have', async () => {
      const otherAccount = `AC${'f'.repeat(32)}`;
      const other = await client.request({ method: 'get', uri: MESSAGES_URI.replace(accountSid, otherAccount) });
      expect(other.statusCode).toBe(404);
      expect(lastProblems()).toEqual([`path AccountSid ${otherAccount} is not the double's account`]);

      const unknown = await client.request({ method: 'get', uri: `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Texts.json` });
      expect(unknown.statusCode).toBe(404);
      expect(jsonBody(unknown.body)).toMatchObject({ code: 20404 });
    });

    it('wrong credentials, with 401', async () => {
      const intruder = createTwilioClient(double, { accountSid, authToken: 'not-the-auth-token' });

      const error = await rejection(intruder.messages.create({ to: RECIPIENT, from: SENDER, body: 'Hi' }));

      expect(error).toMatchObject({ status: 401, code: 20003, message: 'Authenticate' });
      expect(lastProblems()).toEqual(['HTTP Basic credentials are missing or are not accountSid:authToken']);
    });
  });

  describe('fails creates on request', () => {
    it('with a Twilio error code, as a RestException', async () => {
      double.failNext({ kind: 'error', code: 21211 });

      const error = await rejection(client.messages.create({ to: RECIPIENT, from: SENDER, body: 'Hi' }));
      expect(error).toMatchObject({ status: 400, code: 21211, message: "Invalid 'To' Phone Number" });
      expect(error.moreInfo).toBe('https://www.twilio.com/docs/errors/21211');

      // Only the next create failed.
      await expect(client.messages.create({ to: RECIPIENT, from: SENDER, body: 'Hi' })).resolves.toMatchObject({ status: 'queued' });
    });

    it('transiently, with the status asked for, as many times as asked', async () => {
      const before = double.messages.length;
      double.failNext({ kind: 'transient' }, 2);

      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await rejection(client.messages.create({ to: RECIPIENT, from: SENDER, body: 'Hi' }));
        expect(error).toMatchObject({ status: 503, code: 20503 });
      }
      double.failNext({ kind: 'transient', status: 429 });
      expect(await rejection(client.messages.create({ to: RECIPIENT, from: SENDER, body: 'Hi' }))).toMatchObject({ status: 429 });

      await client.messages.create({ to: RECIPIENT, from: SENDER, body: 'Hi' });
      expect(double.messages.length).toBe(before + 1);
    });

    it('but an invalid request does not use up a failure', async () => {
      double.failNext({ kind: 'error', code: 21610 });
      await rejection(client.messages.create({ to: RECIPIENT, body: 'No sender' }));

      expect(await rejection(client.messages.create({ to: RECIPIENT, from: SENDER, body: 'Hi' }))).toMatchObject({
        status: 400,
        code: 21610,
        message: 'Attempt to send to unsubscribed recipient',
      });
    });
  });

  describe('signs webhooks like Twilio', () => {
    it('computeTwilioSignature agrees with twilio.validateRequest', () => {
      const url = 'https://steward.example.org/webhooks/twilio/status?journey=welcome';
      const params = { MessageSid: `SM${'1'.repeat(32)}`, MessageStatus: 'delivered', To: RECIPIENT, Body: 'Grüße 👋 & more' };

      const signature = computeTwilioSignature(authToken, url, params);

      expect(signature).toBe(twilio.getExpectedTwilioSignature(authToken, url, params));
      expect(twilio.validateRequest(authToken, signature, url, params)).toBe(true);
      expect(twilio.validateRequest(authToken, signature, url, { ...params, MessageStatus: 'failed' })).toBe(false);
      expect(twilio.validateRequest(authToken, signature, `${url}&x=1`, params)).toBe(false);
      expect(twilio.validateRequest('another-token', signature, url, params)).toBe(false);
    });

    it('sends signed status callbacks to the StatusCallback URL', async () => {
      const message = await client.messages.create({
        to: RECIPIENT,
        messagingServiceSid: MESSAGING_SERVICE,
        body: 'Your receipt',
        statusCallback: `${receiver.url}/sms/status?journey=receipt`,
      });

      const delivered = await double.sendStatusCallback(message.sid, 'delivered');
      expect(delivered).toEqual({ status: 200, body: '<Response/>' });
      expect(receiver.requests.at(-1)).toEqual({
        path: '/sms/status?journey=receipt',
        signatureValid: true,
        params: {
          AccountSid: accountSid,
          ApiVersion: '2010-04-01',
          MessageSid: message.sid,
          MessageStatus: 'delivered',
          MessagingServiceSid: MESSAGING_SERVICE,
          SmsSid: message.sid,
          SmsStatus: 'delivered',
          To: RECIPIENT,
        },
      });
      expect((await client.messages(message.sid).fetch()).status).toBe('delivered');

      await double.sendStatusCallback(message.sid, 'undelivered', 30003);
      expect(receiver.requests.at(-1)?.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30003' });
      expect(receiver.requests.at(-1)?.signatureValid).toBe(true);
      expect(await client.messages(message.sid).fetch()).toMatchObject({ status: 'undelivered', errorCode: 30003 });
    });

    it('sends inbound messages, signed or forged', async () => {
      const inbound = { from: RECIPIENT, to: SENDER, body: 'STOP' };

      const genuine = await double.sendInbound(`${receiver.url}/sms/inbound`, inbound);
      expect(genuine).toEqual({ status: 200, body: '<Response/>', contentType: 'text/xml' });
      expect(receiver.requests.at(-1)?.params).toMatchObject({
        AccountSid: accountSid,
        From: RECIPIENT,
        To: SENDER,
        Body: 'STOP',
        NumMedia: '0',
        NumSegments: '1',
        SmsStatus: 'received',
      });
      expect(receiver.requests.at(-1)?.params.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);

      const forged = await double.sendInbound(`${receiver.url}/sms/inbound`, inbound, { forge: true });
      expect(forged.status).toBe(403);
      expect(receiver.requests.at(-1)?.signatureValid).toBe(false);
    });
  });
});
