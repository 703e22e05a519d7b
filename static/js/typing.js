// Who is typing in the open channel: a name shows for a few seconds after each of their typing
// frames, and goes once their message has arrived.

import { h } from "./dom.js";
import { interpolate, ngettext } from "./i18n.js";

const TYPING_SHOWN_MS = 4000;

export class TypingLine {
  constructor(store, channelId) {
    this.typers = new Map(); // username -> timeout
    this.element = h("div", { class: "typing muted", "data-testid": "typing" });
    this.unsubscribe = store.subscribe("messages", (id, change) => {
      if (id === channelId && change.kind === "arrived") this.stopped(change.message.sender); // what they were typing has arrived
    });
  }

  show(user) {
    clearTimeout(this.typers.get(user.username));
    this.typers.set(user.username, setTimeout(() => { this.typers.delete(user.username); this.render(); }, TYPING_SHOWN_MS));
    this.render();
  }

  stopped(user) {
    clearTimeout(this.typers.get(user.username));
    if (this.typers.delete(user.username)) this.render();
  }

  render() {
    const names = [...this.typers.keys()];
    this.element.textContent = names.length
      ? interpolate(ngettext("%(names)s is typing…", "%(names)s are typing…", names.length), { names: names.join(", ") })
      : "";
  }

  stop() {
    this.unsubscribe();
  }
}
