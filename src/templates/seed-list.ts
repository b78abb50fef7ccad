/**
 * The organisation's seed list: the addresses and phones test sends go to, and
 * nowhere else. Kept in the database so people edit it in the app.
 */
import { z } from 'zod';
import { toE164 } from '../consent/phone.ts';
import type { Database, SeedRecipient } from '../db/client.ts';
import type { Channel } from './variables.ts';

export class SeedListError extends Error {
  constructor(
    message: string,
    readonly status: 404 | 422,
    readonly path = 'address',
  ) {
    super(message);
    this.name = 'SeedListError';
  }
}

export type SeedList = ReturnType<typeof createSeedList>;

export function createSeedList(db: Database, phoneCountry = 'US') {
  return {
    list(channel?: Channel): Promise<SeedRecipient[]> {
      return db.seedRecipient.findMany({ where: channel ? { channel } : {}, orderBy: [{ channel: 'asc' }, { address: 'asc' }] });
    },

    /** Adds an address (an email, or a mobile number in any form libphonenumber reads); adding one twice keeps one. */
    async add(channel: Channel, rawAddress: string, label?: string | undefined): Promise<SeedRecipient> {
      const address = normalise(channel, rawAddress, phoneCountry);
      return db.seedRecipient.upsert({
        where: { channel_address: { channel, address } },
        create: { channel, address, label: label || null },
        update: label ? { label } : {},
      });
    },

    async remove(id: string): Promise<void> {
      const { count } = await db.seedRecipient.deleteMany({ where: { id } });
      if (count === 0) throw new SeedListError(`No seed address ${id}`, 404, 'id');
    },
  };
}

function normalise(channel: Channel, raw: string, phoneCountry: string): string {
  const text = raw.trim();
  if (channel === 'email') {
    const parsed = z.email().max(254).safeParse(text);
    if (!parsed.success) throw new SeedListError(`"${text}" is not an email address`, 422);
    return parsed.data.toLowerCase();
  }
  const phone = toE164(text, phoneCountry);
  if (!phone) throw new SeedListError(`"${text}" is not a mobile number (write it with its country code, +1 555 …)`, 422);
  return phone;
}
