import QRCode from 'qrcode';
import { escapeHtml, page } from './login-page.js';

const errorBlock = (error?: string): string => (error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '');

const codeField = (label: string, hint: string): string => `
    <label for="code">${escapeHtml(label)}</label>
    <input id="code" name="code" type="text" required autofocus inputmode="numeric" autocomplete="one-time-code" maxlength="20" aria-describedby="code-hint">
    <p class="hint" id="code-hint">${escapeHtml(hint)}</p>`;

/** The second step of signing in: a code from the authenticator app, or a recovery code. */
export function renderOtpPage(input: { action: string; error?: string }): string {
  return page(
    'Enter your code',
    `  <h1>Two-step sign-in</h1>
  <p class="sub">Enter the 6-digit code from your authenticator app.</p>
  ${errorBlock(input.error)}
  <form method="post" action="${escapeHtml(input.action)}" autocomplete="off">${codeField(
    'Code',
    'Lost your phone? Enter one of your recovery codes instead (for example abcde-23456).',
  )}
    <button type="submit">Verify</button>
  </form>`,
  );
}

/** Groups a base32 secret in fours, for typing it into an app by hand. */
const grouped = (secret: string): string => secret.replace(/(.{4})/g, '$1 ').trim();

/** Enrolment: the QR code (inline SVG: the CSP allows no data: images), the secret for typing, and a code to confirm. */
export async function renderEnrolPage(input: { action: string; otpauthUri: string; secret: string; error?: string }): Promise<string> {
  const svg = (await QRCode.toString(input.otpauthUri, { type: 'svg', margin: 2, width: 200, errorCorrectionLevel: 'M' })).replace(
    '<svg ',
    '<svg role="img" aria-label="QR code to add Yardmaster to your authenticator app" ',
  );
  return page(
    'Set up two-step sign-in',
    `  <h1>Set up two-step sign-in</h1>
  <p class="sub">Your organisation asks for a code from an authenticator app (for example Google Authenticator, Microsoft Authenticator, 1Password or FreeOTP) each time you sign in.</p>
  ${errorBlock(input.error)}
  <p>1. Scan this QR code with the app:</p>
  <p>${svg}</p>
  <p class="hint">Cannot scan? Enter this key in the app instead (time-based, 6 digits): <code id="secret">${escapeHtml(grouped(input.secret))}</code></p>
  <form method="post" action="${escapeHtml(input.action)}" autocomplete="off">
    <p>2. Enter the code the app shows to confirm.</p>${codeField('Code from the app', 'Six digits; a new one every 30 seconds.')}
    <button type="submit">Confirm and continue</button>
  </form>`,
  );
}

/** After enrolment: the ten recovery codes, shown this once. */
export function renderRecoveryCodesPage(input: { action: string; codes: string[] }): string {
  return page(
    'Your recovery codes',
    `  <h1>Save your recovery codes</h1>
  <p class="sub">Two-step sign-in is on. If you lose your phone, each of these codes signs you in once. Keep them somewhere safe: they are shown only now.</p>
  <ol id="recovery-codes">
${input.codes.map((code) => `    <li><code>${escapeHtml(code)}</code></li>`).join('\n')}
  </ol>
  <form method="post" action="${escapeHtml(input.action)}">
    <button type="submit">I have saved them, continue</button>
  </form>`,
  );
}
