/**
 * An in-process HTTP double of Twilio's Messages API (REST API 2010-04-01) for tests.
 *
 * Why a double and not a hand-written fake: a fake only echoes our own beliefs about
 * Twilio. This double holds every request it receives, and every response it gives,
 * to Twilio's own OpenAPI 3.0 description (vendored in test/fixtures/twilio-oai):
 *
 * - the path must match a path template the spec declares, with a method it allows;
 * - HTTP Basic credentials must be the configured accountSid:authToken (the spec's
 *   `accountSid_authToken` security scheme), and the path's AccountSid that account;
 * - path and query parameters, and the form body of a POST, must validate (ajv)
 *   against the operation's schemas, with `$ref`s resolved and OpenAPI 3.0's
 *   `nullable` translated; parameters the spec does not declare are refused;
 * - the rules Twilio states only in prose are enforced too (exactly one sender,
 *   some content, at most 1,600 characters of body);
 * - every success response is checked against the operation's response schema, and
 *   a non-conforming one is a loud failure (HTTP 500 now, and `close()` throws).
 *
 * A refused request is answered as Twilio would (its error JSON: code, message,
 * more_info, status) and recorded in `rejected`, so a test can assert that nothing
 * Steward sent was refused. The double also plays Twilio's side of webhooks: status
 * callbacks and inbound messages, signed with X-Twilio-Signature.
 *
 * Only the Messages resource is implemented (create, fetch, update, delete, list);
 * a request the spec allows but the double does not implement is also a loud failure.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ErrorObject, type Format, type ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = addFormatsPlugin.default;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

export interface TwilioDoubleOptions {
  accountSid: string;
  authToken: string;
}

export interface ReceivedMessage {
  sid: string;
  /** The form fields as sent (To, From, MessagingServiceSid, Body, StatusCallback, ...). A repeated field (MediaUrl) keeps its first value. */
  params: Record<string, string>;
  receivedAt: Date;
}

export type TwilioFailure =
  | { kind: 'transient'; status?: 503 | 429 | 500 }
  | { kind: 'error'; code: number; message?: string };

export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface TwilioDouble {
  /** Where the double listens, e.g. http://127.0.0.1:PORT (stands in for https://api.twilio.com). */
  url: string;
  /** Every accepted message create, in order. */
  messages: ReceivedMessage[];
  /** Every request refused as not matching the spec (or its prose rules), with what was wrong. */
  rejected: { path: string; problems: string[] }[];
  /**
   * Make the next `times` (default 1) creates fail: transient -> HTTP 503 (or 429, 500),
   * or a Twilio error code -> HTTP 400 with that code (e.g. 21211 invalid To, 21610
   * unsubscribed recipient). Only creates that pass validation consume a failure.
   */
  failNext(failure: TwilioFailure, times?: number): void;
  /**
   * POSTs a status callback for a received message to its StatusCallback URL, form-encoded
   * and signed like Twilio's, and records the new status on the message resource.
   */
  sendStatusCallback(sid: string, status: MessageStatus, errorCode?: number): Promise<{ status: number; body: string }>;
  /** POSTs an inbound SMS webhook to `url`, signed like Twilio's (or wrongly, when `forge` is true). */
  sendInbound(
    url: string,
    message: { from: string; to: string; body: string },
    options?: { forge?: boolean },
  ): Promise<{ status: number; body: string; contentType: string | null }>;
  /** Stops the server. Throws if the double ever failed itself (e.g. produced a response the spec does not allow). */
  close(): Promise<void>;
}

/**
 * Twilio's webhook signature: HMAC-SHA1, keyed by the auth token, over the full URL
 * followed by each POST parameter's name and value, sorted by name; base64-encoded.
 */
export function computeTwilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const payload = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac('sha1', authToken).update(payload, 'utf8').digest('base64');
}

/**
 * An httpClient for the `twilio` package that sends what the client addresses to
 * https://api.twilio.com (or a regional api.*.twilio.com) to the double instead.
 */
export function createDoubleHttpClient(doubleUrl: string): RequestClient {
  return new RedirectingRequestClient(doubleUrl);
}

/** A real `twilio` client whose requests go to the double. */
export function createTwilioClient(double: Pick<TwilioDouble, 'url'>, credentials: TwilioDoubleOptions): twilio.Twilio {
  return twilio(credentials.accountSid, credentials.authToken, { httpClient: createDoubleHttpClient(double.url) });
}

const TWILIO_API_ORIGIN = /^https:\/\/api(?:\.[a-z0-9-]+)*\.twilio\.com(?=\/|$)/;

class RedirectingRequestClient extends twilio.RequestClient {
  readonly #target: string;

  constructor(target: string) {
    // No keep-alive: each request closes its connection, so the double can stop promptly.
    super({ keepAlive: false });
    this.#target = target;
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request({ ...opts, uri: opts.uri.replace(TWILIO_API_ORIGIN, this.#target) });
  }
}

// ---------------------------------------------------------------------------
// Twilio's OpenAPI description
// ---------------------------------------------------------------------------

const SPEC_URL = new URL('../fixtures/twilio-oai/twilio_api_v2010.json', import.meta.url);

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type HttpMethod = (typeof HTTP_METHODS)[number];

/** A schema as the spec writes it (OpenAPI 3.0 dialect) or as ajv gets it (JSON Schema). */
type Schema = { [keyword: string]: unknown };

interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface OpenApiContent {
  [mediaType: string]: { schema?: Schema } | undefined;
}

interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: OpenApiContent };
  responses: { [status: string]: { content?: OpenApiContent } | undefined };
}

type OpenApiPathItem = { [method in HttpMethod]?: OpenApiOperation };

interface OpenApiDocument {
  openapi: string;
  paths: { [template: string]: OpenApiPathItem };
}

interface Route {
  template: string;
  pattern: RegExp;
  paramNames: string[];
  item: OpenApiPathItem;
  /** How much of the template is literal text: the more, the more specific the route. */
  specificity: number;
}

/** What is checked for one operation, compiled once from the spec. */
interface OperationValidators {
  path: ValidateFunction;
  query: ValidateFunction;
  body?: {
    mediaTypes: string[];
    validate: ValidateFunction;
    /** Properties whose schema is an array: a form field may repeat to give several values. */
    arrayFields: ReadonlySet<string>;
  };
  /** Response validators by status, for the statuses whose JSON body the spec describes. */
  responses: Map<string, ValidateFunction>;
  /** Statuses the spec declares at all (some, like 204, have no body). */
  declaredStatuses: ReadonlySet<string>;
}

interface LoadedSpec {
  routes: Route[];
  validatorsFor(operation: OpenApiOperation): OperationValidators;
}

let loadedSpec: LoadedSpec | undefined;

/** Reads and prepares the spec once per test process; the doubles share it. */
function loadSpec(): LoadedSpec {
  if (loadedSpec) return loadedSpec;
  const document = JSON.parse(readFileSync(SPEC_URL, 'utf8')) as OpenApiDocument;
  if (!document.openapi?.startsWith('3.0')) throw new Error(`Expected an OpenAPI 3.0 document at ${SPEC_URL.href}`);

  // Requests arrive as strings (path, query string, form), so they are coerced to the
  // declared types; responses are ours to get exactly right, so they are not.
  const requestAjv = createAjv('request');
  const responseAjv = createAjv('response');
  assertFormatsKnown(document, requestAjv);

  const cache = new WeakMap<OpenApiOperation, OperationValidators>();
  loadedSpec = {
    routes: compileRoutes(document),
    validatorsFor(operation) {
      let validators = cache.get(operation);
      if (!validators) {
        validators = compileOperation(document, operation, requestAjv, responseAjv);
        cache.set(operation, validators);
      }
      return validators;
    },
  };
  return loadedSpec;
}

function compileRoutes(document: OpenApiDocument): Route[] {
  const routes = Object.entries(document.paths).map(([template, item]): Route => {
    const paramNames: string[] = [];
    // Split on {Name}: even indexes are literal text, odd ones parameter names.
    const parts = template.split(/\{([^}]+)\}/);
    const source = parts
      .map((part, index) => {
        if (index % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        paramNames.push(part);
        return '([^/]+)';
      })
      .join('');
    const specificity = parts.filter((_, index) => index % 2 === 0).join('').length;
    return { template, pattern: new RegExp(`^${source}$`), paramNames, item, specificity };
  });
  return routes.sort((a, b) => b.specificity - a.specificity);
}

function matchRoute(routes: Route[], pathname: string): { route: Route; params: Record<string, string> } | undefined {
  for (const route of routes) {
    const match = route.pattern.exec(pathname);
    if (!match) continue;
    const params: Record<string, string> = {};
    try {
      route.paramNames.forEach((name, index) => {
        params[name] = decodeURIComponent(match[index + 1] ?? '');
      });
    } catch {
      continue; // Malformed percent-encoding: not a path this route names.
    }
    return { route, params };
  }
  return undefined;
}

function compileOperation(
  document: OpenApiDocument,
  operation: OpenApiOperation,
  requestAjv: Ajv,
  responseAjv: Ajv,
): OperationValidators {
  const validators: OperationValidators = {
    path: requestAjv.compile(parametersSchema(document, operation, 'path')),
    query: requestAjv.compile(parametersSchema(document, operation, 'query')),
    responses: new Map(),
    declaredStatuses: new Set(Object.keys(operation.responses)),
  };

  const form = operation.requestBody?.content[FORM_MEDIA_TYPE]?.schema;
  if (operation.requestBody) {
    if (!form) throw new Error(`${operation.operationId}: the double only speaks ${FORM_MEDIA_TYPE} request bodies`);
    const schema = toJsonSchema(document, form);
    // Twilio itself ignores parameters it does not know; in a double, an unknown name
    // is almost always a typo in our code, so the body is closed to undeclared ones.
    schema.additionalProperties ??= false;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    const arrayFields = new Set(Object.keys(properties).filter((name) => schemaTypes(properties[name]).includes('array')));
    validators.body = {
      mediaTypes: Object.keys(operation.requestBody.content),
      validate: requestAjv.compile(schema),
      arrayFields,
    };
  }

  for (const [status, response] of Object.entries(operation.responses)) {
    const schema = response?.content?.['application/json']?.schema;
    if (schema) validators.responses.set(status, responseAjv.compile(toJsonSchema(document, schema)));
  }
  return validators;
}

/** The operation's path or query parameters as one closed object schema. */
function parametersSchema(document: OpenApiDocument, operation: OpenApiOperation, location: 'path' | 'query'): Schema {
  const parameters = (operation.parameters ?? []).filter((parameter) => parameter.in === location);
  return {
    type: 'object',
    properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema ? toJsonSchema(document, p.schema) : {}])),
    required: parameters.filter((p) => p.required || location === 'path').map((p) => p.name),
    additionalProperties: false,
  };
}

/** Keywords of OpenAPI's schema dialect that carry no validation and are dropped. */
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'externalDocs', 'xml', 'discriminator', 'deprecated']);

/**
 * Translates an OpenAPI 3.0 schema into plain JSON Schema for ajv: `$ref`s into the
 * document are inlined (the Messages schemas are not recursive; a cycle is an error),
 * `nullable: true` becomes a type array with "null", annotations and `x-` extensions
 * are dropped, except that Twilio's `x-twilio.ignoreFormat` is honoured by dropping
 * the format it marks.
 */
function toJsonSchema(document: OpenApiDocument, schema: Schema, refTrail: readonly string[] = []): Schema {
  const ref = schema.$ref;
  if (typeof ref === 'string') {
    // In OpenAPI 3.0, keywords beside $ref are ignored.
    if (refTrail.includes(ref)) throw new Error(`Recursive schema reference ${ref} is not supported`);
    return toJsonSchema(document, resolvePointer(document, ref), [...refTrail, ref]);
  }

  const convert = (subschema: unknown): Schema => toJsonSchema(document, subschema as Schema, refTrail);
  const result: Schema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword) || keyword.startsWith('x-') || keyword === 'nullable') continue;
    if (keyword === 'properties') {
      result.properties = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, s]) => [name, convert(s)]));
    } else if (keyword === 'items' || keyword === 'not' || (keyword === 'additionalProperties' && typeof value === 'object')) {
      result[keyword] = convert(value);
    } else if (keyword === 'allOf' || keyword === 'anyOf' || keyword === 'oneOf') {
      result[keyword] = (value as unknown[]).map(convert);
    } else {
      result[keyword] = value;
    }
  }

  const extension = schema['x-twilio'] as { ignoreFormat?: boolean } | undefined;
  if (extension?.ignoreFormat) delete result.format;

  if (schema.nullable !== true) return result;
  if (result.type === undefined) return { anyOf: [result, { type: 'null' }] };
  result.type = [...schemaTypes(result), 'null'];
  if (Array.isArray(result.enum)) result.enum = [...result.enum, null];
  return result;
}

function schemaTypes(schema: Schema | undefined): string[] {
  const type = schema?.type;
  return Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
}

function resolvePointer(document: OpenApiDocument, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`Only references within the document are supported, not ${ref}`);
  let node: unknown = document;
  for (const token of ref.slice(2).split('/')) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    if (node === undefined) throw new Error(`Unresolvable reference ${ref}`);
  }
  return node as Schema;
}

// ---------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------

const E164 = /^\+[1-9]\d{1,14}$/;
/** A messaging-channel address, e.g. whatsapp:+15552229999 or messenger:1234567890. */
const CHANNEL_ADDRESS = /^[a-z][a-z0-9-]*:\S+$/;
const RFC_2822_DATE_TIME =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

/** An absolute http(s) URL with a hostname, which Twilio says may not contain underscores. */
function isCallableUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && !url.hostname.includes('_');
}

/**
 * Twilio's own formats, permissive but sane. In a request a `uri` must be a URL Twilio
 * can call; in a response it may also be a path relative to https://api.twilio.com, as
 * Twilio's `*_uri` fields are.
 */
function twilioFormats(direction: 'request' | 'response'): Record<string, Format> {
  return {
    'phone-number': (value: string) => E164.test(value) || CHANNEL_ADDRESS.test(value),
    uri: direction === 'request' ? isCallableUrl : (value: string) => isCallableUrl(value) || /^\/\S*$/.test(value),
    'date-time-rfc-2822': (value: string) => RFC_2822_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
    currency: /^[A-Za-z]{3}$/,
    'iso-country-code': /^[A-Z]{2}$/,
    'http-method': /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/i,
    // Voice formats, outside the Messages API: a call endpoint (number, client:, sip: ...) and a TwiML document.
    endpoint: (value: string) => E164.test(value) || CHANNEL_ADDRESS.test(value),
    twiml: (value: string) => value.trim().startsWith('<'),
    // Formats Twilio puts on objects. ajv applies formats to strings only, so these only need to be known.
    'uri-map': true,
    'phone-number-capabilities': true,
    'ice-server': true,
  };
}

function createAjv(direction: 'request' | 'response'): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: direction === 'request' });
  addFormats(ajv);
  for (const [name, format] of Object.entries(twilioFormats(direction))) ajv.addFormat(name, format);
  return ajv;
}

/** Every format the spec uses must be checked by something: a new one fails loudly here. */
function assertFormatsKnown(document: OpenApiDocument, ajv: Ajv): void {
  const unknown = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const { format, type } = node as Schema;
    if (typeof format === 'string' && type !== undefined && ajv.formats[format] === undefined) unknown.add(format);
    Object.values(node).forEach(visit);
  };
  visit(document);
  if (unknown.size > 0) throw new Error(`Twilio's spec uses formats the double does not know: ${[...unknown].join(', ')}`);
}

// ---------------------------------------------------------------------------
// Twilio's errors and prose rules
// ---------------------------------------------------------------------------

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** A request that does not match what the API expects (Twilio's "Bad request"). */
const BAD_REQUEST = 70002;
const AUTHENTICATE = 20003;
const NOT_FOUND = 20404;
const METHOD_NOT_ALLOWED = 20004;

/** Twilio's specific codes for a missing or invalid parameter, where it has one. */
const MISSING_PARAMETER_CODES: Record<string, number> = { To: 21604, From: 21603, Body: 21602 };
const INVALID_PARAMETER_CODES: Record<string, number> = { To: 21211, From: 21212, StatusCallback: 21609, MediaUrl: 21620 };

/** Twilio's messages for the error codes a test is likely to inject. */
const ERROR_MESSAGES: Record<number, string> = {
  21211: "Invalid 'To' Phone Number",
  21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
  21610: 'Attempt to send to unsubscribed recipient',
  21612: "The 'To' phone number is not currently reachable via SMS",
  21614: "'To' number is not a valid mobile number",
};

const TRANSIENT_ERRORS: Record<503 | 429 | 500, { code: number; message: string }> = {
  503: { code: 20503, message: 'Service Unavailable' },
  429: { code: 20429, message: 'Too Many Requests' },
  500: { code: 20500, message: 'Internal Server Error' },
};

interface Problem {
  code: number;
  text: string;
}

interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** Describes ajv's findings about an object of parameters (or response fields), `what` naming one of them. */
function describeErrors(errors: ErrorObject[] | null | undefined, what: string, fallbackCode: number): Problem[] {
  return (errors ?? []).map((error) => {
    if (error.keyword === 'required') {
      const name = String(error.params.missingProperty);
      return { code: MISSING_PARAMETER_CODES[name] ?? fallbackCode, text: `missing required ${what} '${name}'` };
    }
    if (error.keyword === 'additionalProperties') {
      const name = String(error.params.additionalProperty);
      return { code: fallbackCode, text: `unknown ${what} '${name}' (not declared in Twilio's spec)` };
    }
    const [name = '', ...rest] = error.instancePath
      .split('/')
      .slice(1)
      .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
    const label = name + rest.map((index) => `[${index}]`).join('');
    return { code: INVALID_PARAMETER_CODES[name] ?? fallbackCode, text: `${what} '${label}' ${error.message ?? error.keyword}` };
  });
}

/** Rules the spec states only in its descriptions, by operationId. */
const PROSE_RULES: Record<string, (form: URLSearchParams) => Problem[]> = {
  CreateMessage(form) {
    const problems: Problem[] = [];
    const senders = ['From', 'MessagingServiceSid'].filter((name) => form.has(name));
    if (senders.length === 0) {
      problems.push({ code: 21603, text: "exactly one of 'From' or 'MessagingServiceSid' is required; neither was given" });
    } else if (senders.length > 1) {
      // Twilio tolerates both (From then picks a sender from the service's pool), but
      // Steward should say which sender it means: giving both is refused here.
      problems.push({ code: BAD_REQUEST, text: "exactly one of 'From' or 'MessagingServiceSid' is required; both were given" });
    }
    if (!['Body', 'MediaUrl', 'ContentSid'].some((name) => form.has(name))) {
      problems.push({ code: 21602, text: "at least one of 'Body', 'MediaUrl' or 'ContentSid' is required" });
    }
    const body = form.get('Body');
    if (body !== null && [...body].length > 1600) {
      problems.push({ code: 21617, text: "'Body' exceeds the 1,600 character limit" });
    }
    return problems;
  },
  UpdateMessage(form) {
    const body = form.get('Body');
    // The only update of Body Twilio allows is redaction.
    return body !== null && body !== '' ? [{ code: BAD_REQUEST, text: "'Body' can only be updated to the empty string (redaction)" }] : [];
  },
};

// ---------------------------------------------------------------------------
// Message resources
// ---------------------------------------------------------------------------

/** A Message resource as Twilio returns it (api.v2010.account.message). */
interface MessageResource {
  account_sid: string;
  api_version: string;
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: 'outbound-api';
  error_code: number | null;
  error_message: string | null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string | null;
  sid: string;
  status: string;
  subresource_uris: { media: string };
  to: string;
  uri: string;
}

const API_VERSION = '2010-04-01';

/** Twilio's RFC 2822 timestamps: "Thu, 24 Aug 2023 05:01:45 +0000". */
function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

function newSid(prefix: 'SM' | 'MM'): string {
  return prefix + randomBytes(16).toString('hex');
}

const GSM_7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_7_EXTENSION = new Set('^{}\\[~]|€\f');

/**
 * How many SMS segments a body takes: GSM-7 (extension characters count twice) fits
 * 160 per single message or 153 per segment; otherwise UCS-2 fits 70, or 67 per segment.
 */
function countSegments(body: string): number {
  const characters = [...body];
  if (characters.every((c) => GSM_7_BASIC.has(c) || GSM_7_EXTENSION.has(c))) {
    const septets = characters.reduce((sum, c) => sum + (GSM_7_EXTENSION.has(c) ? 2 : 1), 0);
    return septets <= 160 ? 1 : Math.ceil(septets / 153);
  }
  return body.length <= 70 ? 1 : Math.ceil(body.length / 67);
}

/** Form data as ajv sees it: a field repeats into an array where the schema wants one. */
function formToData(form: URLSearchParams, arrayFields: ReadonlySet<string>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const name of new Set(form.keys())) {
    const values = form.getAll(name);
    // A scalar field given twice stays an array, so that ajv reports it.
    data[name] = arrayFields.has(name) || values.length > 1 ? values : values[0];
  }
  return data;
}

function firstValues(form: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of form) if (!(name in params)) params[name] = value;
  return params;
}

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request that passed validation, as a handler sees it. */
interface ValidRequest {
  pathname: string;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  form: URLSearchParams;
}

export async function startTwilioDouble(options: TwilioDoubleOptions): Promise<TwilioDouble> {
  const spec = loadSpec();
  const { accountSid, authToken } = options;
  const expectedAuthorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  const messages: ReceivedMessage[] = [];
  const rejected: TwilioDouble['rejected'] = [];
  const resources = new Map<string, MessageResource>();
  const pendingFailures: TwilioFailure[] = [];
  /** The double's own failures; `close()` throws them. */
  const faults: Error[] = [];

  const notFound = (pathname: string): Reply => ({
    status: 404,
    body: twilioError(404, NOT_FOUND, `The requested resource ${pathname} was not found`),
  });

  /** Answers valid requests, by the spec's operationId. */
  const handlers: Record<string, (request: ValidRequest) => Reply> = {
    CreateMessage({ form }) {
      const failure = pendingFailures.shift();
      if (failure?.kind === 'transient') {
        const status = failure.status ?? 503;
        const { code, message } = TRANSIENT_ERRORS[status];
        const headers = status === 429 ? { 'retry-after': '1' } : undefined;
        return { status, body: twilioError(status, code, message), headers };
      }
      if (failure?.kind === 'error') {
        const message = failure.message ?? ERROR_MESSAGES[failure.code] ?? `Twilio error ${failure.code}`;
        return { status: 400, body: twilioError(400, failure.code, message) };
      }

      const now = new Date();
      const mediaCount = form.getAll('MediaUrl').length;
      const sid = newSid(mediaCount > 0 ? 'MM' : 'SM');
      const uri = `/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}.json`;
      const body = form.get('Body') ?? '';
      const resource: MessageResource = {
        account_sid: accountSid,
        api_version: API_VERSION,
        body,
        date_created: rfc2822(now),
        date_sent: null,
        date_updated: rfc2822(now),
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        // With only a Messaging Service, Twilio picks the sender later: `from` is null for now.
        from: form.get('From'),
        messaging_service_sid: form.get('MessagingServiceSid'),
        num_media: String(mediaCount),
        num_segments: String(body === '' ? 1 : countSegments(body)),
        price: null,
        price_unit: null,
        sid,
        status: form.get('ScheduleType') === 'fixed' ? 'scheduled' : 'queued',
        subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
        to: form.get('To') ?? '',
        uri,
      };
      resources.set(sid, resource);
      messages.push({ sid, params: firstValues(form), receivedAt: now });
      return { status: 201, body: resource };
    },

    FetchMessage({ pathname, path }) {
      const resource = resources.get(String(path.Sid));
      return resource ? { status: 200, body: resource } : notFound(pathname);
    },

    UpdateMessage({ pathname, path, form }) {
      const resource = resources.get(String(path.Sid));
      if (!resource) return notFound(pathname);
      if (form.get('Body') === '') resource.body = '';
      if (form.get('Status') === 'canceled') resource.status = 'canceled';
      resource.date_updated = rfc2822(new Date());
      return { status: 200, body: resource };
    },

    DeleteMessage({ pathname, path }) {
      return resources.delete(String(path.Sid)) ? { status: 204 } : notFound(pathname);
    },

    ListMessage({ pathname, query }) {
      const pageSize = typeof query.PageSize === 'number' ? query.PageSize : 50;
      const page = typeof query.Page === 'number' ? query.Page : 0;
      const matching = [...resources.values()]
        .reverse() // Newest first, as Twilio lists them.
        .filter((m) => (query.To === undefined || m.to === query.To) && (query.From === undefined || m.from === query.From));
      const start = page * pageSize;
      const onPage = matching.slice(start, start + pageSize);
      const filters = ['To', 'From'].flatMap((name): [string, string][] =>
        query[name] === undefined ? [] : [[name, String(query[name])]],
      );
      const pageUri = (n: number) =>
        `${pathname}?${new URLSearchParams([...filters, ['PageSize', String(pageSize)], ['Page', String(n)]])}`;
      return {
        status: 200,
        body: {
          messages: onPage,
          start,
          end: start + Math.max(onPage.length - 1, 0),
          page,
          page_size: pageSize,
          uri: pageUri(page),
          first_page_uri: pageUri(0),
          next_page_uri: start + pageSize < matching.length ? pageUri(page + 1) : null,
          previous_page_uri: page > 0 ? pageUri(page - 1) : null,
        },
      };
    },
  };

  /** Validates a request against the spec; answers with a refusal, or hands it to its handler. */
  function respondTo(method: string, url: URL, headers: IncomingMessage['headers'], rawBody: string): Reply {
    const refuse = (status: number, problems: Problem[]): Reply => {
      rejected.push({ path: url.pathname, problems: problems.map((p) => p.text) });
      const first = problems[0] ?? { code: BAD_REQUEST, text: 'bad request' };
      const message = status === 401 ? 'Authenticate' : problems.map((p) => p.text).join('; ');
      return {
        status,
        body: twilioError(status, first.code, message),
        headers: status === 401 ? { 'www-authenticate': 'Basic realm="Twilio API"' } : {},
      };
    };

    const match = matchRoute(spec.routes, url.pathname);
    if (!match) {
      return refuse(404, [{ code: NOT_FOUND, text: `no path template in Twilio's spec matches ${url.pathname}` }]);
    }
    const operation = (HTTP_METHODS as readonly string[]).includes(method) ? match.route.item[method as HttpMethod] : undefined;
    if (!operation) {
      return refuse(405, [{ code: METHOD_NOT_ALLOWED, text: `${method.toUpperCase()} is not an operation of ${match.route.template}` }]);
    }

    if (headers.authorization !== expectedAuthorization) {
      return refuse(401, [{ code: AUTHENTICATE, text: 'HTTP Basic credentials are missing or are not accountSid:authToken' }]);
    }

    const validators = spec.validatorsFor(operation);
    const path: Record<string, unknown> = { ...match.params };
    if (!validators.path(path)) return refuse(404, describeErrors(validators.path.errors, 'path parameter', NOT_FOUND));
    if ('AccountSid' in path && path.AccountSid !== accountSid) {
      return refuse(404, [{ code: NOT_FOUND, text: `path AccountSid ${String(path.AccountSid)} is not the double's account` }]);
    }

    const query = formToData(url.searchParams, new Set());
    const problems: Problem[] = validators.query(query) ? [] : describeErrors(validators.query.errors, 'query parameter', BAD_REQUEST);

    const form = new URLSearchParams();
    if (validators.body) {
      const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!validators.body.mediaTypes.includes(mediaType)) {
        problems.push({
          code: BAD_REQUEST,
          text: `content-type must be ${validators.body.mediaTypes.join(' or ')}, not '${mediaType || '(none)'}'`,
        });
      } else {
        new URLSearchParams(rawBody).forEach((value, name) => form.append(name, value));
        if (!validators.body.validate(formToData(form, validators.body.arrayFields))) {
          problems.push(...describeErrors(validators.body.validate.errors, 'form parameter', BAD_REQUEST));
        }
      }
    } else if (rawBody !== '') {
      problems.push({ code: BAD_REQUEST, text: `${operation.operationId} takes no request body` });
    }
    if (problems.length === 0) problems.push(...(PROSE_RULES[operation.operationId ?? '']?.(form) ?? []));
    if (problems.length > 0) return refuse(400, problems);

    const handler = handlers[operation.operationId ?? ''];
    if (!handler) {
      throw new Error(`The Twilio double does not implement ${operation.operationId} (${method.toUpperCase()} ${match.route.template})`);
    }
    const reply = handler({ pathname: url.pathname, path, query, form });
    checkReply(operation, validators, reply);
    return reply;
  }

  /** The double's answers must be ones Twilio could give: a success the spec does not describe is a fault. */
  function checkReply(operation: OpenApiOperation, validators: OperationValidators, reply: Reply): void {
    if (reply.status >= 400) return; // Twilio's spec describes no error bodies.
    const status = String(reply.status);
    if (!validators.declaredStatuses.has(status)) {
      throw new Error(`The Twilio double answered ${operation.operationId} with ${status}, which the spec does not declare`);
    }
    const validate = validators.responses.get(status);
    if (validate && !validate(reply.body)) {
      const problems = describeErrors(validate.errors, 'response field', 0).map((p) => p.text);
      throw new Error(`The Twilio double's ${status} response to ${operation.operationId} does not conform to the spec: ${problems.join('; ')}`);
    }
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let reply: Reply;
      try {
        const url = new URL(request.url ?? '/', 'http://twilio-double.invalid');
        reply = respondTo((request.method ?? 'GET').toLowerCase(), url, request.headers, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        const fault = error instanceof Error ? error : new Error(String(error));
        faults.push(fault);
        console.error(fault);
        reply = { status: 500, body: twilioError(500, 20500, fault.message) };
      }
      const headers: Record<string, string> = { ...reply.headers };
      if (reply.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
      response.writeHead(reply.status, headers);
      response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  /** POSTs a form to a webhook the way Twilio does. */
  async function postWebhook(url: string, params: Record<string, string>, signingKey: string) {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': FORM_MEDIA_TYPE,
        'user-agent': 'TwilioProxy/1.1',
        'x-twilio-signature': computeTwilioSignature(signingKey, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, body: await response.text(), contentType: response.headers.get('content-type') };
  }

  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    rejected,

    failNext(failure, times = 1) {
      for (let i = 0; i < times; i++) pendingFailures.push(failure);
    },

    async sendStatusCallback(sid, status, errorCode) {
      const resource = resources.get(sid);
      const callbackUrl = messages.find((m) => m.sid === sid)?.params.StatusCallback;
      if (!resource) throw new Error(`The Twilio double has no message ${sid}`);
      if (!callbackUrl) throw new Error(`Message ${sid} was created without a StatusCallback`);

      const now = new Date();
      resource.status = status;
      resource.date_updated = rfc2822(now);
      if (status === 'sent' || status === 'delivered') resource.date_sent ??= rfc2822(now);
      resource.error_code = errorCode ?? null;

      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        MessageSid: sid,
        MessageStatus: status,
        SmsSid: sid,
        SmsStatus: status,
        To: resource.to,
      };
      if (resource.from !== null) params.From = resource.from;
      if (resource.messaging_service_sid !== null) params.MessagingServiceSid = resource.messaging_service_sid;
      if (errorCode !== undefined) params.ErrorCode = String(errorCode);
      const { status: httpStatus, body } = await postWebhook(callbackUrl, params, authToken);
      return { status: httpStatus, body };
    },

    async sendInbound(url, message, inboundOptions = {}) {
      const sid = newSid('SM');
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: API_VERSION,
        Body: message.body,
        From: message.from,
        MessageSid: sid,
        NumMedia: '0',
        NumSegments: String(countSegments(message.body)),
        SmsMessageSid: sid,
        SmsSid: sid,
        SmsStatus: 'received',
        To: message.to,
      };
      // A forged request is signed with a key that is not the auth token.
      return postWebhook(url, params, inboundOptions.forge ? `forged-${authToken}` : authToken);
    },

    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      if (faults.length > 0) {
        throw new Error(`The Twilio double failed ${faults.length} time(s):\n${faults.map((f) => f.message).join('\n')}`);
      }
    },
  };
}
