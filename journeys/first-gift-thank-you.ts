/**
 * First-gift thank-you: a donor's first gift is thanked by email at once (a prompt,
 * personal thank-you is the strongest predictor of a second gift), then Steward
 * watches the 30-day stewardship window: a second gift within it is the goal.
 *
 * Written in TypeScript to show that journeys may be: the object is the same
 * definition format as the YAML journeys beside it, checked by the same schema.
 */
import type { JourneyDefinitionInput } from '../src/journeys/definition.ts';

export const firstGiftThankYou = {
  id: 'first-gift-thank-you',
  name: 'First-gift thank-you',
  description: 'Thanks a first gift by email at once; a second gift within 30 days is the goal.',
  // v2: one of the acknowledgment group, so a first gift is thanked once however many journeys it starts.
  version: 2,
  trigger: { event: 'donation', first: true, group: 'acknowledgment', priority: 10 },
  reentry: { policy: 'once' },
  goal: { event: 'donation', name: 'second-gift' },
  initial: 'thanked',
  states: {
    thanked: {
      entry: [{ do: 'email', template: 'first-gift-thank-you' }],
      after: [{ delay: '30d', to: 'completed' }],
    },
    completed: { final: true },
  },
} satisfies JourneyDefinitionInput;
