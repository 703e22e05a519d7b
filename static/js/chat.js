// The open channel's screen, put together from parts with one job each: the header (name, who is
// online, the money filter, search, details), the notice bar, the message list (message_list.js: cards
// drawn from the store's messages; list_scroll.js: where the reader is; dividers.js: days and runs),
// its history (history.js) and first unread (first_unread.js), who is typing (typing.js), the members
// (members.js) and the composer (composer.js). Cards act through this view: replies and edits go to
// the composer, reactions and deletions to the API and then the store.

import { del, post } from "./api.js";
import { guarded, h, lockIcon } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";
import { moneyFilterButton } from "./activity.js";
import { Composer } from "./composer.js";
import { FirstUnread } from "./first_unread.js";
import { ChannelHistory } from "./history.js";
import { MemberList } from "./members.js";
import { MessageList } from "./message_list.js";
import { NoticeBar } from "./notice.js";
import { MessageSearch } from "./search.js";
import { TypingLine } from "./typing.js";

export class ChannelView {
  // lastRead: my read marker when the channel was opened (where "new messages" start).
  constructor(app, channel, { lastRead }) {
    this.app = app;
    this.channel = channel;
    this.messages = app.store.openMessages(channel.id);
    this.typing = new TypingLine(app.store, channel.id); // before the list: a message clears its sender's notice first
    this.list = new MessageList(this, { lastRead });
    this.history = new ChannelHistory({ channel, messages: this.messages, list: this.list, onPage: () => this.firstUnread.mark() });
    this.firstUnread = new FirstUnread({ me: app.me, lastRead, unreadAtOpen: lastRead < channel.last_seq, messages: this.messages, list: this.list, history: this.history });
    this.members = new MemberList(app, channel);
    this.composer = new Composer(this);
    this.search = new MessageSearch(this);
    this.noticeBar = new NoticeBar(this);
    this.render();
  }

  render() {
    const c = this.channel;
    this.title = h("h2", {});
    this.subtitle = h("span", {});
    this.element = h("section", { class: "channel-view", "aria-label": interpolate(gettext("Channel %(channel)s"), { channel: c.name }) },
      h("header", { class: "channel-header" },
        h("a", { href: "#/", class: "back", "aria-label": gettext("Back to channels") }, "‹"),
        h("div", { class: "title" }, this.title, h("p", { class: "muted" }, this.subtitle, this.members.onlineLine)),
        moneyFilterButton(this.list.element),
        h("button", { type: "button", class: "search-toggle", "aria-label": gettext("Search messages"), title: gettext("Search messages"), onclick: () => this.search.toggle(), "data-testid": "toggle-search" }, "🔍"),
        h("button", { type: "button", class: "panel-toggle", "aria-controls": "panel", onclick: () => this.app.togglePanel(true), "data-testid": "toggle-panel" }, gettext("Details")),
      ),
      this.search.element,
      this.noticeBar.element,
      h("div", { class: "message-area" }, this.list.element, this.firstUnread.button, this.list.scroll.newBelow),
      this.typing.element,
      ...this.composer.elements,
    );
    this.showTitle();
  }

  showTitle() {
    const c = this.channel;
    this.title.replaceChildren(c.is_private ? lockIcon() : "", `#${c.name}`);
    this.subtitle.textContent = c.description || (c.is_private ? gettext("Private channel") : gettext("Public channel"));
  }

  // Renamed, made private or public, or handed over: who may delete what changes with the owner.
  channelChanged() {
    this.showTitle();
    this.members.render();
    this.noticeBar.render();
    this.list.renderAll();
  }

  async start() {
    await this.history.loadNewest();
    this.members.showPresence();
    this.list.scroll.toEnd();
    this.members.refresh();
    await this.history.fillScreen();
    this.list.scroll.toEnd();
    this.firstUnread.showButton();
  }

  stop() {
    for (const part of [this.list, this.typing, this.members, this.composer]) part.stop();
    this.app.store.closeMessages(this.messages);
  }

  // Someone joined or left: a line in the chat.
  notice(text) {
    this.list.notice(text);
  }

  // --- what the cards, the notice bar and search ask -------------------------------------------

  messageById(id) {
    return this.messages.withId(id);
  }

  jumpToMessage(id) {
    return this.history.show(() => this.messages.withId(id));
  }

  jumpToSeq(seq) {
    return this.history.show(() => this.messages.withSeq(seq));
  }

  replyTo(card) {
    this.composer.replyTo(card.message);
  }

  startEdit(card) {
    this.composer.startEdit(card.message);
  }

  async deleteMessage(card) {
    if (!confirm(gettext("Delete this message for everyone?"))) return;
    const { id, seq } = card.message;
    await guarded(async () => {
      await del(`/api/channels/${this.channel.id}/messages/${id}`);
      this.messages.change({ type: "message_deleted", id, seq });
    })();
  }

  async react(card, emoji) {
    const { id, seq } = card.message;
    await guarded(async () => {
      const reactions = await post(`/api/channels/${this.channel.id}/messages/${id}/reactions`, { emoji });
      this.messages.change({ type: "reactions", id, seq, reactions });
    })();
  }

  // My vote's answer, as a poll frame would bring it.
  pollChanged(poll) {
    this.messages.pollChanged(poll);
  }
}
