/** A connector's latest deliveries and what became of each, for the API and the web app. */
import type { Database } from '../db/client.ts';

export interface DeliveryLine {
  id: string;
  deliveryId: string | null;
  kind: string | null;
  outcome: 'stored' | 'duplicate' | 'ignored' | 'refused';
  reason: string | null;
  eventId: string | null;
  receivedAt: Date;
}

export async function recentDeliveries(db: Database, connector: string, limit = 20): Promise<DeliveryLine[]> {
  return db.connectorDelivery.findMany({
    where: { connector },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    take: limit,
    select: { id: true, deliveryId: true, kind: true, outcome: true, reason: true, eventId: true, receivedAt: true },
  });
}
