import { escapeHtml, page } from './login-page.js';
import { PASSWORD_MIN_LENGTH } from './password-policy.js';

/** Why a link does not work, in words for the person holding it. */
export const LINK_PROBLEMS = {
  expired: 'This link has expired (links work for 24 hours).',
  used: 'This link has already been used (each link works once).',
  revoked: 'This link was replaced by a newer one.',
  unknown: 'This link is not valid. Check that you copied all of it.',
} as const;

export type LinkProblem = keyof typeof LINK_PROBLEMS;

/** The form that sets a password from an invitation or a reset link. */
export function renderSetPasswordPage(input: { token: string; email: string; purpose: 'invitation' | 'reset'; errors?: string[] }): string {
  const heading = input.purpose === 'invitation' ? 'Welcome to Yardmaster' : 'Choose a new password';
  const intro =
    input.purpose === 'invitation' ? 'Choose a password to finish setting up your account.' : 'Choose a new password for your account.';
  return page(
    heading,
    `  <h1>${escapeHtml(heading)}</h1>
  <p class="sub">${escapeHtml(intro)}</p>
  ${input.errors?.length ? `<div class="error" role="alert">${input.errors.map((e) => `<p>${escapeHtml(e)}</p>`).join('')}</div>` : ''}
  <form method="post" action="/account/set-password" autocomplete="on">
    <input type="hidden" name="token" value="${escapeHtml(input.token)}">
    <label for="email">E-mail</label>
    <input id="email" name="email" type="email" value="${escapeHtml(input.email)}" autocomplete="username" readonly>
    <label for="password">New password</label>
    <input id="password" name="password" type="password" required minlength="${PASSWORD_MIN_LENGTH}" autocomplete="new-password" autofocus aria-describedby="password-rules">
    <p class="hint" id="password-rules">At least ${PASSWORD_MIN_LENGTH} characters, with an upper-case letter and a digit; not a common password.</p>
    <label for="confirm">Repeat the password</label>
    <input id="confirm" name="confirm" type="password" required minlength="${PASSWORD_MIN_LENGTH}" autocomplete="new-password">
    <button type="submit">Set password and sign in</button>
  </form>`,
  );
}

/** An expired, used, replaced or forged link: says which, and offers a new one. */
export function renderBadLinkPage(problem: LinkProblem): string {
  return page(
    'Link not valid',
    `  <h1>This link does not work</h1>
  <p class="error" role="alert">${escapeHtml(LINK_PROBLEMS[problem])}</p>
  <p>Nothing was changed. Ask for a new link: enter your e-mail and we send one, or ask your administrator to invite you again.</p>
  <a class="button" href="/account/forgot-password">Get a new link</a>`,
  );
}

/** "Forgot password": asks for the e-mail. */
export function renderForgotPasswordPage(input: { email?: string; error?: string } = {}): string {
  return page(
    'Forgot password',
    `  <h1>Forgot your password?</h1>
  <p class="sub">Enter your e-mail. If it belongs to an account, we send a link to choose a new password.</p>
  ${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
  <form method="post" action="/account/forgot-password">
    <label for="email">E-mail</label>
    <input id="email" name="email" type="email" required autofocus autocomplete="username" value="${escapeHtml(input.email ?? '')}">
    <button type="submit">Send me a link</button>
  </form>`,
  );
}

/** The same answer whether or not the e-mail has an account (no account enumeration). */
export function renderForgotPasswordSentPage(): string {
  return page(
    'Check your e-mail',
    `  <h1>Check your e-mail</h1>
  <p class="sub">If the address belongs to an account, a link to choose a new password is on its way. It works once, for 24 hours.</p>
  <a class="button" href="/">Back to sign-in</a>`,
  );
}
