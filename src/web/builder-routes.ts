/**
 * The visual builder's pages: open a journey (or a starter) in the builder, apply
 * one edit per button to its YAML document in place, redraw from YAML typed by
 * hand, and save the text as the journey's next draft version.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { JourneyVersion } from '../db/client.ts';
import { JourneyConflictError, JourneySourceError, sourceOf, type JourneyAuthoring, type SourceFinding } from '../journeys/authoring.ts';
import { JourneyDefinition } from '../journeys/definition.ts';
import { journeyToSvg } from '../journeys/diagram.ts';
import { JourneyEditError, journeyText, openJourneySource, stateOrder } from '../journeys/edits.ts';
import { MAX_ALIAS_EXPANSIONS } from '../journeys/source.ts';
import { applyBuilderOp, type BuilderForm, type BuilderVocabulary } from './builder-form.ts';
import type { Html } from './html.ts';
import { BUILDER_STARTER, builderPage, type BuilderState } from './pages/builder.ts';

export interface BuilderRouteDependencies {
  authoring: JourneyAuthoring;
  /** Renders a page in the app's frame. */
  render: (request: FastifyRequest, reply: FastifyReply, frame: { title: string; section: string; body: Html }, status?: number) => FastifyReply;
  notFound: (request: FastifyRequest, reply: FastifyReply, what: string) => FastifyReply;
  shownVersion: (journeyId: string) => Promise<JourneyVersion | undefined>;
}

/** What each button did, for the page's status line. */
const DONE: Record<string, string> = {
  settings: 'The journey’s name and trigger are set.',
  'add-state': 'State added.',
  'remove-state': 'State removed, with every way into it.',
  initial: 'First state changed.',
  'add-action': 'Action added.',
  'remove-action': 'Action removed.',
  connect: 'Connected.',
  disconnect: 'Way out removed.',
  final: 'Ending set.',
  'goal-exits': 'Goal and exits set.',
  sync: 'Redrawn from the YAML.',
};

const BuilderBody = z.looseObject({ source: z.string().max(200_000).default(''), op: z.string().max(300).default('sync') });

export function registerJourneyBuilder(server: FastifyInstance, deps: BuilderRouteDependencies): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { authoring, render, notFound } = deps;
  const page = { config: { permission: 'journeys.manage' as const, page: true } };
  /** The templates a journey may send now (shipped, or published in the app) and the task queues. */
  const words = async (): Promise<BuilderVocabulary> => {
    const catalog = await authoring.catalog();
    return { emailTemplates: [...catalog.emailTemplates].sort(), smsTemplates: [...catalog.smsTemplates].sort(), taskQueues: [...catalog.taskQueues] };
  };

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    state: Omit<BuilderState, 'findings' | 'data' | 'diagram' | 'vocabulary'>,
    status = 200,
    vocabulary?: BuilderVocabulary,
  ) {
    const drawn = await drawing(state.source, authoring);
    const title = state.journeyId ? `Build ${state.journeyId}` : 'Build a new journey';
    return render(request, reply, { title, section: 'journeys', body: builderPage({ ...state, ...drawn, vocabulary: vocabulary ?? (await words()) }) }, status);
  }

  app.get('/app/journeys/new/build', page, async (request, reply) => show(request, reply, { source: BUILDER_STARTER }));

  app.get('/app/journeys/:id/build', { ...page, schema: { params: z.strictObject({ id: z.string() }) } }, async (request, reply) => {
    const shown = await deps.shownVersion(request.params.id);
    if (!shown) return notFound(request, reply, `There is no journey ${request.params.id}.`);
    return show(request, reply, { journeyId: request.params.id, source: sourceOf(shown) });
  });

  async function apply(request: FastifyRequest, reply: FastifyReply, journeyId: string | undefined, body: z.infer<typeof BuilderBody>) {
    // Browsers send CRLF in form fields; the text keeps the author's own line ends otherwise.
    const source = body.source.replace(/\r\n/g, '\n');
    const op = body.op;
    const state: Omit<BuilderState, 'findings' | 'data' | 'diagram' | 'vocabulary'> = { journeyId, source };
    const vocabulary = await words();
    try {
      const document = openJourneySource(source);
      if (applyBuilderOp(document, op, body as BuilderForm, vocabulary)) state.source = journeyText(document);
      state.done = DONE[op.split(':')[0]!];
    } catch (error) {
      if (!(error instanceof JourneyEditError)) throw error;
      state.refused = { path: error.path, message: error.message };
      return show(request, reply, state, 422, vocabulary);
    }
    if (op !== 'save') return show(request, reply, state, 200, vocabulary);
    try {
      const saved = await authoring.saveDraft(state.source, journeyId);
      state.saved = { journeyId: saved.journeyId, version: saved.version };
      state.journeyId = saved.journeyId;
      state.done = `Saved as version ${saved.version}, a draft.`;
      return show(request, reply, state);
    } catch (error) {
      if (!(error instanceof JourneySourceError || error instanceof JourneyConflictError)) throw error;
      state.done = undefined;
      state.refused = { path: '', message: error instanceof JourneySourceError ? 'the journey has errors; they are listed under the YAML' : error.message };
      return show(request, reply, state, 422);
    }
  }

  app.post('/app/journeys/new/build', { ...page, schema: { body: BuilderBody } }, async (request, reply) => apply(request, reply, undefined, request.body));
  app.post('/app/journeys/:id/build', { ...page, schema: { params: z.strictObject({ id: z.string() }), body: BuilderBody } }, async (request, reply) =>
    apply(request, reply, request.params.id, request.body),
  );
}

/** The text's findings, its plain data for the forms, and its diagram when the format accepts it. */
async function drawing(source: string, authoring: JourneyAuthoring): Promise<{ findings: SourceFinding[]; data: unknown; diagram?: string }> {
  const { findings } = await authoring.check(source);
  let data: unknown = {};
  try {
    data = parseDocument(source).toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS + 1 });
  } catch {
    // Text that does not parse, or aliases that expand too far: the findings say so.
  }
  const parsed = JourneyDefinition.safeParse(data);
  if (!parsed.success) return { findings, data };
  // A journey still being built (a state with no way out yet) is drawn all the same.
  let order: string[] = [];
  try {
    order = stateOrder(openJourneySource(source));
  } catch {
    order = Object.keys(parsed.data.states);
  }
  return { findings, data, diagram: await journeyToSvg(parsed.data, { order }) };
}
