/**
 * Refusals that come from Fastify or Node's HTTP parser rather than from a route,
 * in the one error shape with the part of the request they are about: a URL that
 * does not decode or is too long, a body too large or of the wrong type, a
 * Content-Length that is not a number.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, type ErrorIssue } from './errors.ts';

/** Longest path segment the router matches; signed unsubscribe tokens travel in the path and need most of it. */
export const MAX_PARAM_LENGTH = 500;

const FRAMEWORK_ISSUES: Record<string, ErrorIssue> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { path: 'body', message: 'is larger than this server accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { path: 'headers.content-type', message: 'is not a type this route reads: send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { path: 'headers.content-length', message: 'does not match the length of the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { path: 'body', message: 'is empty, but Content-Type says JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { path: 'body', message: 'is not valid JSON' },
};

/** The part of the request a Fastify refusal is about, for errors that reach the error handler. */
export function frameworkIssues(error: { code?: string }): ErrorIssue[] | undefined {
  const issue = error.code ? FRAMEWORK_ISSUES[error.code] : undefined;
  return issue ? [issue] : undefined;
}

/**
 * Fastify's `frameworkErrors`: a URL the router cannot take (a %-escape that is not
 * UTF-8, a path segment past MAX_PARAM_LENGTH). No route matched, so, as for a URL
 * that names no route, the answer is JSON; no hook runs, so its headers are set here.
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const status = tooLong ? 414 : 400;
  const message = tooLong ? 'The URL is too long' : 'The URL does not decode';
  const issue = tooLong
    ? { path: 'url', message: `a part of the path is longer than ${MAX_PARAM_LENGTH} characters` }
    : { path: 'url', message: 'a %-escape in the path is not UTF-8 text' };
  return reply.status(status).header('x-content-type-options', 'nosniff').send(errorBody(message, [issue]));
}

/** What Node's HTTP parser refused, by its error code; the parser stops at the first problem. */
function parserRefusal(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): { status: number; message: string; issue: ErrorIssue } {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW': {
      // Node counts the request line into its header limit: a first line past half of it is a long URL.
      const firstLine = error.rawPacket?.subarray(0, 8_192).indexOf('\r\n') ?? 0;
      return firstLine === -1
        ? { status: 414, message: 'The URL is too long', issue: { path: 'url', message: 'is longer than 8 KB' } }
        : { status: 431, message: 'The headers are too large', issue: { path: 'headers', message: 'are larger than 16 KB together' } };
    }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in time', issue: { path: 'body', message: 'was not all received in time' } };
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return { status: 400, message: 'Bad Content-Length', issue: { path: 'headers.content-length', message: 'must be one whole number of bytes' } };
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return { status: 400, message: 'Bad Transfer-Encoding', issue: { path: 'headers.transfer-encoding', message: 'must be chunked, without a Content-Length' } };
    case 'HPE_INVALID_METHOD':
      return { status: 400, message: 'Bad method', issue: { path: 'method', message: 'is not an HTTP method' } };
    case 'HPE_INVALID_URL':
      return { status: 400, message: 'Bad URL', issue: { path: 'url', message: 'has a character a URL may not hold; %-escape it' } };
    case 'HPE_INVALID_HEADER_TOKEN':
      return { status: 400, message: 'Bad header', issue: { path: 'headers', message: 'a header name or value has a character headers may not hold' } };
    default:
      return { status: 400, message: 'The request is not well-formed HTTP', issue: { path: 'request', message: error.message } };
  }
}

/**
 * Fastify's `clientErrorHandler`: a request Node could not parse never reaches
 * Fastify, so the answer is written on the socket by hand, in the one error shape.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection, or one already gone, has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, message, issue } = parserRefusal(error);
  const body = JSON.stringify(errorBody(message, [issue]));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
