/**
 * A template as the editor has it, rendered for a person to look at: with sample
 * data, or with a real constituent's (their details, their latest event, their
 * next ask), exactly as a send would load it. Links in it are never the
 * constituent's own signed ones: whoever reads a preview or a test send must not
 * be able to unsubscribe the constituent.
 */
import type { Database } from '../db/client.ts';
import { loadMessageData } from '../delivery/message-data.ts';
import type { InteractionType } from '../journeys/vocabulary.ts';
import { compileTemplate, libraryWith, type TemplateProblem } from './compile.ts';
import { renderEmail, renderSms, templateLibrary, TemplateRenderError, type MessageData, type TemplateLibrary, type TemplateSource } from './library.ts';
import { defaultSample, sampleData } from './sample.ts';
import type { Channel } from './variables.ts';

export interface PreviewRequest {
  channel: Channel;
  name: string;
  source: TemplateSource;
  /** Whose data to render with; sample data without one. */
  constituentId?: string | undefined;
  /** Sample data overrides, merged over the defaults. */
  sample?: Record<string, unknown> | undefined;
  /** Narrows the variables allowed to what journeys with this trigger supply. */
  trigger?: InteractionType | undefined;
}

export interface PreviewSettings {
  org: MessageData['org'];
  defaultTimeZone: string;
  publicUrl: string;
}

export type RenderedPreview =
  | { channel: 'email'; subject: string; text: string; html: string }
  | { channel: 'sms'; body: string; segments: number; encoding: 'GSM-7' | 'UCS-2' };

export type PreviewResult =
  | { ok: true; rendered: RenderedPreview; constituent: { id: string; name: string } | null }
  | { ok: false; problems: TemplateProblem[]; constituent: { id: string; name: string } | null };

export class PreviewError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'PreviewError';
  }
}

export async function renderPreview(db: Database, request: PreviewRequest, settings: PreviewSettings, shipped: () => TemplateLibrary = templateLibrary): Promise<PreviewResult> {
  const { data, constituent } = await previewData(db, request, settings);
  const compiled = compileTemplate(request.channel, request.name, request.source, {}, request.trigger);
  if (!compiled.ok) return { ok: false, problems: compiled.problems, constituent };
  const library = libraryWith(shipped(), compiled.template);
  try {
    const rendered: RenderedPreview =
      request.channel === 'email' ? { channel: 'email', ...renderEmail(library, request.name, data) } : { channel: 'sms', ...renderSms(library, request.name, data) };
    return { ok: true, rendered, constituent };
  } catch (error) {
    if (!(error instanceof TemplateRenderError)) throw error;
    // A variable this constituent's data lacks (no gift to speak of): said, not sent blank.
    const message = error.message.replace(/^(email|sms) template "[^"]*": /, '');
    return { ok: false, problems: [{ field: 'text', line: 1, message: `cannot be rendered with this data: ${message}` }], constituent };
  }
}

async function previewData(db: Database, request: PreviewRequest, settings: PreviewSettings): Promise<{ data: MessageData; constituent: { id: string; name: string } | null }> {
  const links = { unsubscribe: `${settings.publicUrl}/u/preview`, preferences: `${settings.publicUrl}/p/preview` };
  const base: MessageData = { ...defaultSample, org: settings.org, links };
  if (!request.constituentId) return { data: sampleData(request.sample ?? {}, base), constituent: null };
  const row = await db.constituent.findUnique({ where: { id: request.constituentId } });
  if (!row) throw new PreviewError(`No constituent ${request.constituentId}`, 'constituentId');
  const latest = await db.interactionEvent.findFirst({ where: { constituentId: row.id }, orderBy: [{ occurredAt: 'desc' }, { id: 'desc' }], select: { id: true } });
  const data = await loadMessageData(db, {
    constituentId: row.id,
    constituent: row,
    eventId: latest?.id,
    journey: defaultSample.journey,
    settings,
    links,
    receipt: defaultSample.receipt,
    statement: defaultSample.statement,
  });
  const name = [row.firstName, row.lastName].filter(Boolean).join(' ') || row.email || row.id;
  return { data, constituent: { id: row.id, name } };
}
