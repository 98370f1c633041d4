/** Coded authentication/authorisation errors; `statusCode` is honoured by Fastify's error handling. */
export type AuthErrorCode =
  | 'IOCV_UNAUTHORIZED'
  | 'IOCV_BAD_CREDENTIALS'
  | 'IOCV_TOKEN_INVALID'
  | 'IOCV_TOKEN_EXPIRED'
  | 'IOCV_API_KEY_INVALID'
  | 'IOCV_FORBIDDEN'
  | 'IOCV_ROUTE_NOT_CLASSIFIED'
  | 'IOCV_RATE_LIMITED'
  | 'IOCV_AUTH_CONFIG';

export class AuthError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
    this.statusCode =
      code === 'IOCV_FORBIDDEN' || code === 'IOCV_ROUTE_NOT_CLASSIFIED' ? 403 : code === 'IOCV_RATE_LIMITED' ? 429 : code === 'IOCV_AUTH_CONFIG' ? 500 : 401;
  }
}
