/**
 * Which class each message a journey sends belongs to, and what the validator
 * says about it. A step's own `class` wins; else its template's (`class:` in an
 * email template file); else `marketing`, the cautious default: windows, caps and
 * cancellation apply unless someone said the message answers the constituent's act.
 *
 * The runtime knows a message by its journey, channel and template, so one
 * journey may not send the same template as both classes.
 */
import type { Action, JourneyDefinition, MessageClass, State } from './definition.ts';
import { transitionsOf } from './definition.ts';

/** The class a template file declares, if it declares one. */
export type TemplateClass = (channel: 'email' | 'sms', template: string) => MessageClass | undefined;

type MessageAction = Extract<Action, { do: 'email' | 'sms' }>;
type Path = (string | number)[];

interface MessageStep {
  action: MessageAction;
  path: Path;
  /** Sent right after something the constituent did (entering by an event), rather than only after a wait. */
  prompt: boolean;
}

export function messageClassOf(definition: JourneyDefinition | undefined, channel: 'email' | 'sms', template: string, templateClass: TemplateClass): MessageClass {
  const steps = definition ? messageSteps(definition) : [];
  const declared = steps.find(({ action }) => action.do === channel && action.template === template && action.class)?.action.class;
  return declared ?? templateClass(channel, template) ?? 'marketing';
}

export interface ClassFinding {
  severity: 'error' | 'warning';
  path: Path;
  message: string;
}

export function checkMessageClasses(definition: JourneyDefinition, templateClass: TemplateClass): ClassFinding[] {
  const findings: ClassFinding[] = [];
  const seen = new Map<string, { messageClass: MessageClass; path: Path }>();
  for (const { action, path, prompt } of messageSteps(definition)) {
    const messageClass = action.class ?? templateClass(action.do, action.template) ?? 'marketing';
    const key = `${action.do}:${action.template}`;
    const first = seen.get(key);
    if (first && first.messageClass !== messageClass) {
      findings.push({
        severity: 'error',
        path: [...path, 'class'],
        message: `sends ${action.template} as ${messageClass}, but ${first.path.join('.')} sends it as ${first.messageClass}; a journey sends each template as one class (use two templates)`,
      });
    }
    if (!first) seen.set(key, { messageClass, path });
    if (messageClass === 'transactional' && !prompt) {
      findings.push({
        severity: 'warning',
        path,
        message: `${action.template} is transactional (sent at once at any hour, outside frequency caps, never cancelled) but is only ever sent after a wait, not in answer to something the constituent did; mark it class: marketing unless it confirms their own act`,
      });
    }
  }
  return findings;
}

/** Every email and SMS step, with its path and whether an act of the constituent leads straight to it. */
export function messageSteps(definition: JourneyDefinition): MessageStep[] {
  const prompt = promptStates(definition);
  const steps: MessageStep[] = [];
  const collect = (actions: Action[] | undefined, path: Path, isPrompt: boolean) =>
    actions?.forEach((action, index) => {
      if (action.do === 'email' || action.do === 'sms') steps.push({ action, path: [...path, index], prompt: isPrompt });
    });
  for (const [name, state] of Object.entries(definition.states)) {
    collect(state.entry, ['states', name, 'entry'], prompt.has(name));
    for (const [event, spec] of Object.entries(state.on ?? {})) {
      transitionsOf(spec).forEach((transition, index) => collect(transition.do, ['states', name, 'on', event, index, 'do'], true));
    }
    state.after?.forEach((timed, index) => collect(timed.do, ['states', name, 'after', index, 'do'], false));
  }
  return steps;
}

/**
 * States entered right after an event: the initial state (the trigger), targets of
 * `on` and `wait` events, and what `choose` or `split` leads to from those at once.
 * A state entered only when a timer fires is not.
 */
function promptStates(definition: JourneyDefinition): Set<string> {
  const prompt = new Set<string>([definition.initial]);
  for (const state of Object.values(definition.states)) {
    for (const spec of Object.values(state.on ?? {})) for (const transition of transitionsOf(spec)) prompt.add(transition.to);
    if (state.wait) prompt.add(state.wait.to);
  }
  const instant = (state: State | undefined) => [...(state?.choose ?? []), ...(state?.split ?? [])].map((branch) => branch.to);
  const queue = [...prompt];
  while (queue.length > 0) {
    for (const next of instant(definition.states[queue.pop()!])) {
      if (!prompt.has(next)) {
        prompt.add(next);
        queue.push(next);
      }
    }
  }
  return prompt;
}
