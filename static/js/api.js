// The REST API with the browser session (CSRF header on writes); errors in words a user understands.
// The server's `detail` is already in the page's language; these replace the terse ones.

import { gettext } from "./i18n.js";

const WORDS = {
  insufficient_funds: gettext("There is not enough money in the wallet for this."),
  already_paid: gettext("You have already paid this."),
  wrong_password: gettext("That channel password is not right."),
  not_authenticated: gettext("Your session has ended. Sign in again."),
  idempotency_conflict: gettext("This request was already sent with different details. Reload and try again."),
  server_error: gettext("Something went wrong on our side. Try again."),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body.detail || gettext("Request failed"));
    this.status = status;
    this.code = body.code || "error";
    this.fields = body.fields || {};
  }

  // wrong_pin and pin_locked details already say how many tries are left or how long to wait.
  get words() {
    return this.wordsIn(null);
  }

  // A field's error is named as the form on screen names the field (its label, in the page's
  // language), never by the API's name for it ("amount"); a field the form does not show goes unnamed.
  wordsIn(form) {
    const fieldText = Object.entries(this.fields).map(([name, messages]) => {
      const text = [].concat(messages).join(" ");
      const label = form?.querySelector(`[name="${CSS.escape(name)}"]`)?.closest("label")?.querySelector("span")?.textContent;
      return label ? `${label}: ${text}` : text;
    });
    if (this.code === "invalid" && fieldText.length) return fieldText.join(" ");
    return WORDS[this.code] || this.message;
  }
}

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

export async function api(method, path, body, { idempotencyKey } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRFToken"] = csrfToken();
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { code: "offline", detail: gettext("Cannot reach the server. Check your connection.") });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => ({ code: "server_error", detail: WORDS.server_error }));
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}, options) => api("POST", path, body, options);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);
