/**
 * First-gift thank-you: a donor's first gift is thanked by email at once (the
 * single strongest predictor of a second gift is a prompt, personal thank-you),
 * then Steward watches the stewardship window: a second gift within 30 days is the
 * journey's goal; otherwise the journey completes quietly.
 */
import { assign } from 'xstate';
import { GOAL_TAG, journeySetup } from './vocabulary.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const firstGiftThankYou = {
  id: 'first-gift-thank-you',
  version: 1,
  name: 'First-gift thank-you',
  description: 'Thank a first gift by email at once; a second gift within 30 days is the goal.',
  /** Enrolls a constituent on their first donation, once ever. */
  trigger: { eventType: 'donation', firstOfType: true },
  machine: journeySetup
    .extend({ delays: { stewardshipWindow: 30 * DAY_MS } })
    .createMachine({
      id: 'first-gift-thank-you',
      initial: 'awaitingGift',
      context: ({ input }) => ({ ...input }),
      states: {
        awaitingGift: {
          on: {
            donation: {
              target: 'thanked',
              actions: assign({ triggerEventId: ({ event }) => event.eventId }),
            },
          },
        },
        thanked: {
          entry: {
            type: 'sendEmail',
            params: ({ context }) => ({
              template: 'first-gift-thank-you',
              eventId: context.triggerEventId,
            }),
          },
          on: { donation: 'secondGift' },
          after: { stewardshipWindow: 'completed' },
        },
        secondGift: { type: 'final', tags: [GOAL_TAG] },
        completed: { type: 'final' },
      },
    }),
} as const;
