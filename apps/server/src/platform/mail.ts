import nodemailer from 'nodemailer';

export type MailMessage = { to: string; subject: string; text: string };
export type Mailer = { send: (message: MailMessage) => Promise<void>; close: () => void };

/**
 * Outgoing e-mail over SMTP (nodemailer): `SMTP_URL` (smtp://user:pass@host:587, or smtps:// for
 * implicit TLS; STARTTLS is used when the server offers it) and `MAIL_FROM`. One pooled transport
 * per process.
 */
export function createMailer(settings: { smtpUrl: string; from: string }): Mailer {
  const transport = nodemailer.createTransport(`${settings.smtpUrl}${settings.smtpUrl.includes('?') ? '&' : '?'}pool=true`);
  return {
    async send(message) {
      await transport.sendMail({ from: settings.from, to: message.to, subject: message.subject, text: message.text });
    },
    close() {
      transport.close();
    },
  };
}
