// Small DOM helpers: build elements without innerHTML (user text is never parsed as HTML), the forms
// every screen uses (a field, a PIN box, a form that calls the API) and the bottom sheet that holds one.

import { gettext } from "./i18n.js";

export { dateTime, money, time } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

// A bottom sheet, as Toss and KakaoBank open one focused form over the screen: the button that opens
// it and the dialog that holds `content`. A form inside fires "done" when it has done its work, and the
// sheet closes; ×, Escape or a tap on the shade above it close it too.
export function sheet({ name, label, icon, content }) {
  const close = h("button", { type: "button", class: "sheet-close", "aria-label": gettext("Close"), "data-testid": "sheet-close" }, "×");
  const dialog = h("dialog", { class: "sheet", "aria-label": label, "data-testid": `sheet-${name}` }, close, content);
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("done", () => dialog.close());
  dialog.addEventListener("click", (event) => {
    const box = dialog.getBoundingClientRect();
    if (event.target === dialog && event.clientY < box.top) dialog.close(); // the shade is the dialog's backdrop
  });
  const button = h("button", { type: "button", class: "sheet-button", "data-testid": `open-${name}`, onclick: () => dialog.showModal() },
    h("span", { class: "sheet-icon", "aria-hidden": "true" }, icon), h("span", {}, label));
  return { button, dialog, open: () => dialog.showModal() };
}

// The mark of a private (password) channel; the words "Private channel" are said beside it.
export function lockIcon() {
  return h("span", { class: "lock", "aria-hidden": "true", title: gettext("Private channel"), "data-testid": "lock" }, "🔒");
}

export function toast(text) {
  const box = document.getElementById("toasts");
  const item = h("div", { class: "toast", role: "status" }, text);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

// An event handler whose failure is told to the user (in the API's words) instead of being lost.
export function guarded(handler) {
  return async (...args) => {
    try {
      await handler(...args);
    } catch (failure) {
      toast(failureWords(failure));
    }
  };
}

// Reads a form's named fields; numbers come back as numbers.
export function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    if (element.type === "checkbox") {
      if (element.checked) (values[element.name] ??= []).push(Number(element.value));
      else values[element.name] ??= [];
      continue;
    }
    values[element.name] = element.type === "number" ? (element.value === "" ? null : Number(element.value)) : element.value;
  }
  return values;
}

// --- forms -------------------------------------------------------------------------------------

export const field = (label, input) => h("label", { class: "field" }, h("span", {}, label), input);
export const pinInput = () => h("input", { name: "pin", type: "password", inputmode: "numeric", pattern: "[0-9]{4,6}", minlength: 4, maxlength: 6, required: true, autocomplete: "off", "aria-label": gettext("PIN") });

// A form whose submit calls the API; shows the API's error in words next to it. A money form keeps
// its Idempotency-Key until the server has answered, so a retry after a network failure cannot pay twice.
export function actionForm({ title, fields, label, testid, submit }) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true, "data-testid": `${testid}-error` });
  const button = h("button", { type: "submit", class: "primary" }, label);
  let idempotencyKey = crypto.randomUUID();
  const form = h("form", { class: "action-form", "data-testid": testid }, title ? h("h3", {}, title) : null, ...fields, button, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      await submit(formValues(form), idempotencyKey, event.submitter);
      idempotencyKey = crypto.randomUUID();
      form.reset();
      form.dispatchEvent(new Event("done", { bubbles: true })); // a sheet holding it closes
    } catch (failure) {
      if (failure.status !== 0) idempotencyKey = crypto.randomUUID();
      error.textContent = failureWords(failure, form);
      error.hidden = false;
      error.scrollIntoView({ block: "nearest" }); // a card low in the chat would show it below the fold
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// A key pressed while an input method (Korean, Japanese, ...) is still composing a syllable belongs to
// the input method: Enter there commits the syllable, it must not send or pick anything.
export const composing = (event) => event.isComposing || event.keyCode === 229;

// What went wrong, in words: the API's error (its fields named as `form` labels them), or, for a
// failure of the page itself, a plain sentence rather than a script's "Error: ...".
export const failureWords = (failure, form = null) => failure?.wordsIn?.(form) ?? gettext("Something went wrong. Try again.");
