// What separates the messages in the list: a heading before the first message of each day, and runs
// (a message that follows its sender's own by a few minutes, with nothing between, goes on under the
// first one's name and avatar, as KakaoTalk groups them). Drawn again after each placement: where a
// message lands (history, a late ack) changes the days and runs around it.

import { h } from "./dom.js";
import { dayHeading } from "./i18n.js";

const RUN_GAP_MS = 5 * 60 * 1000; // one sender's messages this close together read as one run

export function markDays(list) {
  for (const divider of list.querySelectorAll(".day-divider")) divider.remove();
  let day = null;
  for (const element of list.querySelectorAll(":scope > .message")) {
    element.toggleAttribute("data-continued", continuesRun(element));
    if (element.dataset.day === day) continue;
    day = element.dataset.day;
    withDividers(element).before(h("li", { class: "divider day-divider", role: "separator", "data-testid": "day-divider" }, dayHeading(element.querySelector("time").dateTime)));
  }
}

// The element with the dividers right above it (a day's heading, "new messages"): what goes before it goes before them.
export function withDividers(element) {
  let first = element;
  while (first.previousElementSibling?.classList.contains("divider")) first = first.previousElementSibling;
  return first;
}

function continuesRun(element) {
  const previous = element.previousElementSibling; // a divider (a new day, "new messages") ends a run
  if (!previous?.classList.contains("message") || element.classList.contains("activity") || previous.classList.contains("activity")) return false;
  if (previous.dataset.sender !== element.dataset.sender) return false;
  const gap = new Date(element.querySelector("time").dateTime) - new Date(previous.querySelector("time").dateTime);
  return gap >= 0 && gap < RUN_GAP_MS;
}
