import type { LoggerOptions } from 'pino';

/** pino options shared by the server and the CLI: JSON lines, secrets redacted. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
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
      ],
      censor: '[redacted]',
    },
  };
}
