// The channel's notice (공지): the message its owner pinned, in a bar at the top of the chat for
// every member. The owner pins a message from its actions and takes the notice down from the bar;
// the others see each change live (the `channel_updated` frame carries the notice).

import { del, post } from "./api.js";
import { guarded, h } from "./dom.js";
import { gettext } from "./i18n.js";
import { snippet } from "./messages.js";

export class NoticeBar {
  constructor(view) {
    this.view = view;
    this.element = h("div", { class: "notice-bar", role: "region", "aria-label": gettext("Notice"), "data-testid": "notice-bar" });
    this.render();
  }

  get owner() {
    return this.view.channel.owner.id === this.view.app.me.id;
  }

  render() {
    const notice = this.view.channel.notice;
    this.element.hidden = !notice;
    if (!notice) {
      this.element.replaceChildren();
      return;
    }
    this.element.replaceChildren(
      h("span", { class: "notice-mark", "aria-hidden": "true" }, "📢"),
      h("button", { type: "button", class: "notice-text", title: gettext("Show the notice's message"), onclick: () => this.view.jumpToMessage(notice.id), "data-testid": "notice-text" },
        h("strong", {}, gettext("Notice")), " ", snippet(notice.body)),
      this.owner
        ? h("button", { type: "button", class: "small notice-unpin", onclick: guarded(() => this.unpin()), "data-testid": "notice-unpin" }, gettext("Take down"))
        : "");
  }

  async pin(card) {
    const channel = await post(`/api/channels/${this.view.channel.id}/notice`, { message_id: card.message.id });
    this.changed(channel.notice);
  }

  async unpin() {
    await del(`/api/channels/${this.view.channel.id}/notice`);
    this.changed(null);
  }

  // From my own answer or from the channel_updated frame.
  changed(notice) {
    this.view.channel.notice = notice;
    this.render();
  }
}

// In a message's actions, for the channel's owner.
export function pinAction(view, card, act) {
  if (view.channel.owner.id !== view.app.me.id || !view.noticeBar) return null;
  return h("button", { type: "button", onclick: act(guarded(() => view.noticeBar.pin(card))), "data-testid": "pin-notice" }, gettext("Pin as notice"));
}
