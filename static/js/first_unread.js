// Where my unread messages start: "New messages" above the first message from someone else after my
// read marker when the channel was opened, and the button that jumps to it while it is above the view
// (or not loaded yet) and has not been seen. Messages that come while the channel is open are not "new" here.

import { guarded, h } from "./dom.js";
import { gettext } from "./i18n.js";

export class FirstUnread {
  // lastRead: my read marker when the channel was opened; unreadAtOpen: whether anything was unread then.
  constructor({ me, lastRead, unreadAtOpen, messages, list, history }) {
    Object.assign(this, { me, lastRead, unreadAtOpen, messages, list, history });
    this.divider = null;
    this.seen = false;
    this.button = h("button", { type: "button", class: "jump-unread", hidden: true, onclick: guarded(() => this.jump()), "data-testid": "jump-to-unread" }, gettext("Jump to first unread"));
    list.element.addEventListener("scroll", () => this.showButton());
  }

  // Once the messages right after the marker are loaded (before that, the first loaded one is not the first).
  mark() {
    const { messages, lastRead } = this;
    if (!this.unreadAtOpen || this.divider || (messages.hasOlder && messages.oldestSeq > lastRead + 1)) return;
    let first = null;
    for (const message of messages.bySeq.values()) {
      if (message.seq > lastRead && message.sender.id !== this.me.id && (!first || message.seq < first.seq)) first = message;
    }
    if (!first) return;
    this.divider = h("li", { class: "divider new-divider", role: "separator", "data-testid": "new-messages" }, gettext("New messages"));
    this.list.cardOf(first.seq).element.before(this.divider);
  }

  showButton() {
    if (this.divider && !this.seen) {
      const top = this.list.element.getBoundingClientRect().top;
      this.seen = this.divider.getBoundingClientRect().bottom > top;
    }
    this.button.hidden = this.seen || !this.unreadAtOpen || (!this.divider && !this.messages.hasOlder);
  }

  async jump() {
    await this.history.reveal(() => this.messages.oldestSeq <= this.lastRead + 1);
    this.mark();
    this.divider?.scrollIntoView({ block: "start" });
    this.seen = true;
    this.button.hidden = true;
  }
}
