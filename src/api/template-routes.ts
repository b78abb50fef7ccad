/** Message templates over HTTP: what exists, what each may use, and a preview with sample data. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { renderEmail, renderSms, templateLibrary, TemplateRenderError } from '../templates/library.ts';
import { sampleData, SampleOverrides } from '../templates/sample.ts';
import { variableNames } from '../templates/variables.ts';
import { errorBody } from './errors.ts';

const tags = ['Templates'];

export function registerTemplateRoutes(server: FastifyInstance): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.get('/templates', { config: { permission: 'records.read' }, schema: { tags, summary: 'Every message template and the variables each uses' } }, async () => {
    const library = templateLibrary();
    const list = (channel: 'email' | 'sms') =>
      [...library[channel].values()].map((template) => ({
        channel,
        name: template.name,
        uses: [...new Set(template.variables.map((segments) => segments.map(String).join('.')))].sort(),
      }));
    return { templates: [...list('email'), ...list('sms')], variables: { email: variableNames('email'), sms: variableNames('sms') } };
  });

  app.post(
    '/templates/:channel/:name/preview',
    {
      config: { permission: 'records.read', invalid: 'Sample data must be a JSON object' },
      schema: {
        tags,
        summary: 'Render a template with sample data (yours merged over the defaults)',
        params: z.strictObject({ channel: z.string(), name: z.string() }),
        body: SampleOverrides.optional(),
      },
    },
    async (request, reply) => {
      const { channel, name } = request.params;
      if (channel !== 'email' && channel !== 'sms') return reply.status(404).send(errorBody(`No channel "${channel}" (email or sms)`));
      const library = templateLibrary();
      if (!library[channel].has(name)) return reply.status(404).send(errorBody(`No ${channel} template "${name}"`));
      try {
        const data = sampleData(request.body ?? {});
        return channel === 'email' ? { channel, name, ...renderEmail(library, name, data) } : { channel, name, ...renderSms(library, name, data) };
      } catch (error) {
        if (error instanceof TemplateRenderError) return reply.status(422).send(errorBody(error.message));
        throw error;
      }
    },
  );
}
