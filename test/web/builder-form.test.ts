/** The builder's form, read: each button's fields become one edit of the YAML, or a refusal naming the field. */
import { describe, expect, it } from 'vitest';
import { journeyText, openJourneySource } from '../../src/journeys/edits.ts';
import { applyBuilderOp, conditionFrom } from '../../src/web/builder-form.ts';

const vocabulary = { emailTemplates: ['first-gift-thank-you'], smsTemplates: ['winback-sms'], taskQueues: ['stewardship'] };
const starter = `# keep me
id: spring
name: Spring
trigger:
  event: donation
initial: asked
states:
  asked:
    entry:
      - { do: email, template: first-gift-thank-you }
  done:
    final: true
`;

describe('the builder form', () => {
  it('reads a condition as the field says: numbers for amounts, lists for "one of", yes/no for "given"', () => {
    expect(conditionFrom({ 'a:field': 'event.amount', 'a:operator': 'gte', 'a:value': '100' }, 'a:')).toEqual([{ field: 'event.amount', gte: 100 }]);
    expect(conditionFrom({ 'a:field': 'event.outcome', 'a:operator': 'in', 'a:value': 'reached, left-message' }, 'a:')).toEqual([{ field: 'event.outcome', in: ['reached', 'left-message'] }]);
    expect(conditionFrom({ 'a:field': 'event.campaign', 'a:operator': 'eq', 'a:value': '2026' }, 'a:')).toEqual([{ field: 'event.campaign', eq: '2026' }]);
    expect(conditionFrom({ 'a:field': 'constituent.hasPhone', 'a:operator': 'exists', 'a:value': 'no' }, 'a:')).toEqual([{ field: 'constituent.hasPhone', exists: false }]);
    expect(conditionFrom({ 'a:field': '' }, 'a:')).toBeUndefined();
    expect(() => conditionFrom({ 'a:field': 'event.amount', 'a:operator': 'gt', 'a:value': 'lots' }, 'a:')).toThrow(/"lots" is not a number/);
  });

  it('adds a task and a timer, and removes them again, leaving the text as it was', () => {
    const document = openJourneySource(starter);
    applyBuilderOp(document, 'add-action:asked', { 'asked:action': 'task', 'asked:queue': 'stewardship', 'asked:title': 'Call them', 'asked:due': '2d' }, vocabulary);
    applyBuilderOp(document, 'connect:asked', { 'asked:way': 'after', 'asked:delay': '7d', 'asked:to': 'done' }, vocabulary);
    expect(journeyText(document)).toContain('      - { do: task, queue: stewardship, title: Call them, due: 2d }\n    after:\n      - { delay: 7d, to: done }');
    applyBuilderOp(document, 'disconnect:asked:after:0', {}, vocabulary);
    applyBuilderOp(document, 'remove-action:asked:1', {}, vocabulary);
    expect(journeyText(document)).toBe(starter);
  });

  it('refuses a template of the wrong channel, an unknown one, and a connection without a target', () => {
    const document = openJourneySource(starter);
    expect(() => applyBuilderOp(document, 'add-action:asked', { 'asked:action': 'email', 'asked:template': 'sms:winback-sms' }, vocabulary)).toThrow(/"winback-sms" is an SMS template/);
    expect(() => applyBuilderOp(document, 'add-action:asked', { 'asked:action': 'sms', 'asked:template': 'sms:nope' }, vocabulary)).toThrow(/no sms template "nope"/);
    expect(() => applyBuilderOp(document, 'connect:asked', { 'asked:way': 'after', 'asked:delay': '7d' }, vocabulary)).toThrow(/which state it leads to/);
    expect(() => applyBuilderOp(document, 'launch', {}, vocabulary)).toThrow(/no "launch" step/);
    expect(journeyText(document)).toBe(starter);
  });

  it('sets the goal and exits, and a split branch', () => {
    const document = openJourneySource(starter);
    applyBuilderOp(document, 'goal-exits', { goalEvent: 'donation', goalName: 'second-gift', exits: ['unsubscribed', 'removed'] }, vocabulary);
    applyBuilderOp(document, 'connect:asked', { 'asked:way': 'split', 'asked:percent': '50', 'asked:to': 'done' }, vocabulary);
    const text = journeyText(document);
    expect(text).toContain('goal:\n  event: donation\n  name: second-gift\nexits: [unsubscribed, removed]\ninitial: asked');
    expect(text).toContain('    split:\n      - { percent: 50, to: done }');
    expect(() => applyBuilderOp(document, 'goal-exits', { exits: 'task-completed' }, vocabulary)).toThrow(/cannot end a journey/);
  });
});
