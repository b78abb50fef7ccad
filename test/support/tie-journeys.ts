/** Journeys whose timers fall due at the same instant, shared by the simulator's and the runtime's tests of the rule. */
import type { JourneyDefinitionInput } from '../../src/journeys/definition.ts';

/** A late registrant: both reminders' moments have passed when they register, so both timers are due at once. */
export const lateReminders = {
  id: 'late-reminders',
  name: 'Late reminders',
  trigger: { event: 'registration' },
  initial: 'registered',
  states: {
    registered: {
      after: [
        { delay: { before: 'trigger.startsAt', by: '7d' }, to: 'week', do: [{ do: 'email', template: 'event-reminder-week' }] },
        { delay: { before: 'trigger.startsAt', by: '1d' }, to: 'day', do: [{ do: 'email', template: 'event-reminder-day' }] },
      ],
    },
    week: { after: [{ delay: { before: 'trigger.startsAt', by: '1d' }, to: 'day', do: [{ do: 'email', template: 'event-reminder-day' }] }] },
    day: { after: [{ delay: '1d', to: 'done' }] },
    done: { final: true },
  },
} satisfies JourneyDefinitionInput;
