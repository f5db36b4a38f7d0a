import type { LoggerOptions } from 'pino';

/** pino options shared by the server and the CLI: JSON lines, secrets redacted. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    serializers: { req: requestForLog },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.secret',
        '*.token',
        '*.access_token',
        '*.refresh_token',
        '*.client_secret',
        '*.clientSecret',
      ],
      censor: '[redacted]',
    },
  };
}

/** Single-use link tokens travel in query strings (`?token=`): they never reach the log. */
export const redactUrl = (url: string): string => url.replace(/([?&](?:token|code|ticket)=)[^&#]*/gi, '$1[redacted]');

type LoggedRequest = { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } };

/** Fastify's request serializer, with the URL's secrets redacted. */
function requestForLog(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrl(request.url ?? ''),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
