/**
 * The registry of API error codes. Every error leaves the server as `{ error: { code, message, details? } }` with
 * a stable `code` from this table; 5xx messages are replaced by a generic one and never carry a stack trace.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from 'typebox';

export const API_ERRORS = {
  IOCV_BAD_REQUEST: { statusCode: 400, message: 'bad request' },
  IOCV_VALIDATION: { statusCode: 400, message: 'the request does not match the schema' },
  IOCV_BAD_CURSOR: { statusCode: 400, message: 'cursor is not one this server returned' },
  IOCV_BAD_JSON: { statusCode: 400, message: 'the body is not valid JSON' },
  IOCV_UNAUTHORIZED: { statusCode: 401, message: 'authentication required' },
  IOCV_FORBIDDEN: { statusCode: 403, message: 'not allowed' },
  IOCV_NOT_FOUND: { statusCode: 404, message: 'not found' },
  IOCV_METHOD_NOT_ALLOWED: { statusCode: 405, message: 'method not allowed' },
  IOCV_CONFLICT: { statusCode: 409, message: 'conflict' },
  IOCV_PAYLOAD_TOO_LARGE: { statusCode: 413, message: 'the body is too large' },
  IOCV_UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, message: 'unsupported content type' },
  IOCV_RATE_LIMITED: { statusCode: 429, message: 'too many requests' },
  IOCV_INTERNAL: { statusCode: 500, message: 'internal error' },
  IOCV_UNAVAILABLE: { statusCode: 503, message: 'a dependency is unavailable' },
} as const satisfies Record<string, { statusCode: number; message: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** Throw from a handler to answer with a registered code. */
export class ApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ApiErrorCode,
    message?: string,
    readonly details?: unknown,
  ) {
    super(message ?? API_ERRORS[code].message);
    this.name = 'ApiError';
    this.statusCode = API_ERRORS[code].statusCode;
  }
}

export const notFound = (what: string): ApiError => new ApiError('IOCV_NOT_FOUND', `${what} not found`);

/** OpenAPI schema of every error body. */
export const ErrorResponseSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'stable machine-readable code, e.g. IOCV_NOT_FOUND' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { description: 'Error' },
);

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const BY_STATUS: Record<number, ApiErrorCode> = {
  400: 'IOCV_BAD_REQUEST',
  401: 'IOCV_UNAUTHORIZED',
  403: 'IOCV_FORBIDDEN',
  404: 'IOCV_NOT_FOUND',
  405: 'IOCV_METHOD_NOT_ALLOWED',
  409: 'IOCV_CONFLICT',
  413: 'IOCV_PAYLOAD_TOO_LARGE',
  415: 'IOCV_UNSUPPORTED_MEDIA_TYPE',
  429: 'IOCV_RATE_LIMITED',
  503: 'IOCV_UNAVAILABLE',
};

/** Maps any thrown value to a status and a safe body. Exported for tests. */
export function toErrorResponse(err: unknown): { statusCode: number; body: ErrorBody; internal: boolean } {
  if (err instanceof ApiError) {
    const body: ErrorBody = { error: { code: err.code, message: err.message } };
    if (err.details !== undefined) body.error.details = err.details;
    return { statusCode: err.statusCode, body, internal: err.statusCode >= 500 };
  }
  const e = err as Partial<FastifyError> & { code?: unknown };
  if (Array.isArray(e.validation)) {
    const where = e.validationContext ?? 'request';
    const details = e.validation.map((v) => {
      const params = v.params as Record<string, unknown> | undefined;
      // The offending key itself: an unknown key, or the tag of a tagged union (zone rule `type`).
      const key = v.keyword === 'discriminator' ? params?.tag : params?.additionalProperty;
      const extra = typeof key === 'string' ? `/${key}` : '';
      return { in: where, path: `${v.instancePath || ''}${extra}` || '/', message: v.message ?? 'invalid' };
    });
    const first = details[0];
    const message = first ? `${where}${first.path === '/' ? '' : first.path.replace(/\//g, '.')} ${first.message}` : API_ERRORS.IOCV_VALIDATION.message;
    return { statusCode: 400, body: { error: { code: 'IOCV_VALIDATION', message, details } }, internal: false };
  }
  if (e.code === 'IOCV_BAD_CURSOR') {
    return { statusCode: 400, body: { error: { code: 'IOCV_BAD_CURSOR', message: API_ERRORS.IOCV_BAD_CURSOR.message } }, internal: false };
  }
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (err instanceof SyntaxError && e.statusCode === 400)) {
    return { statusCode: 400, body: { error: { code: 'IOCV_BAD_JSON', message: API_ERRORS.IOCV_BAD_JSON.message } }, internal: false };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Coded errors of other modules (auth, ...) keep their own IOCV_* code.
    const code: string = typeof e.code === 'string' && /^IOCV_[A-Z0-9_]+$/.test(e.code) ? e.code : (BY_STATUS[status] ?? 'IOCV_BAD_REQUEST');
    // Fastify's own 4xx messages describe the request, not the server: safe to return.
    return { statusCode: status, body: { error: { code, message: typeof e.message === 'string' && e.message ? e.message : 'bad request' } }, internal: false };
  }
  const code: ApiErrorCode = status === 503 ? 'IOCV_UNAVAILABLE' : 'IOCV_INTERNAL';
  return { statusCode: status === 503 ? 503 : 500, body: { error: { code, message: API_ERRORS[code].message } }, internal: true };
}

/** Installs the error and not-found handlers: the only places error bodies are written. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const { statusCode, body, internal } = toErrorResponse(err);
    if (internal) {
      req.log.error({ err }, 'request failed');
      body.error.details = { requestId: req.id };
    } else {
      req.log.info({ code: body.error.code, statusCode }, body.error.message);
    }
    return reply.status(statusCode).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const body: ErrorBody = { error: { code: 'IOCV_NOT_FOUND', message: `no route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}` } };
    return reply.status(404).type('application/json; charset=utf-8').send(body);
  });
}
