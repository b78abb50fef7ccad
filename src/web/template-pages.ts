/**
 * The templates section's routes: list, editor (preview, save, send test),
 * publish, the seed list, and a sent message as its recipient got it. Plain
 * forms; the shared script adds the live preview while typing.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TemplateServices } from '../api/server.ts';
import { createConstituentDirectory } from '../constituents/directory.ts';
import type { Database } from '../db/client.ts';
import { templateLibrary } from '../templates/library.ts';
import { PreviewError, renderPreview } from '../templates/preview.ts';
import { createSeedList, SeedListError } from '../templates/seed-list.ts';
import { sentMessage } from '../templates/sent-messages.ts';
import { TestSendError } from '../templates/test-sends.ts';
import { variableNames, type Channel } from '../templates/variables.ts';
import { createTemplateVersions, TemplateVersionError } from '../templates/versions.ts';
import type { Html } from './html.ts';
import type { PageFrame } from './layout.ts';
import { seedListPage, sentMessagePage, templateEditor, templatesList, type TemplateEditorState } from './pages/templates.ts';

export interface TemplatePageTools {
  render(request: FastifyRequest, reply: FastifyReply, frame: Omit<PageFrame, 'principal' | 'flash'>, status?: number): FastifyReply;
  redirectWith(reply: FastifyReply, to: string, kind: 'ok' | 'error', text: string): FastifyReply;
  notFound(request: FastifyRequest, reply: FastifyReply, what: string): FastifyReply;
}

const EditorForm = z.looseObject({
  name: z.string().trim().max(100).default(''),
  channel: z.enum(['email', 'sms']).default('email'),
  subject: z.string().max(1_000).default(''),
  text: z.string().max(100_000).default(''),
  html: z.string().max(500_000).default(''),
  constituent: z.string().trim().max(200).default(''),
  constituentId: z.string().max(100).default(''),
  idempotencyKey: z.string().max(128).default(''),
  intent: z.enum(['preview', 'save', 'test']).default('preview'),
});
type EditorInput = z.infer<typeof EditorForm>;
const Params = z.strictObject({ channel: z.enum(['email', 'sms']), name: z.string().max(200) });

const NEW_EMAIL = { subject: 'Thank you, {{ constituent.firstName | default: "friend" }}', text: 'Dear {{ constituent.firstName | default: "friend" }},\n\nThank you for being part of {{ org.name }}.\n', html: '' };
const NEW_SMS = { subject: '', text: '{{ org.name }}: thank you, {{ constituent.firstName | default: "friend" }}! Reply STOP to opt out.', html: '' };

export function registerTemplatePages(server: FastifyInstance, deps: { db: Database; templates: TemplateServices }, tools: TemplatePageTools): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { db, templates } = deps;
  const versions = createTemplateVersions(db);
  const directory = createConstituentDirectory(db);
  const seedList = createSeedList(db, templates.phoneCountry);
  const pageConfig = (permission: 'records.read' | 'templates.manage') => ({ config: { permission, page: true } });
  const frame = (title: string, body: Html) => ({ title, section: 'templates' as const, body });
  // Browsers send CRLF in form fields; line numbers should match what people see.
  const lf = (text: string) => text.replace(/\r\n/g, '\n');

  /** An id, or the first constituent whose email or name starts with what was typed. */
  async function findConstituent(query: string): Promise<string | undefined> {
    if (!query) return undefined;
    if (z.uuid().safeParse(query).success) return (await db.constituent.findUnique({ where: { id: query }, select: { id: true } }))?.id;
    return (await directory.search({ q: query, limit: 1 })).constituents[0]?.id;
  }

  async function editorState(channel: Channel, name: string, form: Partial<EditorInput> & { isNew?: boolean }): Promise<TemplateEditorState> {
    const stored = await versions.versionsOf(channel, name);
    const latest = stored.at(-1);
    const shipped = templateLibrary()[channel].get(name)?.source;
    const fallback = channel === 'email' ? NEW_EMAIL : NEW_SMS;
    const source = {
      subject: lf(form.subject ?? latest?.subject ?? shipped?.subject ?? fallback.subject),
      text: lf(form.text ?? latest?.text ?? shipped?.text ?? fallback.text),
      html: lf(form.html ?? latest?.html ?? shipped?.html ?? fallback.html),
    };
    const uses = form.isNew ? [] : await versions.uses(channel, name);
    const triggers = [...new Set(uses.map((use) => use.trigger))];
    const constituentQuery = form.constituent ?? '';
    const constituentId = await findConstituent(constituentQuery);
    let preview: TemplateEditorState['preview'];
    let problems: TemplateEditorState['problems'] = [];
    let constituent: TemplateEditorState['constituent'] = null;
    try {
      const result = await renderPreview(db, { channel, name: name || 'new-template', source, constituentId }, templates.previewSettings);
      constituent = result.constituent;
      if (result.ok) preview = result.rendered;
      else problems = result.problems;
    } catch (error) {
      if (!(error instanceof PreviewError)) throw error;
      problems = [{ field: 'text', line: 1, message: error.message }];
    }
    if (constituentQuery && !constituentId) problems = [...problems, { field: 'text', line: 1, message: `no constituent matches "${constituentQuery}"; previewing with sample data` }];
    return {
      channel,
      name,
      isNew: form.isNew ?? false,
      source,
      versions: stored,
      current: versions.current(stored)?.version ?? null,
      uses,
      variables: triggers.length > 0 ? Object.fromEntries(triggers.map((trigger) => [trigger, variableNames(channel, trigger)])) : { any: variableNames(channel) },
      constituentQuery,
      constituent,
      preview,
      problems,
      idempotencyKey: randomUUID(),
      seeds: await seedList.list(),
    };
  }

  app.get('/app/templates', pageConfig('records.read'), async (request, reply) => tools.render(request, reply, frame('Templates', templatesList(await versions.list()))));

  app.get('/app/templates/new', pageConfig('templates.manage'), async (request, reply) =>
    tools.render(request, reply, frame('New template', templateEditor(await editorState('email', '', { isNew: true })))),
  );

  app.post('/app/templates/new', { ...pageConfig('templates.manage'), schema: { body: EditorForm } }, async (request, reply) => {
    const form = request.body;
    if (form.intent === 'save') {
      try {
        await versions.create(form.channel, form.name, { subject: lf(form.subject), text: lf(form.text), html: lf(form.html) }, request.principal?.name ?? null);
        return tools.redirectWith(reply, `/app/templates/${form.channel}/${encodeURIComponent(form.name)}`, 'ok', `Created ${form.name}, version 1, a draft: publish it when it is ready.`);
      } catch (error) {
        if (!(error instanceof TemplateVersionError)) throw error;
        const state = await editorState(form.channel, form.name, { ...form, isNew: true });
        state.problems = error.problems.length > 0 ? error.problems : [{ field: 'text', line: 1, message: error.message }];
        return tools.render(request, reply, frame('New template', templateEditor(state)), error.status === 404 ? 422 : error.status);
      }
    }
    return tools.render(request, reply, frame('New template', templateEditor(await editorState(form.channel, form.name, { ...form, isNew: true }))));
  });

  app.get('/app/templates/:channel/:name', { ...pageConfig('records.read'), schema: { params: Params, querystring: z.looseObject({ constituent: z.string().trim().max(200).optional() }) } }, async (request, reply) => {
    const { channel, name } = request.params;
    const known = templateLibrary()[channel].has(name) || (await versions.versionsOf(channel, name)).length > 0;
    if (!known) return tools.notFound(request, reply, `There is no ${channel} template ${name}.`);
    return tools.render(request, reply, frame(name, templateEditor(await editorState(channel, name, { constituent: request.query.constituent }))));
  });

  app.post('/app/templates/:channel/:name', { ...pageConfig('templates.manage'), schema: { params: Params, body: EditorForm } }, async (request, reply) => {
    const { channel, name } = request.params;
    const form = request.body;
    const source = { subject: lf(form.subject), text: lf(form.text), html: lf(form.html) };
    const state = await editorState(channel, name, form);
    if (form.intent === 'save') {
      try {
        const created = await versions.create(channel, name, source, request.principal?.name ?? null);
        const saved = await editorState(channel, name, form);
        saved.saved = created.version;
        return tools.render(request, reply, frame(name, templateEditor(saved)), 201);
      } catch (error) {
        if (!(error instanceof TemplateVersionError)) throw error;
        state.problems = error.problems.length > 0 ? error.problems : [{ field: 'text', line: 1, message: error.message }];
        return tools.render(request, reply, frame(name, templateEditor(state)), 422);
      }
    }
    if (form.intent === 'test') {
      if (!templates.testSends) return tools.redirectWith(reply, `/app/templates/${channel}/${encodeURIComponent(name)}`, 'error', 'This Steward process has no mail transport for test sends.');
      try {
        const key = form.idempotencyKey.length >= 8 ? form.idempotencyKey : randomUUID();
        state.tests = await templates.testSends.send({ channel, name, source, constituentId: state.constituent?.id, idempotencyKey: key, sentBy: request.principal?.name ?? null });
        return tools.render(request, reply, frame(name, templateEditor(state)));
      } catch (error) {
        if (error instanceof TestSendError) return tools.render(request, reply, { ...frame(name, templateEditor({ ...state, problems: [{ field: 'text', line: 1, message: error.message }] })) }, error.status);
        if (error instanceof TemplateVersionError) return tools.render(request, reply, frame(name, templateEditor(state)), 422);
        throw error;
      }
    }
    return tools.render(request, reply, frame(name, templateEditor(state)), state.problems.length > 0 ? 422 : 200);
  });

  app.post(
    '/app/templates/:channel/:name/versions/:version/publish',
    { ...pageConfig('templates.manage'), schema: { params: Params.extend({ version: z.coerce.number().int().min(1).max(2_147_483_647) }) } },
    async (request, reply) => {
      const { channel, name, version } = request.params;
      const back = `/app/templates/${channel}/${encodeURIComponent(name)}`;
      try {
        const published = await versions.publish(channel, name, version);
        const moved = published.journeys.map((use) => `${use.journeyId} v${use.version}`).join(', ');
        return tools.redirectWith(reply, back, 'ok', `Version ${version} is in force.${moved ? ` Live journeys now sending it: ${moved}.` : ' No live journey sends it yet.'}`);
      } catch (error) {
        if (error instanceof TemplateVersionError) return tools.redirectWith(reply, back, 'error', error.message);
        throw error;
      }
    },
  );

  app.get('/app/settings/seed-list', pageConfig('templates.manage'), async (request, reply) =>
    tools.render(request, reply, frame('Seed list', seedListPage(await seedList.list(), await db.testMessage.findMany({ orderBy: { createdAt: 'desc' }, take: 20 })))),
  );
  app.post(
    '/app/settings/seed-list',
    { ...pageConfig('templates.manage'), schema: { body: z.looseObject({ channel: z.enum(['email', 'sms']).default('email'), address: z.string().max(254).default(''), label: z.string().max(200).default('') }) } },
    async (request, reply) => {
      try {
        const added = await seedList.add(request.body.channel, request.body.address, request.body.label || undefined);
        return tools.redirectWith(reply, '/app/settings/seed-list', 'ok', `Added ${added.address}.`);
      } catch (error) {
        if (error instanceof SeedListError) return tools.redirectWith(reply, '/app/settings/seed-list', 'error', error.message);
        throw error;
      }
    },
  );
  app.post('/app/settings/seed-list/:id/remove', { ...pageConfig('templates.manage'), schema: { params: z.strictObject({ id: z.string().max(100) }) } }, async (request, reply) => {
    try {
      await seedList.remove(request.params.id);
      return tools.redirectWith(reply, '/app/settings/seed-list', 'ok', 'Removed.');
    } catch (error) {
      if (error instanceof SeedListError) return tools.redirectWith(reply, '/app/settings/seed-list', 'error', error.message);
      throw error;
    }
  });

  app.get('/app/messages/:id', { ...pageConfig('records.read'), schema: { params: z.strictObject({ id: z.string().max(100) }) } }, async (request, reply) => {
    const message = await sentMessage(db, request.params.id);
    if (!message) return tools.notFound(request, reply, 'There is no such message.');
    const constituent = await db.constituent.findUnique({ where: { id: message.constituentId }, select: { firstName: true, lastName: true, email: true } });
    const name = [constituent?.firstName, constituent?.lastName].filter(Boolean).join(' ') || constituent?.email || 'Constituent';
    return tools.render(request, reply, { title: `Message ${message.template}`, section: 'constituents', body: sentMessagePage(message, name) });
  });
}
