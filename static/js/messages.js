// One message as a card: the quote of what it answers, sender and time ("edited" once edited),
// its body (or that it was deleted), its reactions, how many members have not read it
// (KakaoTalk's number) and the actions on it. A card draws the store's message object (the open
// channel's messages, channel_messages.js): when the store says the message changed, the list asks
// its card to draw it again. The channel view decides where cards go and carries out the actions.

import { isActivity, isMoney } from "./activity.js";
import { avatar } from "./avatars.js";
import { h, time } from "./dom.js";
import { dayKey, gettext, interpolate } from "./i18n.js";
import { pinAction } from "./notice.js";
import { hasPhotos, photoGrid } from "./photos.js";
import { hasPoll, PollCard } from "./polls.js";
import { isSplitMessage, splitCard } from "./splits.js";
import { duesCard, isDuesMessage } from "./wallets.js";

export const REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🙏"];
const EDIT_WINDOW_MS = 24 * 60 * 60 * 1000; // the server's rule: a sender edits within a day
const QUOTE_CHARS = 80;

export const snippet = (text) => (text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text);

export class MessageCard {
  // view: the channel view (who I am, the channel's owner, the quoted messages, the actions);
  // message: the store's, with status "pending" until the server acknowledged it, "failed" if it refused it.
  constructor(view, message) {
    this.view = view;
    this.message = message;
    this.unread = message.unread_count ?? 0;
    this.menuOpen = false; // kept across redraws: a live change does not close the menu under a finger
    this.element = h("li", { class: "message" });
    this.body = this.bodyElement();
    this.render();
  }

  get mine() {
    return this.message.sender.id === this.view.app.me.id;
  }

  // Mine to edit or delete: what the server posts in my name ("sys:" ids) is the channel's record.
  get written() {
    return this.mine && !this.message.client_msg_id?.startsWith("sys:");
  }

  bodyElement() {
    const m = this.message;
    if (m.deleted) return h("p", { class: "body deleted muted", "data-testid": "deleted" }, gettext("This message was deleted."));
    // A poll's card updates itself from poll frames (pollChanged), keeping what the treasurer types.
    if (hasPoll(m)) {
      this.pollCard = new PollCard(this.view, m.poll);
      return this.pollCard.element;
    }
    if (isSplitMessage(m)) return splitCard(this.view.app, m); // built once, like a dues card
    if (hasPhotos(m)) return h("div", { class: "body with-photos" }, photoGrid(m), m.body === "📷" ? null : h("p", {}, m.body));
    // A dues request's card holds a payment form: it is built once, so a change never wipes a PIN being typed.
    return isDuesMessage(m) ? duesCard(this.view.app, m) : h("p", { class: "body" }, m.body);
  }

  render() {
    const m = this.message;
    const mentionsMe = (m.mentions || []).includes(this.view.app.me.id);
    const withAvatar = !this.mine && !isActivity(m);
    this.element.className = ["message", this.mine && "mine", mentionsMe && "mentions-me", m.deleted && "deleted", isActivity(m) && "activity", m.status].filter(Boolean).join(" ");
    this.element.toggleAttribute("data-avatar", withAvatar); // an attribute: the class list says what the message is
    Object.assign(this.element.dataset, { seq: m.seq ?? "", id: m.id ?? "", clientMsgId: m.client_msg_id, day: dayKey(m.created_at), money: isMoney(m), sender: m.sender.id });
    const parts = [
      withAvatar ? avatar(m.sender) : null,
      m.reply_to && !m.deleted ? this.quote() : null,
      h("div", { class: "meta" }, h("strong", {}, m.sender.username), " ", h("time", { datetime: m.created_at }, time(m.created_at)),
        m.edited_at && !m.deleted ? h("span", { class: "edited", "data-testid": "edited" }, ` ${gettext("(edited)")}`) : null),
      this.body,
      this.reactions(),
      this.unreadMark(),
      m.id && !m.deleted ? this.actions() : null,
      m.status === "failed" ? h("p", { class: "field-error", role: "alert" }, m.failure || gettext("Not sent.")) : null,
    ];
    this.element.replaceChildren(...parts.flat().filter(Boolean));
  }

  quote() {
    const original = this.view.messageById(this.message.reply_to);
    const text = !original ? gettext("an earlier message") : original.deleted ? gettext("This message was deleted.") : snippet(original.body);
    return h("button", { type: "button", class: "quote", "data-testid": "quote", title: gettext("Show the original message"), onclick: () => this.view.jumpToMessage(this.message.reply_to) },
      original ? h("strong", {}, original.sender.username) : null, " ", text);
  }

  reactions() {
    const shown = Object.entries(this.message.reactions || {}).filter(([, count]) => count > 0);
    if (!shown.length || this.message.deleted) return null;
    return h("div", { class: "reactions", "data-testid": "reactions" }, shown.map(([emoji, count]) =>
      h("button", { type: "button", class: "reaction", dataset: { emoji }, "aria-label": interpolate(gettext("%(emoji)s: %(count)s, click to add or take back yours"), { emoji, count }), onclick: () => this.view.react(this, emoji) },
        `${emoji} ${count}`)));
  }

  unreadMark() {
    this.unreadElement = h("span", { class: "unread-count", "data-testid": "unread-count", title: gettext("Members who have not read it") });
    this.showUnread();
    return this.unreadElement;
  }

  showUnread() {
    this.unreadElement.textContent = String(this.unread);
    this.unreadElement.hidden = !this.unread || this.message.deleted || !this.message.id;
  }

  actions() {
    const m = this.message;
    const editable = this.written && Date.now() - new Date(m.created_at) < EDIT_WINDOW_MS;
    const deletable = this.written || this.view.channel.owner.id === this.view.app.me.id;
    // An action closes the menu, then runs.
    const act = (run) => () => {
      this.menuOpen = false;
      this.render();
      run();
    };
    const menu = h("div", { class: "actions", hidden: !this.menuOpen, "data-testid": "message-actions" },
      REACTIONS.map((emoji) => h("button", { type: "button", class: "react", "aria-label": interpolate(gettext("React with %(emoji)s"), { emoji }), onclick: act(() => this.view.react(this, emoji)) }, emoji)),
      h("button", { type: "button", onclick: act(() => this.view.replyTo(this)), "data-testid": "reply" }, gettext("Reply")),
      editable ? h("button", { type: "button", onclick: act(() => this.view.startEdit(this)), "data-testid": "edit" }, gettext("Edit")) : null,
      pinAction(this.view, this, act),
      deletable ? h("button", { type: "button", class: "danger", onclick: act(() => this.view.deleteMessage(this)), "data-testid": "delete" }, gettext("Delete")) : null);
    const toggle = h("button", { type: "button", class: "more", "aria-label": gettext("Message actions"), "aria-expanded": String(this.menuOpen), "data-testid": "more",
      onclick: () => {
        this.menuOpen = !this.menuOpen;
        menu.hidden = !this.menuOpen;
        toggle.setAttribute("aria-expanded", String(this.menuOpen));
      } }, "⋯");
    return [toggle, menu];
  }

  // The store changed the message: edited or deleted (body: a new body), or its reactions.
  changed({ body }) {
    if (body) this.body = this.bodyElement();
    this.render();
  }

  // The sender's own card, once the server acknowledged it: it has an id and a seq now (and the
  // echo counts who has not read it; the ack does not).
  confirmed() {
    this.unread = this.message.unread_count ?? this.unread;
    this.render();
  }

  // A poll's card updates itself, keeping what the treasurer types.
  pollChanged() {
    this.pollCard?.update(this.message.poll);
  }

  setUnread(count) {
    this.unread = count;
    this.showUnread();
  }
}
