// Small DOM helpers: build elements without innerHTML (user text is never parsed as HTML).

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

export function money(amount, currency = "KRW") {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
}

// "1 member", "3 members".
export function count(number, noun) {
  return `${number} ${noun}${number === 1 ? "" : "s"}`;
}

export function time(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function dateTime(iso) {
  return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
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
      toast(failure.words || "Something went wrong. Try again.");
    }
  };
}

// Reads a form's named fields; numbers come back as numbers.
export function formValues(form) {
  const values = {};
  for (const element of form.elements) {
    if (!element.name) continue;
    values[element.name] = element.type === "number" ? (element.value === "" ? null : Number(element.value)) : element.value;
  }
  return values;
}
