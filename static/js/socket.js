// One WebSocket for every channel: reconnects with backoff and jitter, obeys the server's
// reconnect frame, resubscribes with since_seq and since_version (also when the server asks a
// channel to resync), so no message and no edit, deletion or reaction is missed, and re-sends
// unacknowledged messages (the server de-duplicates them by client_msg_id). A link
// that has gone silent (no frame, not even a pong) is treated as dropped; coming back online or
// to the tab retries at once.

const PING_EVERY_MS = 25000;
const SILENT_LIMIT_MS = 2 * PING_EVERY_MS + 5000;
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30000;
const UNAVAILABLE_RETRY_MS = 1000;
// Frames of a change to a message; each carries the channel's version of that change.
const CHANGES = new Set(["message_edited", "message_deleted", "reactions"]);

export class Socket {
  constructor({ onFrame, onStatus }) {
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.subscriptions = new Map(); // channel -> {seq, version}: the highest message seq and change version seen
    this.unacked = new Map(); // client_msg_id -> send frame
    this.unsentReads = new Map(); // channel -> seq read while the socket was down
    this.attempt = 0;
    this.retryAfterMs = null;
    this.timer = null;
    this.waitingForServer = false; // the server asked for a delay before the next try
    this.signedOut = false;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.dropped());
    document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && this.reconnectNow());
    this.connect();
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    this.onStatus(!navigator.onLine ? "offline" : this.attempt ? "reconnecting" : "connecting");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/");
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.onStatus("online");
      for (const channel of this.subscriptions.keys()) this.resubscribe(channel);
      for (const frame of this.unacked.values()) this.raw(frame);
      for (const [channel, seq] of this.unsentReads) this.read(channel, seq);
      this.pinger = setInterval(() => this.keepAlive(ws), PING_EVERY_MS);
    };
    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      const frame = JSON.parse(event.data);
      if (frame.type === "reconnect") {
        this.retryAfterMs = frame.retry_after_ms;
        ws.close();
        return;
      }
      if (frame.type === "resync") {
        // The server cannot vouch for what it sent of this channel: resume from the last seq seen.
        this.resubscribe(frame.channel);
        return;
      }
      if (frame.type === "unsubscribed" && frame.reason === "not_a_member") this.subscriptions.delete(frame.channel);
      if (frame.type === "error" && frame.code === "unavailable" && frame.channel && !frame.client_msg_id) {
        setTimeout(() => this.resubscribe(frame.channel), UNAVAILABLE_RETRY_MS);
      }
      if (frame.type === "ack") this.unacked.delete(frame.client_msg_id);
      if (frame.type === "message") this.noteSeq(frame.channel, frame.seq);
      if (CHANGES.has(frame.type)) this.noteVersion(frame.channel, frame.version);
      if (frame.type === "subscribed") this.noteFirstVersion(frame.channel, frame.last_version);
      this.onFrame(frame);
    };
    ws.onclose = (event) => this.closed(ws, event.code);
  }

  keepAlive(ws) {
    if (Date.now() - this.lastFrameAt < SILENT_LIMIT_MS) {
      this.raw({ type: "ping" });
      return;
    }
    this.dropped();
  }

  // The link is gone (silent, or the device says it is offline): the socket may still look open, and
  // its close event may come much later on a dead link: do not wait for it.
  dropped() {
    const ws = this.ws;
    if (!ws) return;
    ws.close();
    this.closed(ws, 1006);
  }

  closed(ws, code) {
    if (ws !== this.ws) return; // a socket already given up on
    this.ws = null;
    clearInterval(this.pinger);
    if (code === 4401) {
      this.signedOut = true;
      this.onStatus("signed-out");
      return;
    }
    this.onStatus(navigator.onLine ? "reconnecting" : "offline");
    // Exponential backoff, capped, with jitter so a restarted node is not hit by every client at
    // once; the server's retry_after_ms (already jittered by the server) wins.
    const backoff = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    const delay = this.retryAfterMs ?? backoff;
    this.waitingForServer = this.retryAfterMs !== null;
    this.retryAfterMs = null;
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // The network or the tab is back: try now instead of waiting out the backoff.
  reconnectNow() {
    if (this.ws || this.signedOut || this.waitingForServer) return;
    this.attempt = 0;
    this.connect();
  }

  get open() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  raw(frame) {
    if (this.open) this.ws.send(JSON.stringify(frame));
  }

  // The first subscribe has no version: the messages this page reads come as they are now, and
  // changes after the `subscribed` frame's last_version come live.
  subscribe(channel, sinceSeq) {
    this.subscriptions.set(channel, { seq: sinceSeq, version: null });
    this.raw({ type: "subscribe", channel, since_seq: sinceSeq });
  }

  resubscribe(channel) {
    const seen = this.subscriptions.get(channel);
    if (!seen) return;
    const frame = { type: "subscribe", channel, since_seq: seen.seq };
    if (seen.version !== null) frame.since_version = seen.version;
    this.raw(frame);
  }

  unsubscribe(channel) {
    this.subscriptions.delete(channel);
    this.raw({ type: "unsubscribe", channel });
  }

  noteSeq(channel, seq) {
    const seen = this.subscriptions.get(channel);
    if (seen && seq > seen.seq) seen.seq = seq;
  }

  noteVersion(channel, version) {
    const seen = this.subscriptions.get(channel);
    if (seen && version > (seen.version ?? 0)) seen.version = version;
  }

  // A resume's `subscribed` is not taken as the version reached: the changes it replays come after it.
  noteFirstVersion(channel, version) {
    const seen = this.subscriptions.get(channel);
    if (seen && seen.version === null) seen.version = version;
  }

  sendMessage(channel, body, clientMsgId, replyTo = null) {
    const frame = { type: "send", channel, body, client_msg_id: clientMsgId };
    if (replyTo) frame.reply_to = replyTo;
    this.unacked.set(clientMsgId, frame);
    this.raw(frame);
  }

  typing(channel) {
    this.raw({ type: "typing", channel });
  }

  // A read while offline goes out on the next connection (a marker never moves back: a repeat is harmless).
  read(channel, seq) {
    if (!this.open) {
      this.unsentReads.set(channel, Math.max(seq, this.unsentReads.get(channel) ?? 0));
      return;
    }
    this.unsentReads.delete(channel);
    this.raw({ type: "read", channel, seq });
  }
}
