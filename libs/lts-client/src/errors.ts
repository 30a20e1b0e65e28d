/** The problem `type`s the LTS answers, after https://docs.order-to-license.dev/problems/. */
export const LTS_PROBLEM_CODES = [
  'seats-exhausted',
  'license-revoked',
  'license-expired',
  'license-not-activated',
  'wrong-tracking-mode',
  'license-unknown',
  'lease-not-found',
  'lease-gone',
  'product-required',
  'product-not-licensed',
  'validation-failed',
  'too-many-requests',
  'service-unavailable',
  'internal-error',
] as const;

/**
 * Known codes, plus `network` (no answer at all), `invalid-response` (an answer that is not the
 * contract's, say a proxy's HTML page) and whatever other code a newer server sends.
 */
export type LtsErrorCode =
  (typeof LTS_PROBLEM_CODES)[number] | 'network' | 'invalid-response' | (string & Record<never, never>);

/** The reasons a licence cannot be leased at all (403): tell the user, do not retry. */
export const LICENSE_REFUSALS: readonly LtsErrorCode[] = [
  'license-revoked',
  'license-expired',
  'license-not-activated',
  'wrong-tracking-mode',
];

const TYPE_BASE = 'https://docs.order-to-license.dev/problems/';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * Every failure of the client: `code` says why (the problem `type`'s last segment), `status` is the
 * HTTP status (0 when the server could not be reached).
 */
export class LtsError extends Error {
  override readonly name = 'LtsError';
  constructor(
    readonly code: LtsErrorCode,
    readonly status: number,
    message: string,
    readonly details: {
      title?: string;
      /** Field errors of a 400. */
      errors?: FieldError[];
      /** From `retry-after` (429, 503). */
      retryAfterSeconds?: number;
      /** The problem document as the server sent it. */
      problem?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }

  /** Worth trying again later: no answer, a 5xx, a 429 or a garbled answer. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500 || this.code === 'invalid-response';
  }

  /** The licence itself cannot be leased (revoked, expired, not activated, wrong mode). */
  get licenseRefused(): boolean {
    return LICENSE_REFUSALS.includes(this.code);
  }
}

/** `retry-after` as seconds (delta or HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value);
  // An IMF-fixdate (RFC 9110), e.g. "Tue, 01 Dec 2026 10:00:45 GMT"; Date.parse alone takes "-5" as a year.
  const at = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)
    ? Date.parse(value)
    : NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

const FALLBACK_CODES: Record<number, string> = {
  400: 'validation-failed',
  404: 'not-found',
  409: 'conflict',
  410: 'lease-gone',
  429: 'too-many-requests',
  502: 'bad-gateway',
  503: 'service-unavailable',
  504: 'gateway-timeout',
};

/**
 * The LtsError for a non-2xx answer. Reads an RFC 9457 problem when the body is one; any other
 * body (a proxy's page) still yields an error named after the status.
 */
export function problemError(
  status: number,
  body: string,
  retryAfterHeader: string | null,
  nowMs: number,
): LtsError {
  const retryAfterSeconds = parseRetryAfter(retryAfterHeader, nowMs);
  let problem: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      problem = parsed as Record<string, unknown>;
    }
  } catch {
    // not JSON: fall back to the status below
  }
  const type = typeof problem?.type === 'string' ? problem.type : undefined;
  const code =
    type !== undefined && type.startsWith(TYPE_BASE) && type.length > TYPE_BASE.length
      ? type.slice(TYPE_BASE.length)
      : (FALLBACK_CODES[status] ?? `http-${status}`);
  const title = typeof problem?.title === 'string' ? problem.title : undefined;
  const detail = typeof problem?.detail === 'string' ? problem.detail : undefined;
  const errors = Array.isArray(problem?.errors) ? fieldErrors(problem.errors) : undefined;
  const message = `LTS answered ${status} ${code}${detail ? `: ${detail}` : title ? `: ${title}` : ''}`;
  return new LtsError(code, status, message, {
    ...(title !== undefined && { title }),
    ...(errors !== undefined && { errors }),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    ...(problem !== undefined && { problem }),
  });
}

function fieldErrors(list: unknown[]): FieldError[] {
  return list.flatMap((item) =>
    item && typeof item === 'object' && typeof (item as FieldError).field === 'string'
      ? [{ field: (item as FieldError).field, message: String((item as FieldError).message ?? '') }]
      : [],
  );
}

/** No answer: refused, reset, DNS, or the request timed out. */
export function networkError(url: string, cause: unknown, timedOut: boolean): LtsError {
  const reason = timedOut ? 'timed out' : cause instanceof Error ? cause.message : String(cause);
  return new LtsError('network', 0, `LTS at ${url} could not be reached: ${reason}`, { cause });
}

export function invalidResponse(status: number, what: string): LtsError {
  return new LtsError('invalid-response', status, `LTS answered ${status} with ${what}`);
}
