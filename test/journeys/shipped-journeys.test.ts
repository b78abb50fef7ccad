/**
 * Every shipped journey on the simulator, through its main branches: the exact
 * timeline of states, messages and tasks a constituent gets, with simulated times.
 * These are the journeys' specifications; a change to a journey shows up here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { firstGiftThankYou } from '../../journeys/first-gift-thank-you.ts';
import { JourneyDefinition } from '../../src/journeys/definition.ts';
import { formatSimulation, simulateJourney, type TimelineInput } from '../../src/journeys/simulate.ts';

function definitionOf(journey: string): JourneyDefinition {
  const source = readFileSync(new URL(`../../journeys/${journey}.yaml`, import.meta.url), 'utf8');
  return JourneyDefinition.parse(YAML.parse(source));
}

function simulate(journey: string, timeline: TimelineInput): string[] {
  return formatSimulation(simulateJourney(definitionOf(journey), timeline)).split('\n');
}

describe('first-gift-thank-you (written in TypeScript)', () => {
  it('thanks a first gift, converts on a second, and never enrolls the donor twice', () => {
    const lines = formatSimulation(
      simulateJourney(JourneyDefinition.parse(firstGiftThankYou), {
        events: [
          { at: '2026-03-02T14:00:00Z', type: 'donation', data: { amount: 25, currency: 'USD' } },
          { at: '+10d', type: 'donation', data: { amount: 30, currency: 'USD' } },
          { at: '+90d', type: 'donation', data: { amount: 30, currency: 'USD' } },
        ],
      }),
    ).split('\n');
    expect(lines).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=25, currency=USD} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> thanked  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   first-gift-thank-you',
      '2026-03-12T14:00:00Z  +10d      event   donation {amount=30, currency=USD} (applied)',
      '2026-03-12T14:00:00Z  +10d      state   thanked -> goalReached  [donation]  => converted',
      '2026-03-12T14:00:00Z  +10d      goal    second-gift',
      '2026-05-31T14:00:00Z  +90d      event   donation {amount=30, currency=USD} (ignored)',
    ]);
  });
});

describe('new-donor-welcome', () => {
  it('thanks at once, shows impact at 7 days, asks again at 30 days and completes at 60', () => {
    expect(simulate('new-donor-welcome', {"events":[{"at":"2026-03-02T14:00:00Z","type":"donation","data":{"amount":50,"currency":"USD"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=50, currency=USD} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> thanked  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   new-donor-thanks',
      '2026-03-02T14:00:00Z  +0s       set     donorStage = "new"',
      '2026-03-09T14:00:00Z  +7d       state   thanked -> impact  [timer]',
      '2026-03-09T14:00:00Z  +7d       email   new-donor-impact',
      '2026-04-01T14:00:00Z  +30d      state   impact -> secondAsk  [timer]',
      '2026-04-01T14:00:00Z  +30d      email   new-donor-second-ask',
      '2026-05-01T14:00:00Z  +60d      state   secondAsk -> completed  [timer]  => completed',
    ]);
  });

  it('converts on a second gift and asks nothing more', () => {
    expect(simulate('new-donor-welcome', {"events":[{"at":"2026-03-02T14:00:00Z","type":"donation","data":{"amount":50,"currency":"USD"}},{"at":"+12d","type":"donation","data":{"amount":80,"currency":"USD"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=50, currency=USD} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> thanked  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   new-donor-thanks',
      '2026-03-02T14:00:00Z  +0s       set     donorStage = "new"',
      '2026-03-09T14:00:00Z  +7d       state   thanked -> impact  [timer]',
      '2026-03-09T14:00:00Z  +7d       email   new-donor-impact',
      '2026-03-14T14:00:00Z  +12d      event   donation {amount=80, currency=USD} (applied)',
      '2026-03-14T14:00:00Z  +12d      state   impact -> goalReached  [donation]  => converted',
      '2026-03-14T14:00:00Z  +12d      goal    second-gift',
    ]);
  });

  it('ends at once when the donor unsubscribes', () => {
    expect(simulate('new-donor-welcome', {"events":[{"at":"2026-03-02T14:00:00Z","type":"donation","data":{"amount":50,"currency":"USD"}},{"at":"+8d","type":"unsubscribed","data":{"channel":"email"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=50, currency=USD} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> thanked  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   new-donor-thanks',
      '2026-03-02T14:00:00Z  +0s       set     donorStage = "new"',
      '2026-03-09T14:00:00Z  +7d       state   thanked -> impact  [timer]',
      '2026-03-09T14:00:00Z  +7d       email   new-donor-impact',
      '2026-03-10T14:00:00Z  +8d       event   unsubscribed {channel=email} (applied)',
      '2026-03-10T14:00:00Z  +8d       state   impact -> exited  [unsubscribed]  => exited',
    ]);
  });

});

describe('event-registration', () => {
  it('confirms, reminds a week and a day before (by text with consent) and thanks an attendee', () => {
    expect(simulate('event-registration', {"constituent":{"consent":{"sms":"granted"}},"events":[{"at":"2026-03-02T14:00:00Z","type":"registration","data":{"program":"Spring gala","startsAt":"2026-03-20T18:00:00Z"}},{"at":"2026-03-20T18:30:00Z","type":"custom","data":{"name":"checked-in"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   registration {program=Spring gala, startsAt=2026-03-20T18:00:00Z} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> confirmed  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   event-confirmation',
      '2026-03-02T14:00:00Z  +0s       state   confirmed -> untilWeekBefore  [decision]',
      '2026-03-13T18:00:00Z  +11d4h    state   untilWeekBefore -> weekReminder  [timer]',
      '2026-03-13T18:00:00Z  +11d4h    email   event-reminder-week',
      '2026-03-13T18:00:00Z  +11d4h    state   weekReminder -> untilDayBefore  [decision]',
      '2026-03-13T18:00:00Z  +11d4h    state   untilDayBefore -> waitingForDayBefore  [decision]',
      '2026-03-19T18:00:00Z  +17d4h    state   waitingForDayBefore -> dayReminder  [timer]',
      '2026-03-19T18:00:00Z  +17d4h    email   event-reminder-day',
      '2026-03-19T18:00:00Z  +17d4h    state   dayReminder -> textReminder  [decision]',
      '2026-03-19T18:00:00Z  +17d4h    sms     event-reminder-day-sms',
      '2026-03-19T18:00:00Z  +17d4h    state   textReminder -> awaitingEvent  [decision]',
      '2026-03-20T18:00:00Z  +18d4h    state   awaitingEvent -> eventDay  [timer]',
      '2026-03-20T18:30:00Z  +18d4h30m event   custom {name=checked-in} (applied)',
      '2026-03-20T18:30:00Z  +18d4h30m state   eventDay -> attended  [custom]  => converted',
      '2026-03-20T18:30:00Z  +18d4h30m email   event-thank-you',
    ]);
  });

  it('skips the week reminder for a late registration, texts nobody without consent, and follows up a no-show', () => {
    expect(simulate('event-registration', {"events":[{"at":"2026-03-17T09:00:00Z","type":"registration","data":{"program":"Spring gala","startsAt":"2026-03-20T18:00:00Z"}}]})).toEqual([
      '2026-03-17T09:00:00Z  +0s       event   registration {program=Spring gala, startsAt=2026-03-20T18:00:00Z} (enrolled)',
      '2026-03-17T09:00:00Z  +0s       state   (start) -> confirmed  [enrolled]',
      '2026-03-17T09:00:00Z  +0s       email   event-confirmation',
      '2026-03-17T09:00:00Z  +0s       state   confirmed -> untilDayBefore  [decision]',
      '2026-03-17T09:00:00Z  +0s       state   untilDayBefore -> waitingForDayBefore  [decision]',
      '2026-03-19T18:00:00Z  +2d9h     state   waitingForDayBefore -> dayReminder  [timer]',
      '2026-03-19T18:00:00Z  +2d9h     email   event-reminder-day',
      '2026-03-19T18:00:00Z  +2d9h     state   dayReminder -> awaitingEvent  [decision]',
      '2026-03-20T18:00:00Z  +3d9h     state   awaitingEvent -> eventDay  [timer]',
      '2026-03-22T18:00:00Z  +5d9h     state   eventDay -> noShow  [timer]  => completed',
      '2026-03-22T18:00:00Z  +5d9h     email   event-no-show',
    ]);
  });

});

describe('lapsed-donor-winback', () => {
  it('emails, texts with consent, asks staff to call, and follows a pledge', () => {
    expect(simulate('lapsed-donor-winback', {"constituent":{"consent":{"sms":"granted"}},"events":[{"at":"2026-03-02T14:00:00Z","type":"drop-off","data":{"kind":"lapsed","days":400}},{"at":"+16d","type":"task-completed","data":{"queue":"stewardship","outcome":"pledged"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   drop-off {kind=lapsed, days=400} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> weMissYou  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   winback-we-miss-you',
      '2026-03-02T14:00:00Z  +0s       state   weMissYou -> textNudge  [decision]',
      '2026-03-02T14:00:00Z  +0s       sms     winback-sms',
      '2026-03-02T14:00:00Z  +0s       state   textNudge -> waitingForGift  [decision]',
      '2026-03-16T14:00:00Z  +14d      state   waitingForGift -> staffCall  [timer]',
      '2026-03-16T14:00:00Z  +14d      task    stewardship: Call a lapsed donor to say we miss them (due +19d)',
      '2026-03-18T14:00:00Z  +16d      event   task-completed {queue=stewardship, outcome=pledged} (applied)',
      '2026-03-18T14:00:00Z  +16d      state   staffCall -> pledged  [task-completed]',
      '2026-03-18T14:00:00Z  +16d      set     winbackStatus = "pledged"',
      '2026-04-17T14:00:00Z  +46d      state   pledged -> lastChance  [timer]',
      '2026-04-17T14:00:00Z  +46d      email   winback-last-chance',
      '2026-05-17T14:00:00Z  +76d      state   lastChance -> stillLapsed  [timer]  => completed',
      '2026-05-17T14:00:00Z  +76d      set     winbackStatus = "not-reactivated"',
    ]);
  });

  it('converts when a gift arrives while the call is pending', () => {
    expect(simulate('lapsed-donor-winback', {"events":[{"at":"2026-03-02T14:00:00Z","type":"drop-off","data":{"kind":"lapsed"}},{"at":"+20d","type":"donation","data":{"amount":40,"currency":"USD"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   drop-off {kind=lapsed} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> weMissYou  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   winback-we-miss-you',
      '2026-03-02T14:00:00Z  +0s       state   weMissYou -> waitingForGift  [decision]',
      '2026-03-16T14:00:00Z  +14d      state   waitingForGift -> staffCall  [timer]',
      '2026-03-16T14:00:00Z  +14d      task    stewardship: Call a lapsed donor to say we miss them (due +19d)',
      '2026-03-22T14:00:00Z  +20d      event   donation {amount=40, currency=USD} (applied)',
      '2026-03-22T14:00:00Z  +20d      state   staffCall -> goalReached  [donation]  => converted',
      '2026-03-22T14:00:00Z  +20d      goal    reactivated',
    ]);
  });

  it('moves on to a last email when the call is never logged, and enrolls a donor again only after a year', () => {
    expect(simulate('lapsed-donor-winback', {"events":[{"at":"2026-03-02T14:00:00Z","type":"drop-off","data":{"kind":"lapsed"}},{"at":"+100d","type":"drop-off","data":{"kind":"lapsed"}},{"at":"+366d","type":"drop-off","data":{"kind":"lapsed"}}],"until":"+367d"})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   drop-off {kind=lapsed} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> weMissYou  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   winback-we-miss-you',
      '2026-03-02T14:00:00Z  +0s       state   weMissYou -> waitingForGift  [decision]',
      '2026-03-16T14:00:00Z  +14d      state   waitingForGift -> staffCall  [timer]',
      '2026-03-16T14:00:00Z  +14d      task    stewardship: Call a lapsed donor to say we miss them (due +19d)',
      '2026-03-26T14:00:00Z  +24d      state   staffCall -> lastChance  [timer]',
      '2026-03-26T14:00:00Z  +24d      email   winback-last-chance',
      '2026-04-25T14:00:00Z  +54d      state   lastChance -> stillLapsed  [timer]  => completed',
      '2026-04-25T14:00:00Z  +54d      set     winbackStatus = "not-reactivated"',
      '2026-06-10T14:00:00Z  +100d     event   drop-off {kind=lapsed} (ignored)',
      '2027-03-03T14:00:00Z  +366d     event   drop-off {kind=lapsed} (enrolled)',
      '2027-03-03T14:00:00Z  +366d     state   (start) -> weMissYou  [enrolled]',
      '2027-03-03T14:00:00Z  +366d     email   winback-we-miss-you',
      '2027-03-03T14:00:00Z  +366d     state   weMissYou -> waitingForGift  [decision]',
    ]);
  });

});

describe('recurring-gift-recovery', () => {
  it('hands over to donor care and converts when the monthly gift goes through again', () => {
    expect(simulate('recurring-gift-recovery', {"events":[{"at":"2026-03-02T14:00:00Z","type":"drop-off","data":{"kind":"recurring-failed"}},{"at":"+8d","type":"task-completed","data":{"outcome":"updated"}},{"at":"+12d","type":"donation","data":{"amount":20,"currency":"USD","recurring":true}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   drop-off {kind=recurring-failed} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> notified  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   recurring-gift-failed',
      '2026-03-05T14:00:00Z  +3d       state   notified -> reminded  [timer]',
      '2026-03-05T14:00:00Z  +3d       email   recurring-gift-failed-reminder',
      '2026-03-05T14:00:00Z  +3d       state   reminded -> waiting  [decision]',
      '2026-03-09T14:00:00Z  +7d       state   waiting -> donorCare  [timer]',
      '2026-03-09T14:00:00Z  +7d       task    donor-care: Help a monthly donor update their payment details (due +10d)',
      '2026-03-10T14:00:00Z  +8d       event   task-completed {outcome=updated} (applied)',
      '2026-03-10T14:00:00Z  +8d       state   donorCare -> updated  [task-completed]',
      '2026-03-10T14:00:00Z  +8d       set     recurringStatus = "updated"',
      '2026-03-14T14:00:00Z  +12d      event   donation {amount=20, currency=USD, recurring=true} (applied)',
      '2026-03-14T14:00:00Z  +12d      state   updated -> goalReached  [donation]  => converted',
      '2026-03-14T14:00:00Z  +12d      goal    recurring-restored',
    ]);
  });

  it('records a cancellation reported by donor care', () => {
    expect(simulate('recurring-gift-recovery', {"constituent":{"consent":{"sms":"granted"}},"events":[{"at":"2026-03-02T14:00:00Z","type":"drop-off","data":{"kind":"recurring-failed"}},{"at":"+9d","type":"task-completed","data":{"outcome":"cancelled"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   drop-off {kind=recurring-failed} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> notified  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   recurring-gift-failed',
      '2026-03-05T14:00:00Z  +3d       state   notified -> reminded  [timer]',
      '2026-03-05T14:00:00Z  +3d       email   recurring-gift-failed-reminder',
      '2026-03-05T14:00:00Z  +3d       state   reminded -> texted  [decision]',
      '2026-03-05T14:00:00Z  +3d       sms     recurring-gift-failed-sms',
      '2026-03-05T14:00:00Z  +3d       state   texted -> waiting  [decision]',
      '2026-03-09T14:00:00Z  +7d       state   waiting -> donorCare  [timer]',
      '2026-03-09T14:00:00Z  +7d       task    donor-care: Help a monthly donor update their payment details (due +10d)',
      '2026-03-11T14:00:00Z  +9d       event   task-completed {outcome=cancelled} (applied)',
      '2026-03-11T14:00:00Z  +9d       state   donorCare -> cancelled  [task-completed]  => completed',
      '2026-03-11T14:00:00Z  +9d       set     recurringStatus = "cancelled"',
    ]);
  });

});

describe('major-gift-prospect', () => {
  it('branches on the gift officer\'s call: no answer leads to a card and a follow-up', () => {
    expect(simulate('major-gift-prospect', {"events":[{"at":"2026-03-02T14:00:00Z","type":"donation","data":{"amount":5000,"currency":"USD"}},{"at":"+1d","type":"task-completed","data":{"outcome":"no-answer"}},{"at":"+4d","type":"task-completed","data":{"outcome":"card-sent"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=5000, currency=USD} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> thanked  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   major-gift-thanks',
      '2026-03-02T14:00:00Z  +0s       task    major-gifts: Call to thank a major donor (due +2d)',
      '2026-03-03T14:00:00Z  +1d       event   task-completed {outcome=no-answer} (applied)',
      '2026-03-03T14:00:00Z  +1d       state   thanked -> noAnswer  [task-completed]',
      '2026-03-03T14:00:00Z  +1d       task    stewardship: Send a handwritten thank-you card to a major donor (due +8d)',
      '2026-03-06T14:00:00Z  +4d       event   task-completed {outcome=card-sent} (applied)',
      '2026-03-06T14:00:00Z  +4d       state   noAnswer -> followUp  [task-completed]',
      '2026-03-06T14:00:00Z  +4d       email   major-gift-follow-up',
      '2026-04-05T14:00:00Z  +34d      state   followUp -> stewarded  [timer]  => completed',
    ]);
  });

  it('ignores gifts under the threshold and converts when a meeting is booked', () => {
    expect(simulate('major-gift-prospect', {"events":[{"at":"2026-03-02T14:00:00Z","type":"donation","data":{"amount":500,"currency":"USD"}},{"at":"+3d","type":"donation","data":{"amount":2500,"currency":"USD"}},{"at":"+4d","type":"task-completed","data":{"outcome":"meeting-booked"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=500, currency=USD} (ignored)',
      '2026-03-05T14:00:00Z  +3d       event   donation {amount=2500, currency=USD} (enrolled)',
      '2026-03-05T14:00:00Z  +3d       state   (start) -> thanked  [enrolled]',
      '2026-03-05T14:00:00Z  +3d       email   major-gift-thanks',
      '2026-03-05T14:00:00Z  +3d       task    major-gifts: Call to thank a major donor (due +5d)',
      '2026-03-06T14:00:00Z  +4d       event   task-completed {outcome=meeting-booked} (applied)',
      '2026-03-06T14:00:00Z  +4d       state   thanked -> cultivation  [task-completed]  => converted',
      '2026-03-06T14:00:00Z  +4d       set     prospectStage = "cultivation"',
    ]);
  });

  it('escalates a call not logged within 3 days', () => {
    expect(simulate('major-gift-prospect', {"events":[{"at":"2026-03-02T14:00:00Z","type":"donation","data":{"amount":1000,"currency":"USD"}},{"at":"+5d","type":"task-completed","data":{"outcome":"reached"}}]})).toEqual([
      '2026-03-02T14:00:00Z  +0s       event   donation {amount=1000, currency=USD} (enrolled)',
      '2026-03-02T14:00:00Z  +0s       state   (start) -> thanked  [enrolled]',
      '2026-03-02T14:00:00Z  +0s       email   major-gift-thanks',
      '2026-03-02T14:00:00Z  +0s       task    major-gifts: Call to thank a major donor (due +2d)',
      '2026-03-05T14:00:00Z  +3d       state   thanked -> escalated  [timer]',
      '2026-03-05T14:00:00Z  +3d       task    major-gifts: Overdue: thank-you call to a major donor (due +4d)',
      '2026-03-07T14:00:00Z  +5d       event   task-completed {outcome=reached} (applied)',
      '2026-03-07T14:00:00Z  +5d       state   escalated -> followUp  [task-completed]',
      '2026-03-07T14:00:00Z  +5d       email   major-gift-follow-up',
      '2026-04-06T14:00:00Z  +35d      state   followUp -> stewarded  [timer]  => completed',
    ]);
  });

});


describe('the simulator’s limits', () => {
  const pingPong = JourneyDefinition.parse({
    id: 'ping-pong',
    name: 'Ping pong',
    trigger: { event: 'donation' },
    initial: 'ping',
    states: { ping: { after: [{ delay: '1m', to: 'pong' }] }, pong: { after: [{ delay: '1m', to: 'ping' }] } },
  });
  const gift = { at: '+0d', type: 'donation' as const, data: { amount: 5 } };

  it('stops a journey whose timers loop without end, and says where', () => {
    expect(() => simulateJourney(pingPong, { events: [gift] })).toThrow(/more than 10,000 steps for one constituent by 2026-01-1\d.*: its timers loop without end \((ping|pong) → /);
  });

  it('follows the same loop for as long as the timeline asks, within the limit', () => {
    const day = simulateJourney(pingPong, { events: [gift], until: '+1d' });
    expect(day.enrollments[0]!.steps).toHaveLength(1 + 24 * 60);
  });

  it('takes at most 1,000 events in one timeline', () => {
    expect(() => simulateJourney(pingPong, { events: Array.from({ length: 1_001 }, () => gift) })).toThrow(/timeline events: .*1000/);
  });
});
