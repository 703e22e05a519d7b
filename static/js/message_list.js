// The open channel's messages on screen: a card for each message of the store's "messages" part, in
// seq order whatever order history pages, live frames and a resume bring them in (mine not yet
// confirmed stay last until their ack), each drawn again when the store says its message changed;
// the others' read markers as each message's number of members who have not read it, and my own
// reading reported as messages scroll into view.

import { h } from "./dom.js";
import { markDays, withDividers } from "./dividers.js";
import { ListScroll } from "./list_scroll.js";
import { MessageCard } from "./messages.js";
import { ReadTracker, unreadBy } from "./reading.js";

const HIGHLIGHT_MS = 2500;

export class MessageList {
  // view: the channel view the cards act through; lastRead: my read marker when the channel was opened.
  constructor(view, { lastRead }) {
    const { app, channel } = view;
    this.view = view;
    this.store = app.store;
    this.channelId = channel.id;
    this.cards = new Map(); // seq -> card
    this.pendingCards = new Map(); // client_msg_id -> my card not yet confirmed
    this.newestSeq = 0; // the newest card placed
    this.element = h("ol", { class: "messages", "aria-live": "polite", "data-testid": "messages" });
    this.startLine = h("li", { class: "history-start muted", "data-testid": "history-start" }); // its words: history.js
    this.element.append(this.startLine);
    this.scroll = new ListScroll(this.element);
    this.reads = new ReadTracker({ root: this.element, since: lastRead, report: (seq) => app.readUpTo(channel.id, seq) });
    this.unsubscribe = [
      this.store.subscribe("messages", (id, change) => id === channel.id && this.onChange(change)),
      this.store.subscribe("reads", (id) => id === channel.id && this.showReads()),
    ];
  }

  onChange(change) {
    const { message } = change;
    if (change.kind === "history") this.placeHistory(change.messages);
    else if (change.kind === "arrived") this.scroll.follow(() => this.placeOne(message), { mine: message.sender.id === this.store.me.id });
    else if (change.kind === "pending") this.placePending(message);
    else if (change.kind === "confirmed") this.confirmed(message);
    else if (change.kind === "failed") this.failed(message);
    else if (change.kind === "changed") this.changed(message, change);
    else if (change.kind === "poll") this.cards.get(message.seq)?.pollChanged();
  }

  placeHistory(messages) {
    for (const message of messages) this.place(message);
    markDays(this.element);
    this.showReads();
    this.refreshQuotes(new Set(messages.map((message) => message.id))); // cards quoting them show them now
  }

  placeOne(message) {
    this.place(message);
    markDays(this.element);
  }

  place(message) {
    const card = new MessageCard(this.view, message);
    this.element.insertBefore(card.element, this.elementAfter(message.seq));
    this.remember(card);
  }

  // Mine, sent: last, until its ack says where it belongs.
  placePending(message) {
    const card = new MessageCard(this.view, message);
    this.pendingCards.set(message.client_msg_id, card);
    this.element.append(card.element);
    markDays(this.element);
    this.scroll.toEnd();
  }

  confirmed(message) {
    const card = this.pendingCards.get(message.client_msg_id);
    if (!card) return;
    this.pendingCards.delete(message.client_msg_id);
    card.confirmed();
    if (message.seq < this.newestSeq) this.element.insertBefore(card.element, this.elementAfter(message.seq)); // later ones came first
    this.remember(card);
    markDays(this.element);
  }

  // Refused: it stays where it was, marked, with the server's words.
  failed(message) {
    const card = this.pendingCards.get(message.client_msg_id);
    this.pendingCards.delete(message.client_msg_id);
    card?.render();
  }

  // Edited, deleted or its reactions: its card, and (edited or deleted) the cards quoting it.
  changed(message, change) {
    this.cards.get(message.seq)?.changed(change);
    if (change.body) this.refreshQuotes(new Set([message.id]));
  }

  remember(card) {
    const { seq } = card.message;
    this.cards.set(seq, card);
    this.newestSeq = Math.max(this.newestSeq, seq);
    const markers = this.store.readMarkers.get(this.channelId);
    if (markers) card.setUnread(unreadBy(markers, card.message));
    this.reads.watch(card.element);
    this.scroll.observe(card.element);
  }

  // What a message with this seq goes before: the next shown seq (with the dividers above it),
  // else my first unconfirmed message (they stay last until their ack), else nothing (the end).
  elementAfter(seq) {
    if (seq < this.newestSeq) return withDividers(this.cards.get(Math.min(...[...this.cards.keys()].filter((shown) => shown > seq))).element);
    return this.pendingCards.values().next().value?.element ?? null;
  }

  refreshQuotes(ids) {
    for (const card of this.cards.values()) if (ids.has(card.message.reply_to)) card.render();
  }

  // The others' read markers moved: every message's number of members who have not read it.
  showReads() {
    const markers = this.store.readMarkers.get(this.channelId);
    if (!markers) return;
    for (const card of this.cards.values()) card.setUnread(unreadBy(markers, card.message));
  }

  // The channel changed (its owner, who may delete what): every card again.
  renderAll() {
    for (const card of this.cards.values()) card.render();
  }

  cardOf(seq) {
    return this.cards.get(seq) ?? null;
  }

  highlight(seq) {
    const { element } = this.cards.get(seq);
    element.scrollIntoView({ block: "center" });
    element.classList.add("highlight");
    setTimeout(() => element.classList.remove("highlight"), HIGHLIGHT_MS);
  }

  // A line between the messages (someone joined or left).
  notice(text) {
    this.element.append(h("li", { class: "notice muted", role: "status" }, text));
    if (this.scroll.pinned) this.scroll.toEnd();
  }

  stop() {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.reads.stop();
    this.scroll.stop();
  }
}
