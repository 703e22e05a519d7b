// An initial avatar, as Korean messengers show one where no photo was chosen: a Hangul name of two
// to four syllables shows its given name (the last two: 지은 for 이지은, since 이, 김 and 박 would
// repeat across the club), any other name its first letter; the colour follows the person's id, so
// it is the same on every screen and every device.

import { h } from "./dom.js";

const HANGUL_NAME = /^[\uAC00-\uD7A3]{2,4}$/u;
const HUES = 12;

export function initials(name) {
  if (HANGUL_NAME.test(name)) return name.length === 2 ? name : name.slice(-2);
  const [first = "?"] = name; // the first code point, so an emoji or a surrogate pair stays whole
  return first.toLocaleUpperCase();
}

export function avatar(person) {
  const element = h("span", { class: "avatar", "aria-hidden": "true" }, initials(person.username));
  // Through the CSSOM: the content security policy refuses style attributes.
  element.style.setProperty("--avatar-hue", String(((person.id * 5) % HUES) * (360 / HUES))); // neighbours' ids, distant colours
  return element;
}
