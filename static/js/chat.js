// The open channel: history (older pages on scroll up, or until a message asked for is loaded),
// live messages and the changes to them, my pending sends confirmed by their ack, replies and
// edits from the composer, @mentions, search, read counts, days and the first unread, typing,
// members (online or not; the owner's controls) and join/leave notices.

import { del, get, patch, post } from "./api.js";
import { composing, guarded, h, lockIcon, toast } from "./dom.js";
import { dayHeading, gettext, interpolate, ngettext } from "./i18n.js";
import { MentionPicker } from "./mentions.js";
import { MessageCard, snippet } from "./messages.js";
import { ReadTracker, unreadBy } from "./reading.js";
import { MessageSearch } from "./search.js";
import { NoticeBar } from "./notice.js";
import { moneyFilterButton } from "./activity.js";
import { photoButton } from "./photos.js";
import { pollForm } from "./polls.js";
import { splitForm } from "./splits.js";

const TYPING_SEND_EVERY_MS = 3000;
const TYPING_SHOWN_MS = 4000;
const PAGE = 50;
const FAR_PAGE = 100; // pages loaded while looking for a message far back
const FAR_PAGES = 20; // how far back a jump looks (a quote of an older message says so instead)
const HIGHLIGHT_MS = 2500;
const RUN_GAP_MS = 5 * 60 * 1000; // one sender's messages this close together read as one run
const AT_END_PX = 80; // this close to the bottom, the reader is reading the newest messages

export class ChannelView {
  // lastRead: my read marker when the channel was opened (where "new messages" start).
  constructor(app, channel, { lastRead }) {
    this.app = app;
    this.channel = channel;
    this.lastRead = lastRead;
    this.cards = new Map(); // seq -> card
    this.byId = new Map(); // message id -> card
    this.pending = new Map(); // client_msg_id -> my card not yet confirmed
    this.oldestSeq = null;
    this.newestSeq = 0;
    this.hasMore = false;
    this.loadingOlder = false;
    this.lastTypingSent = 0;
    this.typers = new Map(); // username -> timeout
    this.memberList = []; // [{id, username}]
    this.replying = null; // the card the composer answers
    this.editing = null; // the card the composer edits
    this.newDivider = null;
    this.unreadAtOpen = lastRead < channel.last_seq; // messages that come while it is open are not "new" here
    this.unreadSeen = false;
    this.pinned = true; // the reader is at the newest message: what arrives or grows keeps them there
    this.render();
    // Drawn from the store: the others' reads and who is online change while the channel is open.
    this.unsubscribe = [
      app.store.subscribe("reads", (id) => id === channel.id && this.showReads()),
      app.store.subscribe("presence", (id) => id === channel.id && this.showPresence()),
    ];
    this.reads = new ReadTracker({ root: this.list, since: lastRead, report: (seq) => app.readUpTo(channel.id, seq) });
  }

  render() {
    const c = this.channel;
    this.list = h("ol", { class: "messages", "aria-live": "polite", "data-testid": "messages" });
    this.historyStart = h("li", { class: "history-start muted", "data-testid": "history-start" });
    this.list.append(this.historyStart);
    this.lastTop = 0;
    this.list.addEventListener("scroll", () => {
      if (this.list.scrollTop < 40) this.loadOlder();
      this.notePosition();
      if (this.pinned) this.newBelow.hidden = true;
      this.showJumpToUnread();
    });
    // A card that grows after it was placed (a dues card filling in, a photo loading) or a view that
    // shrinks (the phone's keyboard opening) would push the newest message out of a pinned view.
    this.growth = new ResizeObserver(() => {
      this.notePosition();
      if (this.pinned) this.scrollToEnd();
    });
    this.growth.observe(this.list);
    this.jumpButton = h("button", { type: "button", class: "jump-unread", hidden: true, onclick: guarded(() => this.jumpToUnread()), "data-testid": "jump-to-unread" }, gettext("Jump to first unread"));
    this.newBelow = h("button", { type: "button", class: "new-below", hidden: true, onclick: () => this.scrollToEnd(), "data-testid": "new-below" }, gettext("New message ↓"));
    this.typingLine = h("div", { class: "typing muted", "data-testid": "typing" });
    this.input = h("textarea", { rows: 1, maxlength: 4000, placeholder: interpolate(gettext("Message #%(channel)s"), { channel: c.name }), "aria-label": gettext("Message"), "data-testid": "composer" });
    this.mentions = new MentionPicker(this.input, () => this.memberList.filter((m) => m.id !== this.app.me.id));
    this.input.addEventListener("keydown", (event) => {
      if (composing(event)) return;
      if (this.mentions.onKeydown(event)) return;
      if (event.key === "Escape" && (this.replying || this.editing)) this.clearContext();
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.noteTyping());
    this.context = h("div", { class: "composer-context", hidden: true, "data-testid": "composer-context" });
    this.members = h("ul", { class: "member-list", "data-testid": "members" });
    this.search = new MessageSearch(this);
    this.noticeBar = new NoticeBar(this);
    this.title = h("h2", {});
    this.subtitle = h("span", {});
    this.onlineLine = h("span", { class: "online-count", "data-testid": "online-count" });
    this.element = h("section", { class: "channel-view", "aria-label": interpolate(gettext("Channel %(channel)s"), { channel: c.name }) },
      h("header", { class: "channel-header" },
        h("a", { href: "#/", class: "back", "aria-label": gettext("Back to channels") }, "‹"),
        h("div", { class: "title" }, this.title, h("p", { class: "muted" }, this.subtitle, this.onlineLine)),
        moneyFilterButton(this),
        h("button", { type: "button", class: "search-toggle", "aria-label": gettext("Search messages"), title: gettext("Search messages"), onclick: () => this.search.toggle(), "data-testid": "toggle-search" }, "🔍"),
        h("button", { type: "button", class: "panel-toggle", "aria-controls": "panel", onclick: () => this.app.togglePanel(true), "data-testid": "toggle-panel" }, gettext("Details")),
      ),
      this.search.element,
      this.noticeBar.element,
      h("div", { class: "message-area" }, this.list, this.jumpButton, this.newBelow),
      this.typingLine,
      this.context,
      this.tools(),
      h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); this.submit(); } },
        this.mentions.list, this.input, h("button", { type: "submit", class: "primary", "data-testid": "send" }, gettext("Send"))),
    );
    this.showTitle();
  }

  // Beside the composer: what a club posts besides text (a poll, a bill to split, photos).
  tools() {
    const area = h("div", { class: "composer-tool-area", "data-testid": "composer-tool-area" });
    const toggle = (make) => () => {
      if (area.firstChild?.dataset.tool === make.name) return area.replaceChildren();
      const panel = make();
      panel.dataset.tool = make.name;
      area.replaceChildren(panel);
    };
    const poll = () => pollForm(this, () => area.replaceChildren());
    const split = () => splitForm(this, () => area.replaceChildren());
    return h("div", { class: "composer-tools" },
      h("div", { class: "composer-tool-buttons" },
        h("button", { type: "button", class: "small", onclick: toggle(poll), "data-testid": "new-poll" }, "📊 ", gettext("Poll")),
        h("button", { type: "button", class: "small", onclick: toggle(split), "data-testid": "new-split" }, "🧾 ", gettext("Split a bill")),
        photoButton(this)),
      area);
  }

  // A poll's counts changed or it closed: its card, wherever it is loaded.
  applyPoll(poll) {
    for (const card of this.cards.values()) if (card.pollCard?.poll.id === poll.id) card.pollCard.update(poll);
  }

  showTitle() {
    const c = this.channel;
    this.title.replaceChildren(c.is_private ? lockIcon() : "", `#${c.name}`);
    this.subtitle.textContent = c.description || (c.is_private ? gettext("Private channel") : gettext("Public channel"));
  }

  // Renamed, made private or public, or handed over: who may delete what changes with the owner.
  channelChanged() {
    this.showTitle();
    this.showMembers();
    this.noticeBar.render();
    for (const card of this.cards.values()) card.render();
  }

  async start() {
    const page = await get(`/api/channels/${this.channel.id}/messages?limit=${PAGE}`);
    this.hasMore = page.has_more;
    for (const message of page.results) this.place(message);
    this.markDays();
    this.markFirstUnread();
    this.showHistoryStart();
    this.showReads();
    this.showPresence();
    this.scrollToEnd();
    this.refreshMembers();
    await this.fillScreen();
    this.scrollToEnd();
    this.showJumpToUnread();
  }

  stop() {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.reads.stop();
    this.growth.disconnect();
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
      this.memberList = await get(`/api/channels/${this.channel.id}/members`);
      this.showMembers();
    } catch {
      // Offline, or no longer a member: the list shown stays until the next change.
    }
  }

  showMembers() {
    const online = this.app.store.online.get(this.channel.id) ?? new Set();
    const owner = this.channel.owner.id;
    const iOwn = owner === this.app.me.id;
    // Presence and joins redraw the list: a keyboard user keeps the button they were on.
    const focused = this.members.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    this.members.replaceChildren(...this.memberList.map((m) => h("li", {
      class: m.id === owner ? "owner" : "", title: m.id === owner ? gettext("Owner") : null,
      dataset: { online: String(online.has(m.id)) }, "data-testid": `member-${m.username}`,
    },
    h("span", { class: "presence", title: online.has(m.id) ? gettext("Online") : gettext("Offline") }), m.username,
    // Money to a person starts from their name: my wallet's send form, with them chosen.
    m.id === this.app.me.id ? null : h("a", { href: `#/wallet/to/${m.id}`, class: "send-to small", "data-testid": `send-to-${m.username}` }, ` ${gettext("Send money")}`),
    iOwn && m.id !== owner ? this.app.ownerActions(this.channel, m) : null)));
    if (focused) this.members.querySelector(`[data-testid="${focused}"]`)?.focus();
  }

  showPresence() {
    const online = this.app.store.online.get(this.channel.id);
    if (!online) return;
    this.onlineLine.textContent = ` · ${interpolate(ngettext("%(count)s online", "%(count)s online", online.size), { count: online.size })}`;
    this.showMembers();
  }

  // The others' read markers moved: every message's number of members who have not read it.
  showReads() {
    const markers = this.app.store.readMarkers.get(this.channel.id);
    if (!markers) return;
    for (const card of this.cards.values()) card.setUnread(unreadBy(markers, card.message));
  }

  // True when a page was loaded.
  async loadOlder(limit = PAGE) {
    if (!this.hasMore || this.loadingOlder || this.oldestSeq === null) return false;
    this.loadingOlder = true;
    try {
      const before = this.list.scrollHeight;
      const page = await get(`/api/channels/${this.channel.id}/messages?before_seq=${this.oldestSeq}&limit=${limit}`);
      this.hasMore = page.has_more;
      for (const message of page.results) this.place(message);
      this.markDays();
      this.markFirstUnread();
      this.showReads();
      this.refreshQuotes(new Set(page.results.map((message) => message.id)));
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

  messageById(id) {
    return this.byId.get(id)?.message ?? null;
  }

  // Cards quoting these messages show them now.
  refreshQuotes(ids) {
    for (const card of this.cards.values()) if (ids.has(card.message.reply_to)) card.render();
  }

  // A message from the socket; never shown twice.
  append(message) {
    if (this.cards.has(message.seq)) return;
    this.stopTyping(message.sender); // what they were typing has arrived
    const pending = this.pending.get(message.client_msg_id);
    if (pending && message.sender.id === this.app.me.id) {
      this.confirm(pending, message);
      return;
    }
    this.notePosition(); // a reader who has just scrolled up stays where they read
    this.place(message);
    this.markDays();
    if (this.pinned || message.sender.id === this.app.me.id) this.scrollToEnd();
    else this.newBelow.hidden = false;
  }

  // Only the reader scrolling up unpins the view. Content growing under a pinned view also scrolls it
  // (the browser's scroll anchoring) before the ResizeObserver brings it back to the end: read as "the
  // reader left the end", that scroll would leave the newest message half hidden. Called by the scroll
  // event and before anything that follows a pinned view: the event comes a frame after the scroll.
  notePosition() {
    const top = this.list.scrollTop;
    if (top < this.lastTop || this.atEnd()) this.pinned = this.atEnd();
    this.lastTop = top;
  }

  atEnd() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < AT_END_PX;
  }

  // Puts a message where its seq belongs, whatever order history pages, live frames and a resume
  // bring them in.
  place(message) {
    if (this.cards.has(message.seq)) return;
    const card = new MessageCard(this, message);
    this.list.insertBefore(card.element, this.elementAfter(message.seq));
    this.remember(card);
    if (this.oldestSeq === null || message.seq < this.oldestSeq) this.oldestSeq = message.seq;
  }

  remember(card) {
    const { seq, id } = card.message;
    this.cards.set(seq, card);
    this.byId.set(id, card);
    this.newestSeq = Math.max(this.newestSeq, seq);
    const markers = this.app.store.readMarkers.get(this.channel.id);
    if (markers) card.setUnread(unreadBy(markers, card.message));
    this.reads.watch(card.element);
    this.growth.observe(card.element);
  }

  // What a message with this seq goes before: the next shown seq (with the dividers above it),
  // else my first unconfirmed message (they stay last until their ack), else nothing (the end).
  elementAfter(seq) {
    if (seq < this.newestSeq) return withDividers(this.cards.get(Math.min(...[...this.cards.keys()].filter((shown) => shown > seq))).element);
    return this.pending.values().next().value?.element ?? null;
  }

  // A heading before the first message of each day; a message that follows its sender's own by a
  // few minutes, with nothing between, goes on under the first one's name and avatar (KakaoTalk).
  markDays() {
    for (const divider of this.list.querySelectorAll(".day-divider")) divider.remove();
    let day = null;
    for (const element of this.list.querySelectorAll(":scope > .message")) {
      element.toggleAttribute("data-continued", continuesRun(element));
      if (element.dataset.day === day) continue;
      day = element.dataset.day;
      withDividers(element).before(h("li", { class: "divider day-divider", role: "separator", "data-testid": "day-divider" }, dayHeading(element.querySelector("time").dateTime)));
    }
  }

  // "New messages" above the first message from someone else after my read marker, once the
  // messages right after the marker are loaded (before that, the first loaded one is not the first).
  markFirstUnread() {
    if (!this.unreadAtOpen || this.newDivider || (this.hasMore && this.oldestSeq > this.lastRead + 1)) return;
    const unread = [...this.cards.values()].filter((card) => card.message.seq > this.lastRead && !card.mine);
    if (!unread.length) return;
    const first = unread.reduce((a, b) => (a.message.seq < b.message.seq ? a : b));
    this.newDivider = h("li", { class: "divider new-divider", role: "separator", "data-testid": "new-messages" }, gettext("New messages"));
    first.element.before(this.newDivider);
  }

  // Shown while the first unread message is above the view (or not loaded yet), until it was seen.
  showJumpToUnread() {
    if (this.newDivider && !this.unreadSeen) {
      const top = this.list.getBoundingClientRect().top;
      this.unreadSeen = this.newDivider.getBoundingClientRect().bottom > top;
    }
    this.jumpButton.hidden = this.unreadSeen || !this.unreadAtOpen || (!this.newDivider && !this.hasMore);
  }

  async jumpToUnread() {
    await this.reveal(() => this.oldestSeq <= this.lastRead + 1);
    this.markFirstUnread();
    this.newDivider?.scrollIntoView({ block: "start" });
    this.unreadSeen = true;
    this.jumpButton.hidden = true;
  }

  // Loads older pages until found() holds or the channel's start (or FAR_PAGES) is reached.
  async reveal(found) {
    for (let pages = 0; !found() && this.hasMore && pages < FAR_PAGES; pages += 1) {
      if (!(await this.loadOlder(FAR_PAGE))) break;
    }
    return found();
  }

  async jumpToMessage(id) {
    if (await this.reveal(() => this.byId.has(id))) this.highlight(this.byId.get(id));
    else toast(gettext("That message is too far back to show here."));
  }

  async jumpToSeq(seq) {
    if (await this.reveal(() => this.cards.has(seq))) this.highlight(this.cards.get(seq));
    else toast(gettext("That message is too far back to show here."));
  }

  highlight(card) {
    card.element.scrollIntoView({ block: "center" });
    card.element.classList.add("highlight");
    setTimeout(() => card.element.classList.remove("highlight"), HIGHLIGHT_MS);
  }

  confirm(card, frame) {
    this.pending.delete(frame.client_msg_id);
    card.status = null;
    card.confirm(frame);
    if (frame.seq < this.newestSeq) this.list.insertBefore(card.element, this.elementAfter(frame.seq)); // later ones came first
    this.remember(card);
    this.markDays();
  }

  submit() {
    const body = this.input.value.trim();
    if (!body) return;
    if (this.editing) {
      guarded(() => this.saveEdit(this.editing, body))();
      return;
    }
    const clientMsgId = crypto.randomUUID();
    const replyTo = this.replying?.message.id ?? null;
    const card = new MessageCard(this, { client_msg_id: clientMsgId, sender: this.app.me, body, created_at: new Date().toISOString(), reply_to: replyTo, reactions: {}, mentions: [] });
    card.status = "pending";
    card.render();
    this.pending.set(clientMsgId, card);
    this.list.append(card.element);
    this.markDays();
    this.scrollToEnd();
    this.input.value = "";
    this.clearContext();
    this.app.socket.sendMessage(this.channel.id, body, clientMsgId, replyTo);
    this.lastTypingSent = 0; // the others clear my typing notice on this message: the next key tells them again
  }

  replyTo(card) {
    this.editing = null;
    this.replying = card;
    this.showContext(gettext("Replying to %(name)s: %(text)s"), card);
  }

  startEdit(card) {
    this.replying = null;
    this.editing = card;
    this.input.value = card.message.body;
    this.showContext(gettext("Editing your message: %(text)s"), card);
  }

  showContext(format, card) {
    this.context.replaceChildren(
      h("span", { class: "context-text" }, interpolate(format, { name: card.message.sender.username, text: snippet(card.message.body) })),
      h("button", { type: "button", class: "context-cancel", "aria-label": gettext("Cancel"), onclick: () => this.clearContext(), "data-testid": "cancel-context" }, "×"));
    this.context.hidden = false;
    this.input.focus();
  }

  clearContext() {
    if (this.editing) this.input.value = "";
    this.replying = null;
    this.editing = null;
    this.context.hidden = true;
  }

  async saveEdit(card, body) {
    const message = await patch(`/api/channels/${this.channel.id}/messages/${card.message.id}`, { body });
    card.apply({ type: "message_edited", ...message });
    this.clearContext();
  }

  async deleteMessage(card) {
    if (!confirm(gettext("Delete this message for everyone?"))) return;
    await guarded(async () => {
      await del(`/api/channels/${this.channel.id}/messages/${card.message.id}`);
      this.applyChange({ type: "message_deleted", id: card.message.id, seq: card.message.seq });
    })();
  }

  async react(card, emoji) {
    await guarded(async () => {
      const reactions = await post(`/api/channels/${this.channel.id}/messages/${card.message.id}/reactions`, { emoji });
      card.apply({ type: "reactions", reactions });
    })();
  }

  // message_edited, message_deleted or reactions: to the card, and to the quotes of it.
  applyChange(frame) {
    const card = this.cards.get(frame.seq);
    if (!card) return; // not loaded: history brings it as it is now
    card.apply(frame);
    if (frame.type === "message_deleted" && (this.editing === card || this.replying === card)) this.clearContext();
    if (frame.type !== "reactions") this.refreshQuotes(new Set([card.message.id]));
  }

  onAck(frame) {
    const card = this.pending.get(frame.client_msg_id);
    if (card) this.confirm(card, frame);
  }

  onError(frame) {
    const card = this.pending.get(frame.client_msg_id);
    if (card) {
      card.status = "failed";
      card.render();
      card.element.append(h("p", { class: "field-error", role: "alert" }, frame.detail || gettext("Not sent.")));
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

  stopTyping(user) {
    clearTimeout(this.typers.get(user.username));
    if (this.typers.delete(user.username)) this.showTypers();
  }

  showTypers() {
    const names = [...this.typers.keys()];
    this.typingLine.textContent = names.length
      ? interpolate(ngettext("%(names)s is typing…", "%(names)s are typing…", names.length), { names: names.join(", ") })
      : "";
  }

  notice(text) {
    this.list.append(h("li", { class: "notice muted", role: "status" }, text));
    if (this.pinned) this.scrollToEnd();
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    this.pinned = true;
    this.newBelow.hidden = true;
  }
}

// The element with the dividers right above it (a day's heading, "new messages"): what goes before it goes before them.
function continuesRun(element) {
  const previous = element.previousElementSibling; // a divider (a new day, "new messages") ends a run
  if (!previous?.classList.contains("message") || element.classList.contains("activity") || previous.classList.contains("activity")) return false;
  if (previous.dataset.sender !== element.dataset.sender) return false;
  const gap = new Date(element.querySelector("time").dateTime) - new Date(previous.querySelector("time").dateTime);
  return gap >= 0 && gap < RUN_GAP_MS;
}

function withDividers(element) {
  let first = element;
  while (first.previousElementSibling?.classList.contains("divider")) first = first.previousElementSibling;
  return first;
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
      h("h2", {}, channel.is_private ? lockIcon() : "", `#${channel.name}`),
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
