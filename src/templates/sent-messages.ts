/**
 * A message as its recipient got it, for the constituent's timeline and the
 * enrollment: the stored body (until the retention sweep drops it) and the
 * template version it was rendered from.
 */
import type { Database } from '../db/client.ts';

export interface SentMessageView {
  id: string;
  constituentId: string;
  enrollmentId: string | null;
  journeyId: string | null;
  channel: 'email' | 'sms';
  template: string;
  templateVersion: number | null;
  class: string;
  status: string;
  recipient: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  segments: number | null;
  sentAt: Date | null;
  createdAt: Date;
  /** When the retention sweep dropped the body; null while it is kept (or nothing was sent). */
  bodyDroppedAt: Date | null;
  reason: string | null;
}

export async function sentMessage(db: Database, id: string): Promise<SentMessageView | undefined> {
  const row = await db.message.findUnique({
    where: { id },
    include: { enrollment: { select: { journeyVersion: { select: { journeyId: true } } } } },
  });
  if (!row || row.audience !== 'constituent') return undefined;
  const version = row.templateVersionId ? await db.templateVersion.findUnique({ where: { id: row.templateVersionId }, select: { version: true } }) : null;
  return {
    id: row.id,
    constituentId: row.constituentId,
    enrollmentId: row.enrollmentId,
    journeyId: row.enrollment?.journeyVersion.journeyId ?? null,
    channel: row.channel,
    template: row.template,
    templateVersion: version?.version ?? null,
    class: row.messageClass,
    status: row.status,
    recipient: row.recipient,
    subject: row.subject,
    text: row.bodyText,
    html: row.bodyHtml,
    segments: row.segments,
    sentAt: row.sentAt,
    createdAt: row.createdAt,
    bodyDroppedAt: row.bodyDroppedAt,
    reason: row.status === 'sent' || row.status === 'delivered' ? null : row.error,
  };
}
