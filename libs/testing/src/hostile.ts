import { connect } from 'node:net';
import { Client } from 'pg';

/**
 * A hostile-input corpus every service's e2e suite runs against each of its write endpoints:
 * requests an attacker (or a broken client) sends, each of which must get a 4xx problem document,
 * store nothing, and leave the service answering the next good request. The bytes go out over a
 * raw socket, so nothing (fetch included) tidies them up on the way.
 */

/** One write endpoint, as the corpus needs to know it. */
export interface HostileTarget {
  /** e.g. `POST /v1/accounts`. */
  name: string;
  path: string;
  /** `POST` unless said; every case, malformed HTTP included, goes out with this method. */
  method?: string;
  /**
   * A body the endpoint accepts; cases are made from it. For an endpoint that takes no body
   * (`DELETE /things/{id}`), a body a client might plausibly send, which it must refuse like any other.
   */
  valid(): Record<string, unknown>;
  /** A top-level key of `valid()` whose value the structural cases replace. */
  field: string;
  /** A dotted path in `valid()` to a text field (name, reference, token), for the character cases. */
  textField: string;
  /** Headers a request needs besides its body's (authorisation; the store webhook signs the bytes). */
  headers?(body: Buffer): Record<string, string>;
  /** A good request right after each case; asserts its normal answer. */
  good(): Promise<void>;
}

export interface HostileCase {
  name: string;
  /** 4xx statuses this case may be answered with (the first is the expected one). */
  status: number[];
  /** The JSON limit the 400 must name (`limit.name` of the problem). */
  limit?: string;
  /** Builds the raw request; `sign` adds the target's headers for a body. */
  request(target: HostileTarget, path: string): Buffer;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const CRLF = '\r\n';

/** A request with a JSON body (or another media type) and the target's own headers, e.g. the signature. */
function withBody(
  body: Buffer | string,
  { contentType = 'application/json' as string | null, extra = {} as Record<string, string> } = {},
) {
  return (target: HostileTarget, path: string): Buffer => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const headers: Record<string, string> = {
      ...target.headers?.(bytes),
      ...(contentType === null ? {} : { 'content-type': contentType }),
      ...extra,
    };
    if (contentType === null) delete headers['content-type'];
    return request(path, headers, bytes, methodOf(target));
  };
}

const methodOf = (target: HostileTarget): string => target.method ?? 'POST';

function request(path: string, headers: Record<string, string>, body?: Buffer, method = 'POST'): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined && !('transfer-encoding' in headers) && !('content-length' in headers))
    lines.push(`content-length: ${body.length}`);
  return Buffer.concat([Buffer.from(lines.join(CRLF) + CRLF + CRLF, 'latin1'), body ?? Buffer.alloc(0)]);
}

/** `valid()` with its `field` replaced by raw JSON text (which may be anything, valid JSON or not). */
function replacingField(target: HostileTarget, json: string): string {
  const marker = '"\u0001hostile\u0001"';
  const body = { ...target.valid(), [target.field]: '\u0001hostile\u0001' };
  return JSON.stringify(body).replace(JSON.stringify(marker.slice(1, -1)), json);
}

/** `valid()` with the text at `target.textField` set to `value`. */
function withText(target: HostileTarget, value: string): string {
  const body = structuredClone(target.valid());
  const keys = target.textField.split('.');
  let node = body as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
  return JSON.stringify(body);
}

/** A case whose body is `valid()` with `field` replaced by raw JSON text. */
const field = (name: string, json: () => string, limit?: string): HostileCase => ({
  name,
  status: [400],
  limit,
  request: (target, path) => withBody(replacingField(target, json()))(target, path),
});

const text = (name: string, value: string): HostileCase => ({
  name,
  status: [400],
  request: (target, path) => withBody(withText(target, value))(target, path),
});

const body = (
  name: string,
  make: (target: HostileTarget) => Buffer | string,
  options: { status?: number[]; contentType?: string | null } = {},
): HostileCase => ({
  name,
  status: options.status ?? [400],
  request: (target, path) =>
    withBody(make(target), {
      contentType: 'contentType' in options ? (options.contentType ?? null) : 'application/json',
    })(target, path),
});

const raw = (
  name: string,
  status: number[],
  make: (target: HostileTarget, path: string) => Buffer,
): HostileCase => ({
  name,
  status,
  request: make,
});

/** Swaps one byte sequence of the valid body for raw bytes (invalid UTF-8 and its kin). */
function withBytes(target: HostileTarget, bytes: number[]): Buffer {
  const [before, after] = withText(target, '@@bytes@@').split('@@bytes@@') as [string, string];
  return Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
}

/** The edge's usual body limit (CONTRACT "Everywhere"). */
const DEFAULT_BODY_LIMIT = 256 * 1024;
/** Above this, an over-limit body is only declared: sending it all would race the server's close. */
const SEND_WHOLE_BODY_UP_TO = 1024 * 1024;

const sizeName = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`;

/**
 * A body over `limit`, sent with its length, and one sent chunked (no length known up front). Up to
 * 1 MiB the whole body goes out; above, the request declares the over-limit length and sends 64 KiB
 * of it, as a server refuses on the header before reading (and, closing, would make the kernel reset
 * a connection with unread bytes, answer and all).
 */
function oversizedBodyCases(limit: number): HostileCase[] {
  const whole = limit <= SEND_WHOLE_BODY_UP_TO;
  return [
    {
      name: whole ? `a body over ${sizeName(limit)}` : `a body declared over ${sizeName(limit)}`,
      status: [413],
      request: (target, path) => {
        if (whole) {
          const padding = 'x'.repeat(limit + 44 * 1024);
          return withBody(JSON.stringify({ ...target.valid(), padding }))(target, path);
        }
        const bytes = Buffer.from(JSON.stringify({ ...target.valid(), padding: 'x'.repeat(64 * 1024) }));
        const headers = {
          ...target.headers?.(bytes),
          'content-type': 'application/json',
          'content-length': String(limit + 1024),
        };
        return request(path, headers, bytes, methodOf(target));
      },
    },
    raw(`a chunked body over ${sizeName(limit)}`, [413], (target, path) => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const parts: Buffer[] = [];
      for (let i = 0; i < Math.ceil(limit / chunk.length) + 1; i++)
        parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
      const head = request(
        path,
        {
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
          ...target.headers?.(Buffer.alloc(0)),
        },
        undefined,
        methodOf(target),
      );
      return Buffer.concat([head, ...parts, Buffer.from('0\r\n\r\n')]);
    }),
  ];
}

/** The corpus for an endpoint whose body limit is `bodyLimitBytes` (the size cases scaled to it). */
export function hostileCasesFor(bodyLimitBytes: number): readonly HostileCase[] {
  const usual = oversizedBodyCases(DEFAULT_BODY_LIMIT).map((hostile) => hostile.name);
  return [
    ...oversizedBodyCases(bodyLimitBytes),
    ...HOSTILE_CASES.filter((hostile) => !usual.includes(hostile.name)),
  ];
}

export const HOSTILE_CASES: readonly HostileCase[] = [
  // Depth, width and size.
  field('100,000 nested arrays (200 KB)', () => '['.repeat(100_000) + ']'.repeat(100_000), 'maxDepth'),
  field('objects nested 33 deep', () => '{"a":'.repeat(33) + '1' + '}'.repeat(33), 'maxDepth'),
  field('an array of 50,000 elements', () => `[${'0,'.repeat(49_999)}0]`, 'maxElements'),
  field(
    'an object of 20,000 keys',
    () => `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":0`).join(',')}}`,
  ),
  field('a 200 KB string', () => JSON.stringify('x'.repeat(200_000))),
  field('a 20 KB key', () => `{${JSON.stringify('k'.repeat(20_000))}:1}`),
  field(
    '20,000 values within every other limit',
    () => `[${Array.from({ length: 20 }, () => `[${'0,'.repeat(999)}0]`).join(',')}]`,
  ),
  ...oversizedBodyCases(DEFAULT_BODY_LIMIT),
  // Numbers.
  field('a number beyond double range (1e400)', () => '1e400'),
  field('a negative number beyond double range', () => '-1e400'),
  field('a number that underflows to zero (1e-400)', () => '1e-400'),
  field('an integer beyond 2^53', () => '9007199254740993'),
  field('a 100-digit number', () => '1'.repeat(100)),
  field('NaN', () => 'NaN'),
  field('Infinity', () => 'Infinity'),
  field('a hex number', () => '0x10'),
  // Keys.
  body('a duplicate key', (target) => {
    const json = JSON.stringify(target.valid());
    return `{${JSON.stringify(target.field)}:null,${json.slice(1)}`;
  }),
  body(
    'a __proto__ key',
    (target) => `{"__proto__":{"isAdmin":true},${JSON.stringify(target.valid()).slice(1)}`,
  ),
  body(
    'a constructor key',
    (target) => `{"constructor":{"prototype":{"isAdmin":true}},${JSON.stringify(target.valid()).slice(1)}`,
  ),
  field('a nested prototype key', () => '{"prototype":{"isAdmin":true}}'),
  // Text and encodings.
  body('invalid UTF-8 (C3 28)', (target) => withBytes(target, [0xc3, 0x28])),
  body('an overlong UTF-8 encoding (C0 AF)', (target) => withBytes(target, [0xc0, 0xaf])),
  body('a UTF-8 encoded surrogate (ED A0 80)', (target) => withBytes(target, [0xed, 0xa0, 0x80])),
  body('Latin-1 bytes (E9)', (target) => withBytes(target, [0x4a, 0x6f, 0x73, 0xe9])),
  body('a lone surrogate escape', (target) => withText(target, '\u0001').replace('\\u0001', '\\ud800')),
  text('a NUL character', 'Ana\u0000Lima'),
  text('a bell (U+0007)', 'Ana\u0007Lima'),
  text('an ANSI escape sequence', '\u001b[31mAna Lima\u001b[0m'),
  text('a newline', 'Ana\nLima'),
  text('a right-to-left override (U+202E)', 'Ana\u202eamiL'),
  text('a zero-width space (U+200B)', 'Ana\u200bLima'),
  text('a line separator (U+2028)', 'Ana\u2028Lima'),
  text('a byte order mark inside text (U+FEFF)', 'Ana\ufeffLima'),
  body('an unescaped control character in a string', (target) =>
    withText(target, '\u0001').replace('\\u0001', '\u0001'),
  ),
  // Not JSON, or not a JSON object.
  body('truncated JSON', (target) => JSON.stringify(target.valid()).slice(0, -5)),
  body('trailing data after the object', (target) => `${JSON.stringify(target.valid())} {}`),
  body('a comment in JSON', (target) => `{/* hi */${JSON.stringify(target.valid()).slice(1)}`),
  body('single-quoted JSON', (target) => JSON.stringify(target.valid()).replace(/"/g, "'")),
  body('a top-level array', (target) => JSON.stringify([target.valid()])),
  body('a top-level string', () => '"hello"'),
  body('a top-level null', () => 'null'),
  body('a top-level number', () => '42'),
  body('an empty body', () => ''),
  body('a body of only whitespace', () => ' \r\n\t '),
  // Media types.
  body('no content type', (target) => JSON.stringify(target.valid()), { status: [415], contentType: null }),
  body('text/plain', (target) => JSON.stringify(target.valid()), {
    status: [415],
    contentType: 'text/plain',
  }),
  body('a form body', () => 'email=a%40b.example&password=x', {
    status: [415],
    contentType: 'application/x-www-form-urlencoded',
  }),
  body('multipart/form-data', () => '--x\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n', {
    status: [415],
    contentType: 'multipart/form-data; boundary=x',
  }),
  body('JSON in UTF-16', (target) => Buffer.from(JSON.stringify(target.valid()), 'utf16le'), {
    status: [415],
    contentType: 'application/json; charset=utf-16',
  }),
  body('a JSON look-alike media type', (target) => JSON.stringify(target.valid()), {
    status: [415],
    contentType: 'application/jsonx',
  }),
  // Below the framework: Node's HTTP parser.
  raw('a 60 KB header', [431], (target, path) =>
    request(
      path,
      { 'content-type': 'application/json', 'x-filler': 'a'.repeat(60 * 1024) },
      Buffer.from('{}'),
      methodOf(target),
    ),
  ),
  raw('2,000 small headers', [431], (target, path) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (let i = 0; i < 2000; i++) headers[`x-h${i}`] = 'vvvvvvvv';
    return request(path, headers, Buffer.from('{}'), methodOf(target));
  }),
  raw('a 20 KB URL', [414], (target, path) =>
    request(
      `${path}?q=${'a'.repeat(20 * 1024)}`,
      { 'content-type': 'application/json' },
      Buffer.from('{}'),
      methodOf(target),
    ),
  ),
  raw('a 10 KB URL', [414], (target, path) =>
    request(
      `${path}?q=${'a'.repeat(10 * 1024)}`,
      { 'content-type': 'application/json' },
      Buffer.from('{}'),
      methodOf(target),
    ),
  ),
  raw('a non-numeric Content-Length', [400], (target, path) =>
    Buffer.from(
      `${methodOf(target)} ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: abc\r\n\r\n{}`,
    ),
  ),
  raw('Content-Length and Transfer-Encoding together', [400], (target, path) =>
    Buffer.from(
      `${methodOf(target)} ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
    ),
  ),
  raw('a malformed chunk size', [400], (target, path) =>
    Buffer.from(
      `${methodOf(target)} ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ),
  ),
  raw('a header with a bare CR in its value', [400], (target, path) =>
    Buffer.from(
      `${methodOf(target)} ${path} HTTP/1.1\r\nhost: x\r\nx-a: b\rc\r\ncontent-length: 2\r\n\r\n{}`,
    ),
  ),
  raw('a malformed request line', [400], (target, path) =>
    Buffer.from(`${methodOf(target)} ${path} HTTP/9.9 extra\r\nhost: x\r\n\r\n`),
  ),
  raw('a space in a header name', [400], (target, path) =>
    Buffer.from(
      `${methodOf(target)} ${path} HTTP/1.1\r\nhost: x\r\nbad header: 1\r\ncontent-length: 2\r\n\r\n{}`,
    ),
  ),
];

/**
 * The corpus for a service whose body limit is below the 256 KiB the corpus is made for: a case
 * whose body is over `limitBytes` is refused with 413 before it is parsed, so it expects that
 * instead of the parser's 400. Sizes are taken on an empty valid body (a target's own fields add
 * far less than the margins between the cases' sizes and the limits).
 */
export function casesForBodyLimit(limitBytes: number): HostileCase[] {
  const empty: HostileTarget = {
    name: '',
    path: '/',
    valid: () => ({}),
    field: 'a',
    textField: 'a',
    good: () => Promise.resolve(), // never called: the target only sizes the cases
  };
  return HOSTILE_CASES.map((hostile) => {
    const bytes = hostile.request(empty, empty.path);
    const body = bytes.length - bytes.indexOf('\r\n\r\n') - 4;
    return body > limitBytes && hostile.status[0] !== 413
      ? { ...hostile, status: [413], limit: undefined }
      : hostile;
  });
}

const COUNT_TABLES = `SELECT tablename AS name FROM pg_tables
  WHERE schemaname = 'public' AND tablename <> 'es_checkpoints' ORDER BY 1`;

async function countRows(client: Client, ignore: readonly string[] = []): Promise<Record<string, number>> {
  const { rows: tables } = await client.query<{ name: string }>(COUNT_TABLES);
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    if (ignore.includes(name)) continue;
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`);
    counts[name] = Number(rows[0]?.n);
  }
  // An empty list would prove nothing (say, the wrong database): a service has its tables.
  if (Object.keys(counts).length === 0) throw new Error('no tables to count in this database');
  return counts;
}

/**
 * Rows in every table of a service's database (its event log `es_events`, if it keeps one, and its
 * own tables), to prove a refused request stored nothing. `es_checkpoints` is left out: the forwarder moves it on
 * its own as earlier good requests are published.
 */
export async function rowCounts(databaseUrl: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await countRows(client);
  } finally {
    await client.end();
  }
}

/** Row counts of a service's storage before and after `during`, and what `during` returned. */
export interface CountsAround<T> {
  before: Record<string, number>;
  after: Record<string, number>;
  result: T;
}

/** Counts the rows of a service's storage (whatever it is) around `during`. */
export type StorageCounter = <T>(during: () => Promise<T>) => Promise<CountsAround<T>>;

/**
 * Row counts before and after `during`, with the service's Kafka consumers held still: other specs
 * put purchases on the shared broker at any time, and a consumer's transaction cannot commit
 * without writing `es_inbox`, which stays locked against writes meanwhile. HTTP requests never
 * write `es_inbox`, so whatever one stores still shows. `ignoreTables` are left out of the counts
 * (the caller says why: say, a table of request counters any request may move).
 */
export async function countsAround<T>(
  databaseUrl: string,
  during: () => Promise<T>,
  { ignoreTables = [] as readonly string[] } = {},
): Promise<CountsAround<T>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ inbox: string | null }>(
      `SELECT to_regclass('public.es_inbox') AS inbox`,
    );
    if (rows[0]?.inbox) await client.query('LOCK TABLE es_inbox IN EXCLUSIVE MODE');
    const before = await countRows(client, ignoreTables);
    const result = await during();
    const after = await countRows(client, ignoreTables);
    return { before, after, result };
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end();
  }
}

/** Sends raw bytes and reads the whole answer (the request asks the server to close). */
export function sendRaw(url: string, bytes: Buffer, timeoutMs = 15_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(
          `no complete answer within ${timeoutMs} ms; got ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`,
        ),
      );
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      const answer = parseAnswer(Buffer.concat(chunks));
      if (answer) resolve(answer);
      else reject(new Error(`the server closed the connection without an answer (${chunks.length} chunks)`));
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    // The server may answer and close before it has read everything (431, 413): that is fine.
    socket.on('error', () => undefined);
    socket.write(bytes, () => undefined);
  });
}

function parseAnswer(data: Buffer): RawAnswer | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const [statusLine, ...headerLines] = data.subarray(0, headEnd).toString('latin1').split(CRLF);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!status) return undefined;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = data.subarray(headEnd + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status, headers, body: body.toString('utf8') };
}

/**
 * The corpus as Jest tests: for each target and each case, a 4xx problem document, nothing
 * stored (every table's row count the same before and after) and the target's next good request answered.
 */
export function describeHostileInput(
  options: {
    url: () => string;
    targets: HostileTarget[];
    cases?: readonly HostileCase[];
  } & (
    | {
        /** The service's Postgres database, whose tables must not change (see `countsAround`). */
        databaseUrl: () => string;
      }
    | {
        /** Another storage's counts (e.g. a SQLite file), which must not change either. */
        storage: StorageCounter;
      }
  ),
): void {
  const storage: StorageCounter =
    'storage' in options ? options.storage : (during) => countsAround(options.databaseUrl(), during);
  for (const target of options.targets) {
    describe(`hostile input to ${target.name}`, () => {
      it.each((options.cases ?? HOSTILE_CASES).map((hostile) => [hostile.name, hostile] as const))(
        '%s: 4xx problem details, nothing stored, the next good request answered',
        async (_name, hostile) => {
          const {
            before,
            after,
            result: answer,
          } = await storage(() => sendRaw(options.url(), hostile.request(target, target.path)));
          expect({ case: hostile.name, status: answer.status, body: answer.body.slice(0, 300) }).toEqual({
            case: hostile.name,
            status: hostile.status[0],
            body: expect.any(String),
          });
          expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
          const problem = JSON.parse(answer.body) as Record<string, unknown>;
          expect(problem).toMatchObject({
            type: expect.stringMatching(/^https:\/\//),
            title: expect.any(String),
            status: answer.status,
            detail: expect.any(String),
          });
          if (hostile.limit) expect(problem.limit).toMatchObject({ name: hostile.limit });
          expect(after).toEqual(before);
          await target.good();
        },
      );
    });
  }
}
