/**
 * Recording what recipients do with sent email: one row per message, kind and link,
 * inserted or ignored, so a reload, a second click or a mail scanner's prefetch of
 * the same link changes nothing. The destination of a click is read from the
 * message's own record: a token names a position, never an address.
 */
import type { Database, EngagementKind } from '../db/client.ts';
import { verifyClickToken, verifyOpenToken } from './tracked-links.ts';

/** Records the engagement once; later ones with the same message, kind and link are ignored. */
export async function recordEngagement(db: Database, engagement: { messageId: string; constituentId: string; kind: EngagementKind; linkIndex?: number; at?: Date }): Promise<void> {
  await db.messageEngagement.createMany({
    data: [{ messageId: engagement.messageId, constituentId: engagement.constituentId, kind: engagement.kind, linkIndex: engagement.linkIndex ?? -1, at: engagement.at ?? new Date() }],
    skipDuplicates: true,
  });
}

/** A click on a tracked link: recorded, and where it leads; undefined for a token that is not genuine or names no link. */
export async function followTrackedLink(db: Database, secret: string, token: string): Promise<string | undefined> {
  const claims = verifyClickToken(secret, token);
  if (!claims) return undefined;
  const message = await db.message.findUnique({ where: { id: claims.messageId }, select: { constituentId: true, trackedLinks: true } });
  const destination = message?.trackedLinks[claims.position];
  if (!message || destination === undefined) return undefined;
  await recordEngagement(db, { messageId: claims.messageId, constituentId: message.constituentId, kind: 'click', linkIndex: claims.position });
  return destination;
}

/** The open pixel fetched: recorded when the token is genuine and names a message that carried it. */
export async function recordOpen(db: Database, secret: string, token: string): Promise<boolean> {
  const claims = verifyOpenToken(secret, token);
  if (!claims) return false;
  const message = await db.message.findUnique({ where: { id: claims.messageId }, select: { constituentId: true, tracksOpens: true } });
  if (!message?.tracksOpens) return false;
  await recordEngagement(db, { messageId: claims.messageId, constituentId: message.constituentId, kind: 'open' });
  return true;
}
