/**
 * Consent recorded by hand in the web app (an admin noting a phone call or a signed
 * form): decided by the same precedence as every other change, and kept in the audit
 * trail with who recorded it and what became of it.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../auth/audit.ts';
import { ConstituentError, type ConstituentDirectory } from '../constituents/directory.ts';

export interface ConsentPageDependencies {
  directory: ConstituentDirectory;
  redirectWith(reply: FastifyReply, to: string, kind: 'ok' | 'error', text: string): FastifyReply;
}

const ConsentForm = z.looseObject({
  channel: z.string().default(''),
  status: z.string().default(''),
  source: z.string().trim().max(200).default(''),
});

export function registerConsentPages(server: FastifyInstance, deps: ConsentPageDependencies): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  app.post(
    '/app/constituents/:id/consent',
    { config: { permission: 'records.ingest', page: true }, schema: { params: z.strictObject({ id: z.string().min(1) }), body: ConsentForm } },
    async (request, reply) => {
      const back = `/app/constituents/${encodeURIComponent(request.params.id)}`;
      const channel = z.enum(['email', 'sms']).safeParse(request.body.channel);
      const status = z.enum(['granted', 'withdrawn']).safeParse(request.body.status);
      if (!channel.success || !status.success) return deps.redirectWith(reply, back, 'error', 'Choose a channel and whether consent is given or withdrawn.');
      const source = request.body.source || 'Steward app';
      try {
        const updated = await deps.directory.update(request.params.id, { consent: { [channel.data]: { status: status.data, by: 'staff', source } } }, actorOf(request.principal));
        const result = updated.consent?.[0];
        const what = `${channel.data === 'email' ? 'Email' : 'SMS'} consent ${status.data}`;
        if (!result || result.outcome === 'applied') return deps.redirectWith(reply, back, 'ok', `${what}: recorded.`);
        return deps.redirectWith(reply, back, 'error', `${what}: kept, not applied (${result.outcome}): ${result.note ?? ''}.`);
      } catch (error) {
        if (error instanceof ConstituentError) return deps.redirectWith(reply, back, 'error', `${error.message}.`);
        throw error;
      }
    },
  );
}
