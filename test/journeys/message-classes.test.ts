/** Message classes in the journey language: which class a step sends, and what validation says about it. */
import { describe, expect, it } from 'vitest';
import { productCatalog } from '../../src/journeys/catalog.ts';
import { JourneyDefinition, type JourneyDefinitionInput } from '../../src/journeys/definition.ts';
import { messageClassOf, type TemplateClass } from '../../src/journeys/message-classes.ts';
import { validateJourney } from '../../src/journeys/validate.ts';

const templateClass: TemplateClass = (_channel, template) => (template === 'thanks' ? 'transactional' : undefined);

const journey = (states: JourneyDefinitionInput['states'], initial = 'start'): JourneyDefinition =>
  JourneyDefinition.parse({ id: 'classes', name: 'Classes', trigger: { event: 'donation' }, initial, states });

describe('the class a step sends', () => {
  const definition = journey({
    start: { entry: [{ do: 'email', template: 'thanks' }, { do: 'email', template: 'update', class: 'transactional' }, { do: 'sms', template: 'nudge' }], after: [{ delay: '1d', to: 'done' }] },
    done: { final: true },
  });

  it("is the step's own, else its template's, else marketing", () => {
    expect(messageClassOf(definition, 'email', 'update', templateClass)).toBe('transactional');
    expect(messageClassOf(definition, 'email', 'thanks', templateClass)).toBe('transactional');
    expect(messageClassOf(definition, 'sms', 'nudge', templateClass)).toBe('marketing');
    expect(messageClassOf(undefined, 'email', 'thanks', templateClass)).toBe('transactional');
  });

  it('is transactional for the shipped thank-yous and confirmations, marketing for asks', () => {
    const shipped = productCatalog().templateClass!;
    expect(['first-gift-thank-you', 'new-donor-thanks', 'major-gift-thanks', 'event-confirmation'].map((name) => shipped('email', name))).toEqual(Array(4).fill('transactional'));
    expect(shipped('email', 'new-donor-second-ask')).toBeUndefined();
  });
});

describe('validation of classes', () => {
  const catalog = { ...productCatalog(), emailTemplates: new Set(['thanks', 'update']), smsTemplates: new Set(['nudge']), templateProblems: undefined, templateClass };
  const findings = (states: JourneyDefinitionInput['states']) =>
    validateJourney({ id: 'classes', name: 'Classes', trigger: { event: 'donation' }, initial: 'start', states }, catalog).diagnostics.filter((diagnostic) => /transactional|class/.test(diagnostic.message));

  it('refuses one template sent as both classes in one journey, naming both steps', () => {
    const found = findings({
      start: { entry: [{ do: 'email', template: 'update' }], after: [{ delay: '1d', to: 'later' }] },
      later: { entry: [{ do: 'email', template: 'update', class: 'transactional' }], on: { donation: 'done' } },
      done: { final: true },
    });
    expect(found).toContainEqual({
      severity: 'error',
      path: ['states', 'later', 'entry', 0, 'class'],
      message: 'sends update as transactional, but states.start.entry.0 sends it as marketing; a journey sends each template as one class (use two templates)',
    });
  });

  it('warns of a transactional message sent only after a wait, and not of one that answers an event', () => {
    const found = findings({
      start: { entry: [{ do: 'email', template: 'thanks' }], after: [{ delay: '7d', to: 'reminded' }], on: { donation: 'again' } },
      reminded: { entry: [{ do: 'email', template: 'update', class: 'transactional' }], on: { donation: 'done' } },
      again: { choose: [{ to: 'thankedAgain' }] },
      thankedAgain: { entry: [{ do: 'email', template: 'thanks' }], after: [{ delay: '1d', to: 'done' }] },
      done: { final: true },
    });
    expect(found).toEqual([expect.objectContaining({ severity: 'warning', path: ['states', 'reminded', 'entry', 0], message: expect.stringMatching(/^update is transactional .* only ever sent after a wait/) })]);
  });
});
