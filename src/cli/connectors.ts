/**
 * `steward connectors …`: check a connector's mapping file, and see the Steward event
 * a sample payload would become, before the platform sends a single delivery.
 */
import { readFile } from 'node:fs/promises';
import { formatMappingProblem, readConnectorMapping, type MappedConnector } from '../connectors/mapped/catalog.ts';
import { mapPayload } from '../connectors/mapped/map.ts';
import type { Output } from './output.ts';

export const CONNECTORS_USAGE = `Connectors:
  steward connectors validate <mapping.yaml>...              check mapping files; every error with its line
  steward connectors preview <mapping.yaml> <payload.json>   the Steward event a sample payload would become`;

export async function connectorsCommand(args: string[], output: Output): Promise<number> {
  const [command, ...files] = args;
  if (command === 'validate' && files.length > 0) {
    let failed = false;
    for (const file of files) {
      const read = await readMapping(file, output);
      if (read) output.out.write(`${file}: ok (${read.definition.name}, ${read.definition.deliveries.length} kinds of delivery)\n`);
      else failed = true;
    }
    return failed ? 1 : 0;
  }
  if (command === 'preview' && files.length === 2) {
    const [mappingFile, payloadFile] = files as [string, string];
    const connector = await readMapping(mappingFile, output);
    if (!connector) return 1;
    let payload: unknown;
    try {
      payload = JSON.parse(await readFile(payloadFile, 'utf8'));
    } catch (error) {
      output.err.write(`${payloadFile}: error: not a JSON payload: ${(error as Error).message}\n`);
      return 1;
    }
    const result = mapPayload(connector.definition, payload);
    if ('issues' in result) {
      for (const issue of result.issues) {
        const line = issue.mappingPath ? connector.lineOf(issue.mappingPath) : undefined;
        output.err.write(`${payloadFile}: error: ${issue.path}: ${issue.message}${issue.mappingPath ? ` (read by ${mappingFile}${line ? `:${line}` : ''} ${issue.mappingPath})` : ''}\n`);
      }
      return 1;
    }
    if ('ignored' in result) {
      output.out.write(`Delivery ${result.deliveryId} (${result.kind}) would be acknowledged and ignored: ${result.ignored}\n`);
      return 0;
    }
    output.out.write(`Delivery ${result.deliveryId} (${result.kind}) would become:\n${JSON.stringify(result.event, null, 2)}\n`);
    return 0;
  }
  output.err.write(`steward connectors: ${command ? 'give the files this command needs' : 'which command?'}\n\n${CONNECTORS_USAGE}\n`);
  return 2;
}

async function readMapping(file: string, output: Output): Promise<MappedConnector | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    output.err.write(`${file}: error: cannot read: ${(error as Error).message}\n`);
    return undefined;
  }
  const read = readConnectorMapping(text, file);
  if ('problems' in read) {
    for (const problem of read.problems) output.err.write(`${formatMappingProblem(problem)}\n`);
    return undefined;
  }
  return read.connector;
}
