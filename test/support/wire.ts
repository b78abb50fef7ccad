/**
 * Requests over a real socket to a listening API, as a client on the network would
 * send them: a wire request's bytes are exactly what the test says, so it can carry
 * what well-behaved HTTP clients refuse to send (a Content-Length that is not a
 * number, a URL with half a surrogate pair %-escaped).
 */
import net from 'node:net';

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * %-escapes text for a URL, including what `encodeURIComponent` refuses: half a
 * surrogate pair goes as the three bytes a careless encoder writes for it (WTF-8).
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const unit of text.match(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g) ?? []) {
    const code = unit.charCodeAt(0);
    if (unit.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(unit);
  }
  return out;
}

/** Splits one HTTP/1.1 response (Connection: close, so the body runs to the end). */
function parseResponse(raw: Buffer): WireResponse {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, split === -1 ? raw.length : split).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  let body = split === -1 ? Buffer.alloc(0) : raw.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  // Only the first answer: bytes the server read as a second request get an answer of their own.
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; ) {
    const lineEnd = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** Sends bytes as they are and reads the answer until the server closes the connection (the request says Connection: close). */
export function sendRaw(port: number, bytes: Buffer | string, timeoutMs = 10_000): Promise<WireResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      // The server may close as soon as it has answered, before it read all we sent.
      if (chunks.length > 0) resolve(parseResponse(Buffer.concat(chunks)));
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    });
  });
}

export interface WireRequest {
  method: string;
  /** Already %-escaped, as it goes on the request line. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request with a correct Content-Length (unless the headers give their own). */
export function send(port: number, request: WireRequest): Promise<WireResponse> {
  const body = Buffer.from(request.body ?? '', 'utf8');
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, connection: 'close', ...request.headers };
  if (request.body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) headers['content-length'] = String(body.length);
  const head = [`${request.method} ${request.url} HTTP/1.1`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  return sendRaw(port, Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]));
}
