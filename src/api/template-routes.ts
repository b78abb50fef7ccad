/** Message templates over HTTP: what exists, what each may use, and a preview with sample data. */
import type { FastifyInstance } from 'fastify';
import { describeIssues } from '../events/schema.ts';
import { renderEmail, renderSms, templateLibrary, TemplateRenderError } from '../templates/library.ts';
import { sampleData, SampleOverrides } from '../templates/sample.ts';
import { variableNames } from '../templates/variables.ts';
import { errorBody } from './errors.ts';

export function registerTemplateRoutes(app: FastifyInstance): void {
  app.get('/templates', async () => {
    const library = templateLibrary();
    const list = (channel: 'email' | 'sms') =>
      [...library[channel].values()].map((template) => ({
        channel,
        name: template.name,
        uses: [...new Set(template.variables.map((segments) => segments.map(String).join('.')))].sort(),
      }));
    return { templates: [...list('email'), ...list('sms')], variables: { email: variableNames('email'), sms: variableNames('sms') } };
  });

  type PreviewRoute = { Params: { channel: string; name: string }; Body: unknown };
  app.post<PreviewRoute>('/templates/:channel/:name/preview', async (request, reply) => {
    const { channel, name } = request.params;
    if (channel !== 'email' && channel !== 'sms') return reply.status(404).send(errorBody(`No channel "${channel}" (email or sms)`));
    const library = templateLibrary();
    if (!library[channel].has(name)) return reply.status(404).send(errorBody(`No ${channel} template "${name}"`));
    const overrides = SampleOverrides.safeParse(request.body ?? {});
    if (!overrides.success) return reply.status(400).send(errorBody('Sample data must be a JSON object', describeIssues(overrides.error)));
    try {
      const data = sampleData(overrides.data);
      return channel === 'email' ? { channel, name, ...renderEmail(library, name, data) } : { channel, name, ...renderSms(library, name, data) };
    } catch (error) {
      if (error instanceof TemplateRenderError) return reply.status(422).send(errorBody(error.message));
      throw error;
    }
  });
}
