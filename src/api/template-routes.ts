/**
 * Message templates over HTTP: what exists and where each is used, its versions
 * (save, publish), and previews with sample data or a constituent's own.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database, TemplateVersion } from '../db/client.ts';
import { interactionTypes } from '../journeys/vocabulary.ts';
import type { TemplateProblem } from '../templates/compile.ts';
import { exportTemplateVersion, inFile, parseTemplateFile } from '../templates/file-format.ts';
import { renderEmail, renderSms, templateLibrary, TemplateRenderError } from '../templates/library.ts';
import { canonicalLocale, LocaleCode } from '../templates/locales.ts';
import { PreviewError, renderPreview, type PreviewSettings } from '../templates/preview.ts';
import { sampleData, SampleOverrides, withLocale } from '../templates/sample.ts';
import { variableNames } from '../templates/variables.ts';
import { createTemplateVersions, TemplateVersionError } from '../templates/versions.ts';
import { errorBody, type ErrorIssue } from './errors.ts';

const tags = ['Templates'];

export interface TemplateRouteOptions {
  db: Database;
  /** The organisation and public address previews render with. */
  previewSettings: PreviewSettings;
}

export const TemplateChannel = z.enum(['email', 'sms']);
const TemplateParams = z.strictObject({ channel: z.string(), name: z.string().max(200) });
const VersionParams = TemplateParams.extend({ version: z.coerce.number().int().min(1).max(2_147_483_647) });

/** A template's parts as the editor has them: an email's subject, text and HTML, or an SMS body as `text`. */
export const TemplateSourceBody = z.strictObject({
  subject: z.string().max(1_000).nullish(),
  text: z.string().max(100_000),
  html: z.string().max(500_000).nullish(),
});

export const PreviewBody = TemplateSourceBody.extend({
  constituentId: z.uuid().optional().describe('Render with this constituent\'s data (their details, latest event and next ask) instead of sample data'),
  sample: SampleOverrides.optional().describe('Sample data overrides, merged over the defaults'),
  trigger: z.enum(interactionTypes).optional().describe('Allow only the variables journeys with this trigger supply'),
});

/** A template's problems in the one error shape: the field as the path, with its line and column. */
export function problemIssues(problems: TemplateProblem[]): ErrorIssue[] {
  return problems.map((problem) => ({ path: problem.field, message: problem.message, line: problem.line, ...(problem.column ? { column: problem.column } : {}) }));
}

/** A stored version as the API shows it. */
export function versionView(version: TemplateVersion) {
  return {
    id: version.id,
    channel: version.channel,
    name: version.name,
    version: version.version,
    subject: version.subject,
    text: version.text,
    html: version.html,
    class: version.messageClass,
    kind: version.kind,
    origin: version.origin,
    createdBy: version.createdBy,
    createdAt: version.createdAt,
    publishedAt: version.publishedAt,
  };
}

export function answerTemplateError(reply: FastifyReply, error: unknown) {
  if (error instanceof TemplateVersionError) return reply.status(error.status).send(errorBody(error.message, error.problems.length > 0 ? problemIssues(error.problems) : [{ path: 'name', message: error.message }]));
  if (error instanceof PreviewError) return reply.status(404).send(errorBody(error.message, [{ path: error.path, message: error.message }]));
  throw error;
}

export function registerTemplateRoutes(server: FastifyInstance, options: TemplateRouteOptions): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { db, previewSettings } = options;
  const versions = createTemplateVersions(db);
  const channelOf = (reply: FastifyReply, channel: string) => {
    const parsed = TemplateChannel.safeParse(channel);
    if (!parsed.success) reply.status(404).send(errorBody(`No channel "${channel}" (email or sms)`, [{ path: 'channel', message: 'email or sms' }]));
    return parsed.success ? parsed.data : undefined;
  };

  app.get('/templates', { config: { permission: 'records.read' }, schema: { tags, summary: 'Every email and SMS template: the version in force, the newest, and the journey versions and steps that send it' } }, async () => {
    const library = templateLibrary();
    const list = await versions.list();
    return {
      templates: list.map((template) => ({
        ...template,
        uses: template.uses,
        locales: [...(library[template.channel].get(template.name)?.locales.keys() ?? [])].sort(),
        variables: [...new Set((library[template.channel].get(template.name)?.variables ?? []).map((segments) => segments.map(String).join('.')))].sort(),
      })),
      variables: { email: variableNames('email'), sms: variableNames('sms') },
    };
  });

  app.get(
    '/templates/:channel/:name',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'One template: its versions, the one in force, where it is used and the variables those journeys supply', params: TemplateParams } },
    async (request, reply) => {
      const channel = channelOf(reply, request.params.channel);
      if (!channel) return reply;
      const { name } = request.params;
      const stored = await versions.versionsOf(channel, name);
      const shipped = templateLibrary()[channel].get(name);
      if (stored.length === 0 && !shipped) return reply.status(404).send(errorBody(`No ${channel} template "${name}"`, [{ path: 'name', message: 'unknown template' }]));
      const uses = await versions.uses(channel, name);
      const triggers = [...new Set(uses.map((use) => use.trigger))];
      return {
        channel,
        name,
        current: versions.current(stored)?.version ?? null,
        versions: stored.map(versionView),
        shipped: shipped?.source ?? null,
        uses,
        variables: triggers.length > 0 ? Object.fromEntries(triggers.map((trigger) => [trigger, variableNames(channel, trigger)])) : { any: variableNames(channel) },
      };
    },
  );

  app.get(
    '/templates/:channel/:name/versions/:version',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'One stored version of a template', params: VersionParams } },
    async (request, reply) => {
      const channel = channelOf(reply, request.params.channel);
      if (!channel) return reply;
      try {
        return versionView(await versions.find(channel, request.params.name, request.params.version));
      } catch (error) {
        return answerTemplateError(reply, error);
      }
    },
  );

  app.post(
    '/templates/:channel/:name/versions',
    {
      config: { permission: 'templates.manage' },
      schema: {
        tags,
        summary: 'Save a new version of a template (a new name starts a new template); it reaches no one until published',
        description: 'A template with errors is refused with 422, each issue naming its part (`subject`, `text`, `html`) with the line and column; nothing is stored.',
        params: TemplateParams,
        body: TemplateSourceBody,
      },
    },
    async (request, reply) => {
      const channel = channelOf(reply, request.params.channel);
      if (!channel) return reply;
      try {
        const created = await versions.create(channel, request.params.name, request.body, request.principal?.name ?? null);
        return reply.status(201).send(versionView(created));
      } catch (error) {
        return answerTemplateError(reply, error);
      }
    },
  );

  app.get(
    '/templates/:channel/:name/versions/:version/export',
    { config: { permission: 'records.read' }, schema: { tags, summary: 'A version in the shipped files\' format: `email/<name>.yaml` or `sms/<name>.liquid`, to keep or to ship', params: VersionParams } },
    async (request, reply) => {
      const channel = channelOf(reply, request.params.channel);
      if (!channel) return reply;
      try {
        return exportTemplateVersion(await versions.find(channel, request.params.name, request.params.version));
      } catch (error) {
        return answerTemplateError(reply, error);
      }
    },
  );

  app.post(
    '/templates/:channel/:name/import',
    {
      config: { permission: 'templates.manage' },
      schema: {
        tags,
        summary: 'Save a new version from a file in the shipped format (an export, or a file of journeys/templates/)',
        description: 'Problems are answered with 422 at their line in the file (`path` names the part); nothing is stored. The class and kind stay the template\'s own.',
        params: TemplateParams,
        body: z.strictObject({ source: z.string().max(600_000) }),
      },
    },
    async (request, reply) => {
      const channel = channelOf(reply, request.params.channel);
      if (!channel) return reply;
      const parsed = parseTemplateFile(channel, request.body.source.replace(/\r\n/g, '\n'));
      if (!parsed.ok) return reply.status(422).send(errorBody('The file is not a template', parsed.problems.map((problem) => ({ path: 'source', line: problem.line, message: problem.message }))));
      try {
        return reply.status(201).send(versionView(await versions.create(channel, request.params.name, parsed.source, request.principal?.name ?? null)));
      } catch (error) {
        if (error instanceof TemplateVersionError && error.problems.length > 0) {
          return reply.status(422).send(errorBody(error.message, problemIssues(error.problems.map((problem) => inFile(problem, parsed.lines)))));
        }
        return answerTemplateError(reply, error);
      }
    },
  );

  app.post(
    '/templates/:channel/:name/versions/:version/publish',
    {
      config: { permission: 'templates.manage' },
      schema: {
        tags,
        summary: 'Put a version in force: every live journey version that sends the template sends it from now on',
        description: '`journeys` names the live (published or paused) journey versions that picked it up; draft and archived versions keep their pinned version.',
        params: VersionParams,
      },
    },
    async (request, reply) => {
      const channel = channelOf(reply, request.params.channel);
      if (!channel) return reply;
      try {
        const published = await versions.publish(channel, request.params.name, request.params.version);
        return { version: versionView(published.version), journeys: published.journeys };
      } catch (error) {
        return answerTemplateError(reply, error);
      }
    },
  );

  app.post(
    '/templates/:channel/:name/render',
    {
      config: { permission: 'records.read' },
      schema: {
        tags,
        summary: 'Render a template as written (not yet saved) with sample data or a constituent\'s, for a live preview',
        description: 'Answers 200 with `ok: false` and `problems` (part, line, column) when the template does not compile or render: the editor shows them at their lines.',
        params: TemplateParams,
        body: PreviewBody,
      },
    },
    async (request, reply) => {
      const channel = channelOf(reply, request.params.channel);
      if (!channel) return reply;
      const { constituentId, sample, trigger, ...source } = request.body;
      try {
        const result = await renderPreview(db, { channel, name: request.params.name, source, constituentId, sample, trigger }, previewSettings);
        return result.ok ? result : { ...result, problems: problemIssues(result.problems) };
      } catch (error) {
        return answerTemplateError(reply, error);
      }
    },
  );

  app.post(
    '/templates/:channel/:name/preview',
    {
      config: { permission: 'records.read', invalid: 'Sample data must be a JSON object' },
      schema: {
        tags,
        summary: 'Render a template with sample data (yours merged over the defaults), in the variant a constituent with `locale` gets',
        params: z.strictObject({ channel: z.string(), name: z.string() }),
        querystring: z.strictObject({ locale: LocaleCode.optional() }),
        body: SampleOverrides.optional(),
      },
    },
    async (request, reply) => {
      const { channel, name } = request.params;
      if (channel !== 'email' && channel !== 'sms') return reply.status(404).send(errorBody(`No channel "${channel}" (email or sms)`));
      const library = templateLibrary();
      if (!library[channel].has(name)) return reply.status(404).send(errorBody(`No ${channel} template "${name}"`));
      try {
        const locale = request.query.locale && canonicalLocale(request.query.locale);
        const data = sampleData(withLocale(request.body ?? {}, locale));
        return channel === 'email' ? { channel, name, ...renderEmail(library, name, data) } : { channel, name, ...renderSms(library, name, data) };
      } catch (error) {
        if (error instanceof TemplateRenderError) return reply.status(422).send(errorBody(error.message));
        throw error;
      }
    },
  );
}
