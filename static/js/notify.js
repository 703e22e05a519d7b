// Browser notifications of mentions while the tab is hidden. Permission is asked only from a
// click (browsers ignore or hold against a page that asks on load).

import { h } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";
import { snippet } from "./messages.js";

const supported = "Notification" in window;

// The button that asks; none once the person has answered (or the browser cannot notify).
export function notificationsButton() {
  if (!supported || Notification.permission !== "default") return null;
  const button = h("button", { type: "button", class: "notifications-button small", "data-testid": "enable-notifications",
    onclick: async () => {
      await Notification.requestPermission();
      if (Notification.permission !== "default") button.remove();
    } }, gettext("Notify me of mentions"));
  return button;
}

// message: the `mentioned` event's; open() brings its channel up.
export function notifyMention(message, channelName, open) {
  if (!supported || document.visibilityState !== "hidden" || Notification.permission !== "granted") return;
  const notification = new Notification(interpolate(gettext("%(name)s mentioned you in #%(channel)s"), { name: message.sender.username, channel: channelName }), {
    body: snippet(message.body), tag: `mention-${message.id}`,
  });
  notification.onclick = () => {
    window.focus();
    open();
    notification.close();
  };
}
