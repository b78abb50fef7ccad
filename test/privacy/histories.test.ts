/**
 * No personal data in Temporal's histories, proved on every path that reaches a
 * workflow: a gift, a registration, a staff task completed, a migration to a new
 * version, an SMS sent and answered with STOP and START, an unsubscribe link and a
 * hard bounce. Every history is then read back with its payloads decoded and
 * searched for every personal value the scenario used.
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { publishJourneyCatalog } from '../../src/journeys/publish-catalog.ts';
import { routed } from '../support/api.ts';
import { BOUNCE_TOKEN, FROM, startChannelStack, type ChannelStack } from '../support/channel-stack.ts';
import { eventually } from '../support/wait.ts';

const ada = {
  email: 'adelaide.quimby@privacy.example',
  firstName: 'Adelaide',
  lastName: 'Quimby-Zephyr',
  phone: '(503) 555-0199',
  consent: { email: 'granted', sms: 'granted' },
};
const bart = { email: 'bartholomew.ghost@privacy.example', firstName: 'Bartholomew', lastName: 'Fairweather', consent: { email: 'granted' } };
const cordelia = { email: 'cordelia.pennywhistle@privacy.example', firstName: 'Cordelia', lastName: 'Pennywhistle', consent: { email: 'granted' } };
const giftNote = 'In memory of Ignatius Montgomery, who loved the harbour';
const dietary = 'Walnut allergy; seat beside Philomena Ashdown';
const officer = 'officer.penhaligon@hope.example';

/** Every personal value above, in each spelling it could take. */
const personal = [
  ...[ada, bart, cordelia].flatMap((person) => [person.email, person.firstName, person.lastName]),
  '5035550199',
  '555-0199',
  giftNote,
  'Ignatius',
  dietary,
  'Philomena',
  officer,
  'penhaligon',
];

let stack: ChannelStack;
let db: Database;
let worker: Worker;

const gift = (version: number): JourneyDefinitionInput => ({
  id: 'privacy-gift',
  name: 'Privacy gift',
  version,
  trigger: { event: 'donation' },
  initial: 'thanked',
  states: {
    thanked: {
      entry: [
        { do: 'email', template: 'new-donor-thanks' },
        { do: 'task', queue: 'stewardship', title: 'Call to say thank you', due: '48h' },
      ],
      on: { 'task-completed': 'texted' },
      after: [{ delay: version === 1 ? '20d' : '21d', to: 'done' }],
    },
    texted: { entry: [{ do: 'sms', template: 'winback-sms' }], after: [{ delay: '10d', to: 'done' }] },
    done: { final: true },
  },
});

const registration: JourneyDefinitionInput = {
  id: 'privacy-registration',
  name: 'Privacy registration',
  trigger: { event: 'registration' },
  initial: 'confirmed',
  states: { confirmed: { entry: [{ do: 'email', template: 'event-confirmation' }], after: [{ delay: '30d', to: 'done' }] }, done: { final: true } },
};

beforeAll(async () => {
  stack = await startChannelStack();
  db = stack.runtime.db;
  const publish = (definition: JourneyDefinitionInput) => ({ definition: JourneyDefinition.parse(definition), source: `${definition.id}.test`, publishOnStart: true });
  await publishJourneyCatalog(db, [publish(gift(1)), publish(registration)]);
  worker = await stack.runtime.worker({ messaging: stack.messaging });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function post(type: 'donation' | 'registration', constituent: object, data: Record<string, unknown>) {
  const response = await stack.call({ method: 'POST', url: '/events', payload: { id: randomUUID(), type, constituent, data } });
  return (await routed(stack.call, response)).enrollments;
}

const mailTo = (address: string) =>
  eventually(async () => stack.runtime.smtp.messages.find((message) => (message.to as { text: string }).text === address), `the email to ${address}`);

async function ended(enrollmentId: string): Promise<void> {
  await eventually(async () => ((await db.enrollment.findUniqueOrThrow({ where: { id: enrollmentId } })).status !== 'active' ? true : undefined), `enrollment ${enrollmentId} to end`);
}

/** A history as text, with every payload's data decoded, so JSON inside payloads reads as written. */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    const payload = value as { metadata?: unknown; data?: unknown };
    if (payload && typeof payload === 'object' && 'metadata' in payload && typeof payload.data === 'string') {
      return { ...payload, data: Buffer.from(payload.data, 'base64').toString('utf8') };
    }
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    return value;
  });
}

it('keeps every personal value out of every workflow history, whatever path reached the workflow', async () => {
  await worker.runUntil(async () => {
    const [adaGift] = await post('donation', ada, { amount: 250, currency: 'USD', campaign: 'Spring appeal', note: giftNote });
    const [bartGift] = await post('donation', bart, { amount: 40, currency: 'USD', note: giftNote });
    await post('registration', ada, { program: 'Spring Gala', startsAt: '2027-04-17T23:00:00Z', dietary });
    const [cordeliaRegistration] = await post('registration', cordelia, { program: 'Spring Gala', startsAt: '2027-04-17T23:00:00Z', dietary });

    // A hard bounce ends Bartholomew's journey.
    const bartMessage = await eventually(async () => (await db.message.findFirst({ where: { enrollmentId: bartGift!.enrollmentId, status: 'sent' } })) ?? undefined, 'the email to Bartholomew');
    const bounce = await stack.call({ method: 'POST', url: '/webhooks/email/feedback', headers: { authorization: `Bearer ${BOUNCE_TOKEN}` }, payload: { type: 'bounce', bounceType: 'hard', recipient: bart.email, messageId: bartMessage.id } });
    expect(bounce.json()).toEqual({ results: [{ suppressed: true, constituents: 1, enrollments: 1 }] });
    await ended(bartGift!.enrollmentId);

    // Cordelia unsubscribes from the link in her confirmation.
    const unsubscribe = /Unsubscribe: (\S+)/.exec((await mailTo(cordelia.email)).text!)![1]!;
    expect((await fetch(unsubscribe, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(200);
    await ended(cordeliaRegistration!.enrollmentId);

    // Version 2 of the gift journey; Ada's enrollment moves onto it.
    await publishJourneyCatalog(db, [{ definition: JourneyDefinition.parse(gift(2)), source: 'privacy-gift.test', publishOnStart: true }]);
    expect(await stack.services.lifecycle.migrate('privacy-gift', 1, 2, { thanked: 'thanked', texted: 'texted' })).toEqual({ enrollments: 1 });

    // A gift officer calls and records it; the journey texts Ada, who answers STOP, then START.
    const task = await eventually(async () => (await db.staffTask.findFirst({ where: { enrollmentId: adaGift!.enrollmentId, status: 'open' } })) ?? undefined, "Ada's call task");
    // The notes stay with the task; only the outcome reaches the journey.
    await stack.services.tasks.complete(task.id, 'reached', { by: officer, notes: `Spoke about ${giftNote}; ${dietary}` });
    await eventually(async () => stack.twilioDouble.messages.find((message) => message.params.To === '+15035550199'), 'the text to Ada');
    await stack.twilioDouble.sendInbound(`${stack.apiUrl}/webhooks/twilio/inbound`, { from: '+15035550199', to: FROM, body: 'STOP' });
    await ended(adaGift!.enrollmentId);
    await stack.twilioDouble.sendInbound(`${stack.apiUrl}/webhooks/twilio/inbound`, { from: '+15035550199', to: FROM, body: 'START' });
  });

  const enrollments = await db.enrollment.findMany({ select: { id: true, workflowId: true } });
  expect(enrollments).toHaveLength(4);
  const histories = await Promise.all(
    enrollments.map(async ({ id, workflowId }) => ({ id, text: historyText(await stack.runtime.env.client.workflow.getHandle(workflowId).fetchHistory()) })),
  );
  // The decoding is real: what journeys may see (ids, the campaign, the outcome) is there to be read.
  const all = histories.map((history) => history.text).join('\n');
  const expectedThere = ['Spring appeal', 'reached', 'unsubscribed', 'hard-bounced', '"signalName":"migrate"', ...enrollments.map((enrollment) => enrollment.id)];
  expect(expectedThere.filter((value) => !all.includes(value))).toEqual([]);
  const hits = histories.flatMap(({ id, text }) => personal.filter((value) => text.toLowerCase().includes(value.toLowerCase())).map((value) => `${value} in the history of enrollment ${id}`));
  expect(hits).toEqual([]);
});
