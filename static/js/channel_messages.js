// The open channel's messages, the store's "messages" part: what history pages, live frames and my
// own sends brought, by seq, and mine not yet confirmed by client_msg_id. The message objects here are
// the ones the cards draw; every change goes through a method that tells the subscribers what changed:
//
//   {kind: "history", messages}      a page of history (the first, or older ones) was placed
//   {kind: "arrived", message}       a live message, new here
//   {kind: "pending", message}       mine, sent, waiting for its ack (status "pending")
//   {kind: "confirmed", message}     mine, acknowledged: it has an id and a seq now
//   {kind: "failed", message}        mine, refused (status "failed", the server's words in `failure`)
//   {kind: "changed", message, body} edited or deleted (body: true) or its reactions changed
//   {kind: "poll", message}          its poll's counts changed, or the poll closed

export class ChannelMessages {
  // me: my user id (my own echo confirms my message); notify(change): the store tells the part's subscribers.
  constructor(channelId, me, notify) {
    this.channelId = channelId;
    this.me = me;
    this.notify = notify;
    this.bySeq = new Map();
    this.byId = new Map();
    this.pending = new Map(); // client_msg_id -> my message not yet confirmed, in the order sent
    this.hasOlder = false; // history holds messages older than the oldest here
    this.oldestSeq = null;
    this.newestSeq = 0;
  }

  withSeq(seq) {
    return this.bySeq.get(seq) ?? null;
  }

  withId(id) {
    return this.byId.get(id) ?? null;
  }

  // A page of history (ascending by seq); what a live frame already brought is not placed twice.
  history(page) {
    this.hasOlder = page.has_more;
    const placed = page.results.filter((message) => this.keep(message));
    this.notify({ kind: "history", messages: placed });
  }

  // A message from the socket: a repeat (a resume) is ignored, my own echo confirms my pending one.
  receive(message) {
    if (this.bySeq.has(message.seq)) return;
    if (this.pending.has(message.client_msg_id) && message.sender.id === this.me) {
      this.confirm(message);
      return;
    }
    this.keep(message);
    this.notify({ kind: "arrived", message });
  }

  // My message, shown at once; the server's ack (or its echo) confirms it.
  send(message) {
    message.status = "pending";
    this.pending.set(message.client_msg_id, message);
    this.notify({ kind: "pending", message });
  }

  // The ack, or the echo of my message (which also counts who has not read it).
  confirm({ client_msg_id: clientMsgId, id, seq, created_at: createdAt, unread_count: unread }) {
    const message = this.pending.get(clientMsgId);
    if (!message) return;
    this.pending.delete(clientMsgId);
    Object.assign(message, { id, seq, created_at: createdAt, status: null });
    if (unread !== undefined) message.unread_count = unread;
    this.keep(message);
    this.notify({ kind: "confirmed", message });
  }

  // The server refused my message: it stays on screen, marked, with the server's words. True when it was mine.
  fail(clientMsgId, detail) {
    const message = this.pending.get(clientMsgId);
    if (!message) return false;
    this.pending.delete(clientMsgId);
    Object.assign(message, { status: "failed", failure: detail });
    this.notify({ kind: "failed", message });
    return true;
  }

  // message_edited, message_deleted or reactions (a live frame, or the answer to my own action): the
  // change says what the message now is. A message not loaded is left alone: history brings it as it is now.
  change(change) {
    const message = this.bySeq.get(change.seq);
    if (!message) return;
    if (change.type === "message_edited" && !message.deleted) {
      Object.assign(message, { body: change.body, mentions: change.mentions, edited_at: change.edited_at });
    } else if (change.type === "message_deleted" && !message.deleted) {
      Object.assign(message, { body: null, deleted: true, reactions: {} });
    } else if (change.type === "reactions" && change.reactions) {
      message.reactions = change.reactions; // the whole map: on resume, and the answer to my own toggle
    } else if (change.type === "reactions") {
      // Live: the one emoji that changed, with its new count (0: gone).
      message.reactions = { ...message.reactions, [change.emoji]: change.count };
      if (!change.count) delete message.reactions[change.emoji];
    }
    this.notify({ kind: "changed", message, body: change.type !== "reactions" });
  }

  // A poll's counts changed or it closed: its message, if loaded.
  pollChanged(poll) {
    for (const message of this.bySeq.values()) {
      if (message.poll?.id !== poll.id) continue;
      message.poll = poll;
      this.notify({ kind: "poll", message });
    }
  }

  // True when the message is new here.
  keep(message) {
    if (this.bySeq.has(message.seq)) return false;
    this.bySeq.set(message.seq, message);
    this.byId.set(message.id, message);
    if (this.oldestSeq === null || message.seq < this.oldestSeq) this.oldestSeq = message.seq;
    this.newestSeq = Math.max(this.newestSeq, message.seq);
    return true;
  }
}
