export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The sign-in page's styles, served as a file (`/oidc/login.css`): the CSP allows no inline style. */
export const LOGIN_CSS = `  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f1f3f5; margin: 0; display: grid; place-items: center; min-height: 100vh; color: #212529; }
  main { background: #fff; padding: 2rem 2.25rem; border-radius: 10px; box-shadow: 0 2px 12px rgba(0,0,0,.08); width: min(360px, 90vw); }
  h1 { font-size: 1.35rem; margin: 0 0 .25rem; } p.sub { margin: 0 0 1.5rem; color: #495057; font-size: .9rem; }
  label { display: block; font-size: .85rem; font-weight: 600; margin: 1rem 0 .35rem; }
  input { width: 100%; box-sizing: border-box; padding: .6rem .7rem; border: 1px solid #ced4da; border-radius: 6px; font-size: 1rem; }
  input:focus { outline: 2px solid #228be6; border-color: #228be6; }
  button { margin-top: 1.5rem; width: 100%; padding: .7rem; border: 0; border-radius: 6px; background: #1864ab; color: #fff; font-size: 1rem; font-weight: 600; cursor: pointer; }
  button.secondary { background: #e9ecef; color: #212529; margin-top: .75rem; }
  .error { background: #fff5f5; color: #c92a2a; border: 1px solid #ffc9c9; padding: .6rem .75rem; border-radius: 6px; font-size: .9rem; }
  .error p { margin: .2rem 0; }
  .hint { font-size: .8rem; color: #495057; margin: .35rem 0 0; }
  a.button { display: block; text-align: center; margin-top: 1.25rem; padding: .7rem; border-radius: 6px; background: #1864ab; color: #fff; font-weight: 600; text-decoration: none; }
  p.links { margin: 1rem 0 0; font-size: .9rem; text-align: center; } p.links a { color: #1864ab; }
`;

/** The embedded provider's sign-in page: plain HTML and its own stylesheet, works without JavaScript. */
export function renderLoginPage(input: { action: string; email?: string; error?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — Yardmaster</title>
<link rel="stylesheet" href="/oidc/login.css">
</head>
<body>
<main>
  <h1>Yardmaster</h1>
  <p class="sub">Sign in to continue</p>
  ${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
  <form method="post" action="${escapeHtml(input.action)}" autocomplete="on">
    <label for="email">E-mail</label>
    <input id="email" name="email" type="email" required autofocus value="${escapeHtml(input.email ?? '')}" autocomplete="username">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" required autocomplete="current-password">
    <button type="submit">Sign in</button>
  </form>
  <p class="links"><a href="/account/forgot-password">Forgot your password?</a></p>
  <p class="links"><a href="/sign-in">Sign in with your organisation's account</a></p>
</main>
</body>
</html>`;
}

export const page = (title: string, body: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — Yardmaster</title>
<link rel="stylesheet" href="/oidc/login.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;

/** The provider's "sign out?" page; `form` is the provider's own hidden form (id `op.logoutForm`). */
export function renderLogoutPage(form: string): string {
  return page(
    'Sign out',
    `  <h1>Yardmaster</h1>
  <p class="sub">Do you want to sign out?</p>
  ${form}
  <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
  <button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  );
}

/** Shown after signing out when the client gave no address to return to. */
export function renderSignedOutPage(): string {
  return page('Signed out', '  <h1>Yardmaster</h1>\n  <p class="sub">You are signed out.</p>');
}
