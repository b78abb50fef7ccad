/**
 * Receipts as donors receive them, on real parts: the send activity against a real
 * database and a real SMTP server whose mail is parsed back; the Canadian PDF is
 * parsed back with pdf-parse.
 */
import { randomUUID } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSendMessage, type SendMessageInput } from '../../activities/send-message.ts';
import type { Database } from '../../src/db/client.ts';
import { unrestrictedMessaging } from '../../src/delivery/settings.ts';
import type { InteractionEventInput } from '../../src/events/schema.ts';
import { storeEvents } from '../../src/events/store.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import type { Jurisdiction, ReceiptSettings } from '../../src/receipts/settings.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

/** A database, a mail server and a transport to it: what a receipt needs to go out and be read back. */
async function startParts(): Promise<{ database: TestDatabase; smtp: SmtpSink; mailer: MailTransport; stop(): Promise<void> }> {
  const [database, smtp] = await Promise.all([createTestDatabase(), startSmtpSink()]);
  const mailer = createMailTransport(smtp.url);
  return { database, smtp, mailer, stop: async () => (mailer.close(), await smtp.stop(), await database.drop()) };
}

let parts: Awaited<ReturnType<typeof startParts>> | undefined;
let db: Database;
let smtp: SmtpSink;
let mailer: MailTransport;

beforeAll(async () => {
  parts = await startParts();
  ({ smtp, mailer } = parts);
  db = parts.database.prisma;
}, 120_000);

afterAll(() => parts?.stop());

const settings = (jurisdiction: Jurisdiction): ReceiptSettings => ({
  jurisdiction,
  legalName: 'Hope Shelter Society',
  taxId: jurisdiction === 'ca' ? '123456789RR0001' : jurisdiction === 'us' ? '12-3456789' : '1234567',
  signatory: 'Maria Lopez, Treasurer',
  address: '12 Harbour Road, Halifax NS',
  timeZone: 'America/Halifax',
});

function sender(jurisdiction: Jurisdiction) {
  return createSendMessage({ db, mailer, mailFrom: 'Hope Shelter <hello@hope.example>', messaging: unrestrictedMessaging({ receipts: settings(jurisdiction) }) });
}

/** Stores a gift (or refund) from a fresh or given donor; returns the stored event. */
async function store(event: Omit<InteractionEventInput, 'id' | 'constituent'> & { email?: string }) {
  const { email, ...rest } = event;
  const [stored] = await storeEvents(db, [{ id: `evt-${randomUUID()}`, constituent: { email: email ?? `donor-${randomUUID()}@example.org`, firstName: 'Zoë', lastName: 'Tremblay' }, ...rest } as InteractionEventInput]);
  return stored!.event;
}

const receiptInput = (constituentId: string, eventId: string): SendMessageInput => ({
  channel: 'email',
  enrollmentId: null,
  constituentId,
  template: 'gift-receipt',
  eventId,
  idempotencyKey: randomUUID(),
});

/** Sends and returns the mail that arrived for it. */
async function sendAndReceive(jurisdiction: Jurisdiction, input: SendMessageInput): Promise<ParsedMail> {
  const before = smtp.messages.length;
  expect(await sender(jurisdiction)(input)).toMatchObject({ status: 'sent' });
  return (await smtp.waitForMessages(before + 1))[before]!;
}

describe('gift receipts by email', () => {
  it('sends a US written acknowledgment with the no-goods-or-services statement, once, with one number per gift', async () => {
    const gift = await store({ type: 'donation', occurredAt: '2041-03-02T15:00:00Z', data: { amount: 250, currency: 'USD' } });
    const input = receiptInput(gift.constituentId, gift.id);
    const mail = await sendAndReceive('us', input);
    expect(mail.subject).toBe('Your receipt 2041-000001 from Hope Shelter Society');
    expect(mail.text).toContain('$250.00');
    expect(mail.text).toContain('EIN 12-3456789');
    expect(mail.text).toContain('received 2041-03-02');
    expect(mail.text).toContain('No goods or services were provided in exchange for this contribution.');
    expect(mail.attachments).toHaveLength(0);

    // A retry sends nothing again; another message about the same gift takes no new number.
    const before = smtp.messages.length;
    expect(await sender('us')(input)).toMatchObject({ status: 'sent' });
    const again = await sendAndReceive('us', receiptInput(gift.constituentId, gift.id));
    expect(again.subject).toContain('2041-000001');
    expect(smtp.messages.length).toBe(before + 1);
    expect(await db.giftReceipt.count({ where: { year: 2041 } })).toBe(1);
  });

  it('states the value of goods or services provided and what is deductible', async () => {
    const gift = await store({ type: 'donation', occurredAt: '2041-04-10T15:00:00Z', data: { amount: 150, currency: 'USD', benefitValue: 60, benefitDescription: 'a gala dinner' } });
    const mail = await sendAndReceive('us', receiptInput(gift.constituentId, gift.id));
    expect(mail.text).toContain('you received a gala dinner with an estimated fair market value of $60.00');
    expect(mail.text).toContain('$90.00');
    expect(mail.text).not.toContain('No goods or services');
  });

  it('attaches a Canadian official receipt as a PDF with its fonts embedded', async () => {
    const gift = await store({ type: 'donation', occurredAt: '2042-05-01T15:00:00Z', data: { amount: 500, currency: 'CAD', benefitValue: 100, benefitDescription: 'gala ticket' } });
    const mail = await sendAndReceive('ca', receiptInput(gift.constituentId, gift.id));
    expect(mail.text).toContain('number 2042-000001, is attached');
    const [pdf] = mail.attachments;
    expect(pdf).toMatchObject({ contentType: 'application/pdf', filename: 'receipt-2042-000001.pdf' });
    expect(pdf!.content.toString('latin1')).toContain('/FontFile2');
    const text = (await new PDFParse({ data: new Uint8Array(pdf!.content) }).getText()).text;
    for (const expected of ['Official donation receipt for income tax purposes', '2042-000001', 'Hope Shelter Society', '123456789RR0001', 'Zoë Tremblay', '$500.00', '$100.00 (gala ticket)', '$400.00', 'canada.ca/charities-giving', 'Maria Lopez, Treasurer', '2042-05-01']) {
      expect(text).toContain(expected);
    }
  });

  it('writes the UK Gift Aid note for a donor who made a declaration, and invites one otherwise', async () => {
    const declared = await store({ type: 'donation', occurredAt: '2043-01-15T12:00:00Z', data: { amount: 40, currency: 'GBP', giftAid: true } });
    expect((await sendAndReceive('uk', receiptInput(declared.constituentId, declared.id))).text).toContain('we will claim Gift Aid of £10.00 on this gift');
    const undeclared = await store({ type: 'donation', occurredAt: '2043-01-16T12:00:00Z', data: { amount: 40, currency: 'GBP' } });
    expect((await sendAndReceive('uk', receiptInput(undeclared.constituentId, undeclared.id))).text).toContain('a Gift Aid declaration lets us claim an extra 25p for every £1');
  });

  it('sends no receipt when receipts are not configured', async () => {
    const gift = await store({ type: 'donation', data: { amount: 20, currency: 'USD' } });
    const send = createSendMessage({ db, mailer, mailFrom: 'Hope Shelter <hello@hope.example>', messaging: unrestrictedMessaging() });
    expect(await send(receiptInput(gift.constituentId, gift.id))).toMatchObject({ status: 'skipped', reason: expect.stringContaining('STEWARD_RECEIPT_JURISDICTION') });
    expect(await db.giftReceipt.count({ where: { giftEventId: gift.id } })).toBe(0);
  });
});

describe('refunds and voids', () => {
  it('voids the receipt of a gift refunded in full, keeping its number', async () => {
    const gift = await store({ type: 'donation', occurredAt: '2044-02-01T15:00:00Z', data: { amount: 80, currency: 'USD' } });
    await sendAndReceive('us', receiptInput(gift.constituentId, gift.id));
    await store({ type: 'refund', email: (await db.constituent.findUniqueOrThrow({ where: { id: gift.constituentId } })).email!, data: { gift: gift.idempotencyKey, reason: 'chargeback' } });
    expect(await db.giftReceipt.findMany({ where: { giftEventId: gift.id } })).toEqual([expect.objectContaining({ serial: '2044-000001', status: 'void', voidReason: 'chargeback' })]);
  });

  it('replaces the receipt of a gift refunded in part with a new number, and sends the new one', async () => {
    const gift = await store({ type: 'donation', occurredAt: '2045-02-01T15:00:00Z', data: { amount: 100, currency: 'USD' } });
    const email = (await db.constituent.findUniqueOrThrow({ where: { id: gift.constituentId } })).email!;
    await sendAndReceive('us', receiptInput(gift.constituentId, gift.id));
    await store({ type: 'donation', occurredAt: '2045-02-02T15:00:00Z', data: { amount: 5, currency: 'USD' } }).then((other) => sender('us')(receiptInput(other.constituentId, other.id)));
    const refund = await store({ type: 'refund', email, data: { gift: gift.idempotencyKey, amount: 30, currency: 'USD' } });
    const receipts = await db.giftReceipt.findMany({ where: { giftEventId: gift.id }, orderBy: { number: 'asc' } });
    expect(receipts).toEqual([
      expect.objectContaining({ serial: '2045-000001', status: 'replaced' }),
      expect.objectContaining({ serial: '2045-000003', status: 'issued', replacesId: receipts[0]!.id }),
    ]);
    expect(receipts[1]!.amount.toFixed(2)).toBe('70.00');
    const corrected = await sendAndReceive('us', receiptInput(gift.constituentId, refund.id));
    expect(corrected.subject).toContain('2045-000003');
    expect(corrected.text).toContain('This receipt replaces receipt 2045-000001, which is cancelled.');
    expect(corrected.text).toContain('$70.00');
  });

  it('receipts only what was kept when the refund arrives before the receipt is issued', async () => {
    const gift = await store({ type: 'donation', occurredAt: '2046-02-01T15:00:00Z', data: { amount: 60, currency: 'USD' } });
    const email = (await db.constituent.findUniqueOrThrow({ where: { id: gift.constituentId } })).email!;
    await store({ type: 'refund', email, data: { gift: gift.idempotencyKey, amount: 20, currency: 'USD' } });
    expect((await sendAndReceive('us', receiptInput(gift.constituentId, gift.id))).text).toContain('$40.00');
    const voided = await store({ type: 'donation', email, occurredAt: '2046-02-03T15:00:00Z', data: { amount: 60, currency: 'USD' } });
    await store({ type: 'refund', email, data: { gift: voided.idempotencyKey, kind: 'void' } });
    expect(await sender('us')(receiptInput(voided.constituentId, voided.id))).toMatchObject({ status: 'skipped', reason: expect.stringContaining('refunded') });
    expect(await db.giftReceipt.count({ where: { year: 2046 } })).toBe(1);
  });

  it('refuses a batch with a refund of a gift Steward never saw, or of more than the gift, and stores none of it', async () => {
    const gift = await store({ type: 'donation', data: { amount: 10, currency: 'USD' } });
    const email = `refund-${randomUUID()}@example.org`;
    const batch: InteractionEventInput[] = [
      { id: `ok-${randomUUID()}`, type: 'donation', constituent: { email }, data: { amount: 5, currency: 'USD' } },
      { id: `r1-${randomUUID()}`, type: 'refund', constituent: { email }, data: { gift: 'no-such-gift' } },
      { id: `r2-${randomUUID()}`, type: 'refund', constituent: { email }, data: { gift: gift.idempotencyKey, amount: 11, currency: 'USD' } },
    ];
    await expect(storeEvents(db, batch)).rejects.toMatchObject({
      issues: [
        { index: 1, path: 'data.gift', message: 'no gift was sent with id "no-such-gift"' },
        { index: 2, path: 'data.amount', message: 'is more than the gift (10.00)' },
      ],
    });
    expect(await db.interactionEvent.count({ where: { idempotencyKey: batch[0]!.id } })).toBe(0);
  });
});
