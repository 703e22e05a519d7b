// The group wallet's activity in the chat (모임통장's 거래내역): the server posts money in and out,
// dues paid, approvals and settled splits as compact lines (client_msg_id "sys:activity:..."). A toggle
// in the channel's header shows only what concerns money: those lines, dues and split cards.

import { h } from "./dom.js";
import { gettext } from "./i18n.js";

// Only the server writes "sys:" ids, so a member cannot dress a message up as money.
const MONEY_PREFIXES = ["sys:activity:", "sys:dues:", "sys:dues-remind:", "sys:split:", "sys:split-remind:"];

export const isActivity = (message) => Boolean(message.client_msg_id?.startsWith("sys:activity:"));
export const isMoney = (message) => MONEY_PREFIXES.some((prefix) => message.client_msg_id?.startsWith(prefix));

// list: the message list's element.
export function moneyFilterButton(list) {
  const button = h("button", { type: "button", class: "money-filter", "aria-pressed": "false", title: gettext("Show only money"), "data-testid": "money-filter" }, "💰");
  button.addEventListener("click", () => {
    const on = !list.classList.contains("money-only");
    list.classList.toggle("money-only", on);
    button.setAttribute("aria-pressed", String(on));
  });
  return button;
}
