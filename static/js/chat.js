// The open channel: history (older pages on scroll up), live messages, my pending sends
// confirmed by their ack, typing, members and join/leave notices.

import { get, post } from "./api.js";
import { h, time } from "./dom.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { duesCard, isDuesMessage } from "./wallets.js";

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 4000;

export class ChannelView {
  constructor(app, channel) {
    this.app = app;
    this.channel = channel;
    this.bySeq = new Map(); // seq -> element
    this.pending = new Map(); // client_msg_id -> element not yet confirmed
    this.oldestSeq = null;
    this.newestSeq = 0;
    this.hasMore = false;
    this.loadingOlder = false;
    this.lastTypingSent = 0;
    this.typers = new Map(); // username -> timeout
    this.render();
  }

  render() {
    const c = this.channel;
    this.list = h("ol", { class: "messages", "aria-live": "polite", "data-testid": "messages" });
    this.historyStart = h("li", { class: "history-start muted", "data-testid": "history-start" });
    this.list.append(this.historyStart);
    this.list.addEventListener("scroll", () => this.list.scrollTop < 40 && this.loadOlder());
    this.typingLine = h("div", { class: "typing muted", "data-testid": "typing" });
    this.input = h("textarea", { rows: 1, maxlength: 4000, placeholder: interpolate(gettext("Message #%(channel)s"), { channel: c.name }), "aria-label": gettext("Message"), "data-testid": "composer" });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.send();
      }
    });
    this.input.addEventListener("input", () => this.noteTyping());
    this.members = h("ul", { class: "member-list", "data-testid": "members" });
    this.element = h("section", { class: "channel-view", "aria-label": interpolate(gettext("Channel %(channel)s"), { channel: c.name }) },
      h("header", { class: "channel-header" },
        h("a", { href: "#/", class: "back", "aria-label": gettext("Back to channels") }, "‹"),
        h("div", { class: "title" }, h("h2", {}, `#${c.name}`), h("p", { class: "muted" }, c.description || (c.is_private ? gettext("Private channel") : gettext("Public channel")))),
        h("button", { type: "button", class: "panel-toggle", "aria-controls": "panel", onclick: () => this.app.togglePanel(true), "data-testid": "toggle-panel" }, gettext("Details")),
      ),
      this.list,
      this.typingLine,
      h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); this.send(); } },
        this.input, h("button", { type: "submit", class: "primary", "data-testid": "send" }, gettext("Send"))),
    );
  }

  async start() {
    const page = await get(`/api/channels/${this.channel.id}/messages?limit=50`);
    this.hasMore = page.has_more;
    for (const message of page.results) this.append(message);
    this.showHistoryStart();
    this.scrollToEnd();
    this.refreshMembers();
    this.markRead();
    await this.fillScreen();
  }

  // A tall screen may show the whole first page with nothing to scroll: load older ones until it can.
  async fillScreen() {
    while (this.hasMore && this.list.scrollHeight <= this.list.clientHeight) {
      if (!(await this.loadOlder())) return;
    }
  }

  showHistoryStart() {
    this.historyStart.textContent = this.hasMore
      ? gettext("Loading older messages…")
      : interpolate(gettext("This is the start of #%(channel)s."), { channel: this.channel.name });
  }

  async refreshMembers() {
    try {
      const members = await get(`/api/channels/${this.channel.id}/members`);
      // Money to a person starts from their name: my wallet's send form, with them chosen.
      this.members.replaceChildren(...members.map((m) => h("li", {}, m.username,
        m.id === this.app.me.id ? null : h("a", { href: `#/wallet/to/${m.id}`, class: "send-to small", "data-testid": `send-to-${m.username}` }, ` ${gettext("Send money")}`))));
    } catch {
      // Offline, or no longer a member: the list shown stays until the next change.
    }
  }

  // True when a page was loaded.
  async loadOlder() {
    if (!this.hasMore || this.loadingOlder || this.oldestSeq === null) return false;
    this.loadingOlder = true;
    try {
      const before = this.list.scrollHeight;
      const page = await get(`/api/channels/${this.channel.id}/messages?before_seq=${this.oldestSeq}&limit=50`);
      this.hasMore = page.has_more;
      for (const message of page.results) this.place(message);
      this.list.scrollTop += this.list.scrollHeight - before; // keep what the reader was looking at
      this.showHistoryStart();
      return true;
    } catch {
      this.historyStart.textContent = gettext("Could not load older messages. Scroll up to try again.");
      return false;
    } finally {
      this.loadingOlder = false;
    }
  }

  messageElement(message) {
    const mine = message.sender.id === this.app.me.id;
    const body = isDuesMessage(message) ? duesCard(this.app, message) : h("p", { class: "body" }, message.body);
    const element = h("li", { class: `message${mine ? " mine" : ""}`, dataset: { seq: message.seq ?? "", clientMsgId: message.client_msg_id } },
      h("div", { class: "meta" }, h("strong", {}, message.sender.username), " ", h("time", { datetime: message.created_at }, time(message.created_at))),
      body,
    );
    return element;
  }

  // A message from history or the socket; never shown twice.
  append(message) {
    if (this.bySeq.has(message.seq)) return;
    const pending = this.pending.get(message.client_msg_id);
    if (pending && message.sender.id === this.app.me.id) {
      this.confirm(pending, message);
      return;
    }
    const nearEnd = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
    this.place(message);
    if (nearEnd || message.sender.id === this.app.me.id) this.scrollToEnd();
  }

  // Puts a message where its seq belongs, whatever order history pages, live frames and a resume
  // bring them in.
  place(message) {
    if (this.bySeq.has(message.seq)) return;
    const element = this.messageElement(message);
    this.list.insertBefore(element, this.elementAfter(message.seq));
    this.bySeq.set(message.seq, element);
    this.newestSeq = Math.max(this.newestSeq, message.seq);
    if (this.oldestSeq === null || message.seq < this.oldestSeq) this.oldestSeq = message.seq;
  }

  // What a message with this seq goes before: the next shown seq, else my first unconfirmed
  // message (they stay last until their ack), else nothing (the end).
  elementAfter(seq) {
    if (seq < this.newestSeq) return this.bySeq.get(Math.min(...[...this.bySeq.keys()].filter((shown) => shown > seq)));
    return this.pending.values().next().value ?? null;
  }

  confirm(element, { client_msg_id: clientMsgId, seq }) {
    this.pending.delete(clientMsgId);
    element.classList.remove("pending");
    element.dataset.seq = seq;
    if (seq < this.newestSeq) this.list.insertBefore(element, this.elementAfter(seq)); // later ones came first
    this.bySeq.set(seq, element);
    this.newestSeq = Math.max(this.newestSeq, seq);
  }

  send() {
    const body = this.input.value.trim();
    if (!body) return;
    const clientMsgId = crypto.randomUUID();
    const draft = { client_msg_id: clientMsgId, sender: this.app.me, body, created_at: new Date().toISOString() };
    const element = this.messageElement(draft);
    element.classList.add("pending");
    this.pending.set(clientMsgId, element);
    this.list.append(element);
    this.scrollToEnd();
    this.input.value = "";
    this.app.socket.sendMessage(this.channel.id, body, clientMsgId);
  }

  onAck(frame) {
    const element = this.pending.get(frame.client_msg_id);
    if (element) this.confirm(element, frame);
  }

  onError(frame) {
    const element = this.pending.get(frame.client_msg_id);
    if (element) {
      element.classList.add("failed");
      element.append(h("p", { class: "field-error", role: "alert" }, frame.detail || gettext("Not sent.")));
      this.pending.delete(frame.client_msg_id);
      this.app.socket.unacked.delete(frame.client_msg_id);
    }
  }

  noteTyping() {
    const now = Date.now();
    if (now - this.lastTypingSent > TYPING_SEND_EVERY_MS) {
      this.lastTypingSent = now;
      this.app.socket.typing(this.channel.id);
    }
  }

  onTyping(user) {
    clearTimeout(this.typers.get(user.username));
    this.typers.set(user.username, setTimeout(() => { this.typers.delete(user.username); this.showTypers(); }, TYPING_SHOWN_MS));
    this.showTypers();
  }

  showTypers() {
    const names = [...this.typers.keys()];
    this.typingLine.textContent = names.length
      ? interpolate(ngettext("%(names)s is typing…", "%(names)s are typing…", names.length), { names: names.join(", ") })
      : "";
  }

  notice(text) {
    this.list.append(h("li", { class: "notice muted", role: "status" }, text));
    this.scrollToEnd();
  }

  markRead() {
    if (this.newestSeq) post(`/api/channels/${this.channel.id}/read`, { seq: this.newestSeq }).catch(() => {});
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }
}

// An invite link (/join/<id>) or a channel I am not in: what it is, and a join form that asks for
// the password when it is private.
export class JoinView {
  constructor(app, channelId) {
    this.app = app;
    this.channelId = channelId;
    this.element = h("section", { class: "join-view", "aria-label": gettext("Join a channel") });
  }

  async start() {
    const channel = await get(`/api/channels/${this.channelId}`);
    this.element.replaceChildren(h("div", { class: "join-card", "data-testid": "join-card" },
      h("h2", {}, `#${channel.name}`),
      channel.description ? h("p", {}, channel.description) : null,
      h("p", { class: "muted" }, [
        channel.is_private ? gettext("Private channel") : gettext("Public channel"),
        interpolate(ngettext("%(count)s member", "%(count)s members", channel.member_count), { count: channel.member_count }),
        interpolate(gettext("started by %(name)s"), { name: channel.owner.username }),
      ].join(" · ")),
      channel.is_private ? h("p", {}, gettext("This channel is private: ask a member for its password.")) : null,
      this.app.joinForm(channel)));
  }
}
