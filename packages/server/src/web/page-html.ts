/**
 * The page at `/`: plain HTML, one script and one style sheet from this server (no build step, no
 * CDN), talking to the same JSON API as any client. The script never sees the token: the cookie is
 * HttpOnly and the login response's `session_id` is ignored.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tessera · sessions</title>
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header class="bar">
  <span class="brand">tessera</span>
  <nav><a href="/docs">API docs</a></nav>
</header>
<main id="main" data-state="loading" tabindex="-1">
  <p id="status" class="status" role="status" aria-live="polite"></p>

  <section id="login-view" hidden aria-labelledby="login-title">
    <h1 id="login-title">Log in</h1>
    <form id="login-form" novalidate>
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required maxlength="256" aria-describedby="username-help">
      <p id="username-help" class="help">Any name will do: this demo has no passwords.</p>
      <button type="submit" id="login-button">Log in</button>
    </form>
  </section>

  <section id="profile-view" hidden aria-labelledby="profile-title">
    <h1 id="profile-title" tabindex="-1">Signed in as <span id="profile-user"></span></h1>
    <dl class="facts">
      <div><dt>Status</dt><dd id="profile-status"></dd></div>
      <div><dt>Session started</dt><dd id="profile-created"></dd></div>
      <div><dt>Expires if idle until</dt><dd id="profile-expires"></dd></div>
      <div><dt>Ends at the latest</dt><dd id="profile-absolute"></dd></div>
    </dl>
    <div class="actions">
      <button type="button" id="refresh-button" class="secondary">Refresh</button>
      <button type="button" id="logout-button">Log out</button>
    </div>

    <h2 id="devices-title">Where you are signed in</h2>
    <ul id="devices" class="devices" aria-labelledby="devices-title"></ul>
    <button type="button" id="revoke-others-button" class="secondary">Sign out all other devices</button>
  </section>
</main>
</body>
</html>
`;
