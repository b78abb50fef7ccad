/**
 * Mapped connectors: the shipped donation-form mapping, deliveries signed with
 * HMAC-SHA256 posted over HTTP to the API on a real database, the preview over the
 * API and the command line, and mapping files checked with located errors.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { loadConnectorMappings, readConnectorMapping, type MappedConnector } from '../../src/connectors/mapped/catalog.ts';
import { injectWithKey, makeKey, signedInCookie } from '../support/api.ts';
import { startApiWithoutTemporal, type ApiWithoutTemporal } from '../support/api-without-temporal.ts';
import { rowCounts } from '../support/row-counts.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'a-form-platform-secret-for-tests';
let app: ApiWithoutTemporal;
let call: ReturnType<typeof injectWithKey>;
let dir: string;

beforeAll(async () => {
  const { connectors, problems } = await loadConnectorMappings(path.join(root, 'connectors'), { 'donation-form': SECRET });
  expect(problems).toEqual([]);
  const unsecured = { ...connectors[0]!, definition: { ...connectors[0]!.definition, name: 'no-secret' }, secret: undefined } satisfies MappedConnector;
  app = await startApiWithoutTemporal({ connectors: { mapped: [...connectors, unsecured] } });
  call = injectWithKey(app.api, await makeKey(app.services.keys, ['read']));
  dir = await mkdtemp(path.join(tmpdir(), 'steward-connectors-'));
}, 180_000);

afterAll(async () => {
  await app?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const db = () => app.database.prisma;

function donationPayload(overrides: { email?: string; amountCents?: unknown; currency?: string; type?: string } = {}) {
  return {
    id: `wh_${randomUUID()}`,
    type: overrides.type ?? 'donation.completed',
    created_at: new Date().toISOString(),
    data: {
      donation: { id: `don_${randomUUID()}`, amount_cents: overrides.amountCents ?? 2500, currency: overrides.currency ?? 'usd', recurring: false, campaign: 'winter-appeal', designation: 'shelter' },
      donor: { email: overrides.email ?? `form-${randomUUID()}@example.org`, first_name: 'Ada', last_name: 'Lovelace', phone: '+15035550199' },
    },
  };
}

/** Signs as the shipped mapping says: HMAC-SHA256 of "<timestamp>.<body>", hex, after "sha256=". */
function signed(body: string, options: { secret?: string; timestamp?: number } = {}) {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', options.secret ?? SECRET).update(`${timestamp}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-form-signature': `sha256=${signature}`, 'x-form-timestamp': String(timestamp) };
}

async function deliver(payload: unknown, headers?: Record<string, string>, name = 'donation-form') {
  const body = JSON.stringify(payload);
  const response = await app.api.inject({ method: 'POST', url: `/connectors/${name}/webhook`, headers: headers ?? signed(body), payload: body });
  return { status: response.statusCode, body: response.json() as Record<string, any> };
}

describe('a mapped connector', () => {
  it('stores a signed delivery as the event its mapping describes', async () => {
    const payload = donationPayload({ email: `Form-${randomUUID()}@Example.org` });
    const answer = await deliver(payload);
    expect(answer).toEqual({ status: 200, body: { received: true, outcome: 'stored', eventId: expect.any(String) } });
    const event = await db().interactionEvent.findUniqueOrThrow({ where: { id: answer.body.eventId }, include: { constituent: true } });
    expect(event).toMatchObject({ idempotencyKey: `donation-form:${payload.data.donation.id}`, type: 'donation', currency: 'USD', occurredAt: new Date(payload.created_at) });
    expect(event.amount?.toFixed(2)).toBe('25.00');
    expect(event.data).toEqual({ amount: 25, currency: 'USD', recurring: false, campaign: 'winter-appeal', fund: 'shelter' });
    expect(event.constituent).toMatchObject({ email: payload.data.donor.email.toLowerCase(), firstName: 'Ada', lastName: 'Lovelace', phone: '+15035550199' });
    expect(await db().connectorDelivery.findFirstOrThrow({ where: { deliveryId: payload.id } })).toMatchObject({ connector: 'donation-form', kind: 'donation.completed', outcome: 'stored', eventId: event.id });
  });

  it('stores nothing new for a redelivery, and takes a refund of the gift', async () => {
    const payload = donationPayload();
    const first = await deliver(payload);
    const before = await rowCounts(db());
    expect(await deliver(payload)).toMatchObject({ status: 200, body: { outcome: 'redelivered', eventId: first.body.eventId } });
    expect(await rowCounts(db())).toEqual(before);

    const refund = { id: `wh_${randomUUID()}`, type: 'donation.refunded', created_at: new Date().toISOString(), data: { donation: { id: payload.data.donation.id, currency: 'usd' }, refund: { amount_cents: 1000 }, donor: payload.data.donor } };
    const refunded = await deliver(refund);
    expect(refunded.body).toMatchObject({ outcome: 'stored' });
    expect(await db().interactionEvent.findUniqueOrThrow({ where: { id: refunded.body.eventId } })).toMatchObject({ type: 'refund', data: { gift: `donation-form:${payload.data.donation.id}`, amount: 10, currency: 'USD' } });
  });

  it('acknowledges a kind of delivery no rule takes, as ignored', async () => {
    const answer = await deliver({ ...donationPayload(), type: 'donor.updated' });
    expect(answer).toMatchObject({ status: 200, body: { outcome: 'ignored', reason: 'no rule of the mapping takes a donor.updated' } });
  });

  it.each([
    ['signed with another secret', (body: string) => signed(body, { secret: 'not-the-connector-secret-at-all' }), 'headers.x-form-signature', /does not match the body/],
    ['unsigned', () => ({ 'content-type': 'application/json' }), 'headers.x-form-signature', /X-Form-Signature header is missing/],
    ['signed 10 minutes ago', (body: string) => signed(body, { timestamp: Math.floor(Date.now() / 1000) - 600 }), 'headers.x-form-timestamp', /stale/],
    ['without its timestamp', (body: string) => ({ ...signed(body), 'x-form-timestamp': '' }), 'headers.x-form-timestamp', /Unix seconds/],
  ])('refuses a delivery %s (400) and stores nothing', async (_case, headersFor, pathAt, message) => {
    const payload = donationPayload();
    const before = await rowCounts(db());
    const answer = await deliver(payload, headersFor(JSON.stringify(payload)));
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ message: expect.stringMatching(message), issues: [{ path: pathAt, message: expect.stringMatching(message) }] });
    expect(await rowCounts(db())).toEqual(before);
    expect(await db().connectorDelivery.findFirstOrThrow({ where: { connector: 'donation-form', outcome: 'refused' }, orderBy: { receivedAt: 'desc' } })).toMatchObject({ deliveryId: null, reason: expect.stringMatching(message) });
  });

  it('refuses a signed payload its mapping cannot read, naming the payload path', async () => {
    const before = await rowCounts(db());
    const answer = await deliver(donationPayload({ amountCents: '25.00' }));
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues).toEqual([{ path: '$.data.donation.amount_cents', message: 'must be a whole number of minor units (cents), not "25.00"' }]);
    const missingEmail = donationPayload();
    delete (missingEmail.data.donor as { email?: string }).email;
    expect((await deliver(missingEmail)).body.error.issues).toEqual([{ path: '$.data.donor.email', message: expect.stringMatching(/^constituent\.email /) }]);
    expect(await rowCounts(db())).toEqual(before);
  });

  it('refuses every delivery while it has no secret, and a name that is no connector', async () => {
    const payload = donationPayload();
    expect(await deliver(payload, signed(JSON.stringify(payload)), 'no-secret')).toMatchObject({ status: 404, body: { error: { message: expect.stringContaining('STEWARD_CONNECTOR_SECRETS') } } });
    expect(await deliver(payload, signed(JSON.stringify(payload)), 'nobody')).toMatchObject({ status: 404 });
  });

  it('reads minor units by the currency: JPY has none, KWD three', async () => {
    const yen = await deliver(donationPayload({ amountCents: 3000, currency: 'jpy' }));
    expect((await db().interactionEvent.findUniqueOrThrow({ where: { id: yen.body.eventId } })).amount?.toFixed(2)).toBe('3000.00');
    const dinar = await deliver(donationPayload({ amountCents: 7250, currency: 'kwd' }));
    expect((await db().interactionEvent.findUniqueOrThrow({ where: { id: dinar.body.eventId } })).amount?.toFixed(2)).toBe('7.25');
  });
});

describe('the preview', () => {
  it('shows the event a sample payload would become, storing nothing', async () => {
    const payload = donationPayload();
    const before = await rowCounts(db());
    const preview = await call({ method: 'POST', url: '/connectors/donation-form/preview', payload: { payload } });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toEqual({
      deliveryId: payload.id,
      kind: 'donation.completed',
      event: {
        id: `donation-form:${payload.data.donation.id}`,
        type: 'donation',
        occurredAt: payload.created_at,
        constituent: { email: payload.data.donor.email, firstName: 'Ada', lastName: 'Lovelace', phone: '+15035550199' },
        data: { amount: 25, currency: 'USD', recurring: false, campaign: 'winter-appeal', fund: 'shelter' },
      },
    });
    expect(await rowCounts(db())).toEqual(before);
  });

  it('locates what fails: the payload path and the mapping line that reads it', async () => {
    const preview = await call({ method: 'POST', url: '/connectors/donation-form/preview', payload: { payload: donationPayload({ currency: 'dollars' }) } });
    expect(preview.statusCode).toBe(400);
    const mappingLines = (await readFile(path.join(root, 'connectors/donation-form.yaml'), 'utf8')).split('\n');
    const currencyLine = mappingLines.findIndex((line) => line.includes('currency: { path: $.data.donation.currency, transform: upper }')) + 1;
    const amountLine = mappingLines.findIndex((line) => line.includes('amount: { path: $.data.donation.amount_cents')) + 1;
    expect(preview.json().error.issues).toEqual([
      { path: '$.data.donation.currency', message: 'must be an ISO 4217 currency code, to know the size of its minor unit', line: amountLine },
    ]);
    const wrongCurrency = await call({ method: 'POST', url: '/connectors/donation-form/preview', payload: { payload: donationPayload({ currency: 'usx' }) } });
    expect(wrongCurrency.json().error.issues).toEqual([{ path: '$.data.donation.currency', message: 'data.currency is not a known ISO 4217 currency', line: currencyLine }]);
  });

  it('runs from the command line on files', async () => {
    const sample = path.join(dir, 'sample.json');
    await writeFile(sample, JSON.stringify(donationPayload({ amountCents: 'lots' })));
    const failed = await steward('connectors', 'preview', 'connectors/donation-form.yaml', sample);
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/^.*sample\.json: error: \$\.data\.donation\.amount_cents: must be a whole number of minor units \(cents\), not "lots" \(read by connectors\/donation-form\.yaml:\d+ deliveries\.0\.data\.amount\)\n$/);
    await writeFile(sample, JSON.stringify(donationPayload()));
    const good = await steward('connectors', 'preview', 'connectors/donation-form.yaml', sample);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/^Delivery wh_\S+ \(donation\.completed\) would become:\n\{\n {2}"id": "donation-form:don_/);
    expect(await steward('connectors', 'validate', 'connectors/donation-form.yaml')).toMatchObject({ code: 0, out: 'connectors/donation-form.yaml: ok (donation-form, 3 kinds of delivery)\n' });
  });
});

describe('the connectors page', () => {
  it('lists each connector, whether it is set up, and its latest deliveries with what became of them', async () => {
    const refused = donationPayload();
    await deliver(refused, signed(JSON.stringify(refused), { secret: 'not-the-connector-secret-at-all' }));
    const cookie = await signedInCookie(app.api, await makeKey(app.services.keys, ['read']));
    const response = await app.api.inject({ method: 'GET', url: '/app/connectors', headers: { cookie } });
    expect(response.statusCode).toBe(200);
    const page = response.body;
    expect(page).toContain('<a href="/app/connectors" aria-current="page">Connectors</a>');
    expect(page).toMatch(/<h2 id="connector-stripe">Stripe <span[^>]*>not set up<\/span><\/h2>/);
    expect(page).toMatch(/<h2 id="connector-donation-form">donation-form <span[^>]*>receiving<\/span><\/h2>/);
    expect(page).toContain('<caption class="visually-hidden">Latest deliveries to donation-form</caption>');
    for (const outcome of ['stored', 'ignored', 'refused']) expect(page).toMatch(new RegExp(`<span[^>]*>${outcome}</span>`));
    expect(page).toContain('X-Form-Signature does not match the body with this connector&#39;s secret');
  });
});

describe('a mapping file', () => {
  it.each([
    ['a path that is not a JSON path', 'idempotencyKey: data.id', 'idempotencyKey', 'must be a JSON path such as $.data.donor.email or $.items[0].amount', 6],
    ['an encoding it cannot check', 'signature: { header: X-Sig, encoding: base32 }', 'signature.encoding', expect.stringContaining('"hex"'), 3],
    ['minor units without a currency', '      amount: { path: $.amount, transform: minor-units }', 'deliveries.0.data.amount.currency', 'minor-units needs the currency (a path) or decimals, to know the size of the unit', 13],
    ['an unknown transform', '      amount: { path: $.amount, transform: cents }', 'deliveries.0.data.amount.transform', expect.stringContaining('"minor-units"'), 13],
    ['a bad tolerance', 'signature: { header: X-Sig, encoding: hex, timestamp: { header: X-Time, tolerance: 5 minutes } }', 'signature.timestamp.tolerance', expect.stringContaining('is not a duration'), 3],
  ])('with %s is refused at its line', (_case, replacement, problemPath, message, line) => {
    const lines = [
      'name: example',
      'description: A test mapping',
      'signature: { header: X-Sig, encoding: hex }',
      'kind: $.type',
      '# the delivery id',
      'idempotencyKey: $.id',
      'deliveries:',
      '  - when: { path: $.type, equals: gift }',
      '    type: donation',
      '    constituent:',
      '      email: $.email',
      '    data:',
      '      amount: { path: $.amount, transform: minor-units, currency: $.currency }',
      '      currency: { path: $.currency, transform: upper }',
    ];
    const key = replacement.trim().split(':')[0];
    const at = lines.findIndex((text) => text.trim().startsWith(`${key}:`) && (key !== 'amount' || text.includes('$.amount')));
    lines[at] = replacement;
    const read = readConnectorMapping(lines.join('\n'), 'example.yaml');
    expect(read).toEqual({ problems: [expect.objectContaining({ file: 'example.yaml', path: problemPath, message, line })] });
  });
});

async function steward(...args: string[]) {
  let out = '';
  let err = '';
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const code = await main(args, { out: { write: (text: string) => (out += text) }, err: { write: (text: string) => (err += text) } });
    return { code, out, err };
  } finally {
    process.chdir(cwd);
  }
}
