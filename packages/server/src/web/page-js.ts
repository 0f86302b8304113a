/**
 * The page's script. Plain ES2020, no framework: it calls the JSON API, renders the answer, and
 * turns every failure into words (expired session, store down, bad input) instead of a blank page.
 */
export const PAGE_JS = `"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const main = $("main");
  const views = { login: $("login-view"), profile: $("profile-view") };

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", cache: "no-store", headers: {} };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      return { status: 0, data: null };
    }
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch { data = null; }
    }
    return { status: response.status, data };
  }

  function say(message, kind) {
    const status = $("status");
    status.textContent = message || "";
    status.className = "status " + (kind || "info");
  }

  function show(state, message, kind) {
    main.dataset.state = state;
    views.login.hidden = !(state === "login" || state === "expired" || state === "unavailable");
    views.profile.hidden = state !== "profile";
    say(message, kind);
  }

  const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  function ago(iso) {
    const seconds = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return "just now";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    return when(iso);
  }

  /** Answers that mean "no usable session" or "try later", the same on every endpoint. */
  function handleFailure(result) {
    if (result.status === 403 && result.data && result.data.detail === "No session cookie found") {
      show("login", "");
      return true;
    }
    if (result.status === 404) {
      show("expired", "Your session has expired or was signed out. Please log in again.", "error");
      $("username").focus();
      return true;
    }
    if (result.status === 503 || result.status === 0) {
      show("unavailable", "The session service is unavailable right now. Please try again in a moment.", "error");
      return true;
    }
    if (result.status >= 400) {
      say((result.data && typeof result.data.detail === "string" && result.data.detail) || "Something went wrong (" + result.status + ").", "error");
      return true;
    }
    return false;
  }

  function renderDevices(sessions) {
    const list = $("devices");
    list.replaceChildren();
    for (const entry of sessions) {
      const item = document.createElement("li");
      item.dataset.handle = entry.handle;
      const text = document.createElement("div");
      const name = document.createElement("div");
      name.className = "device-name";
      name.textContent = entry.user_agent || "Unknown device";
      if (entry.current) {
        const badge = document.createElement("span");
        badge.className = "badge";
        badge.textContent = "This device";
        name.append(badge);
      }
      const meta = document.createElement("div");
      meta.className = "device-meta";
      meta.textContent = (entry.ip ? entry.ip + " · " : "") + "last seen " + ago(entry.last_seen_at) + " · signed in " + when(entry.created_at);
      text.append(name, meta);
      item.append(text);
      if (!entry.current) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "danger";
        button.textContent = "Sign out";
        button.setAttribute("aria-label", "Sign out " + (entry.user_agent || "device") + (entry.ip ? " at " + entry.ip : ""));
        button.addEventListener("click", () => revoke(entry.handle, button));
        item.append(button);
      }
      list.append(item);
    }
    $("revoke-others-button").disabled = sessions.length < 2;
  }

  async function refresh(message) {
    const profile = await api("GET", "/profile/");
    if (handleFailure(profile)) return;
    const devices = await api("GET", "/sessions/");
    if (handleFailure(devices)) return;
    const sessions = devices.data.sessions;
    const current = sessions.find((entry) => entry.current);
    $("profile-user").textContent = profile.data.session_data.user;
    $("profile-status").textContent = profile.data.session_data.status;
    $("profile-created").textContent = current ? when(current.created_at) : "—";
    $("profile-expires").textContent = current ? when(current.expires_at) : "—";
    $("profile-absolute").textContent = current ? when(current.absolute_expires_at) : "—";
    renderDevices(sessions);
    show("profile", message || "");
  }

  async function revoke(handle, button) {
    button.disabled = true;
    const result = await api("DELETE", "/sessions/" + encodeURIComponent(handle));
    if (result.status === 404 && result.data && result.data.detail === "Session not found") {
      await refresh("That device was already signed out.");
      return;
    }
    if (handleFailure(result)) return;
    await refresh("Device signed out.");
  }

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = $("username").value.trim();
    if (!username) {
      say("Please enter a username.", "error");
      $("username").focus();
      return;
    }
    $("login-button").disabled = true;
    const result = await api("POST", "/login/", { username });
    $("login-button").disabled = false;
    if (result.status === 422 && result.data && Array.isArray(result.data.detail)) {
      say(result.data.detail.map((entry) => entry.msg).join(" "), "error");
      return;
    }
    if (handleFailure(result)) return;
    $("username").value = "";
    await refresh("Logged in.");
    $("profile-title").focus();
  });

  $("logout-button").addEventListener("click", async () => {
    const result = await api("POST", "/logout/");
    if (handleFailure(result)) return;
    show("login", "You are logged out.");
    $("username").focus();
  });

  $("refresh-button").addEventListener("click", () => refresh("Up to date."));

  $("revoke-others-button").addEventListener("click", async () => {
    const result = await api("POST", "/sessions/revoke-others/");
    if (handleFailure(result)) return;
    await refresh(result.data.revoked === 1 ? "Signed out 1 other device." : "Signed out " + result.data.revoked + " other devices.");
  });

  // A page restored by the back button (bfcache) shows what the server says now, not then.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) refresh();
  });

  refresh();
})();
`;
