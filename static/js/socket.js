// One WebSocket for every channel: reconnects with backoff and jitter, obeys the server's
// reconnect frame, resubscribes with since_seq, and re-sends unacknowledged messages
// (the server de-duplicates them by client_msg_id).

const PING_EVERY_MS = 25000;

export class Socket {
  constructor({ onFrame, onStatus }) {
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.subscriptions = new Map(); // channel -> highest seq seen
    this.unacked = new Map(); // client_msg_id -> send frame
    this.attempt = 0;
    this.retryAfterMs = null;
    this.connect();
  }

  connect() {
    this.onStatus(this.attempt ? "reconnecting" : "connecting");
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/");
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onStatus("online");
      for (const [channel, seq] of this.subscriptions) this.raw({ type: "subscribe", channel, since_seq: seq });
      for (const frame of this.unacked.values()) this.raw(frame);
      this.pinger = setInterval(() => this.raw({ type: "ping" }), PING_EVERY_MS);
    };
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "reconnect") {
        this.retryAfterMs = frame.retry_after_ms;
        ws.close();
        return;
      }
      if (frame.type === "ack") this.unacked.delete(frame.client_msg_id);
      if (frame.type === "message") this.noteSeq(frame.channel, frame.seq);
      this.onFrame(frame);
    };
    ws.onclose = (event) => {
      clearInterval(this.pinger);
      if (event.code === 4401) {
        this.onStatus("signed-out");
        return;
      }
      this.onStatus("reconnecting");
      // Exponential backoff with full jitter, capped; the server's retry_after_ms wins.
      const backoff = Math.min(30000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      const delay = this.retryAfterMs ?? backoff;
      this.retryAfterMs = null;
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    };
  }

  get open() {
    return this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  raw(frame) {
    if (this.open) this.ws.send(JSON.stringify(frame));
  }

  subscribe(channel, sinceSeq) {
    this.subscriptions.set(channel, sinceSeq);
    this.raw({ type: "subscribe", channel, since_seq: sinceSeq });
  }

  unsubscribe(channel) {
    this.subscriptions.delete(channel);
    this.raw({ type: "unsubscribe", channel });
  }

  noteSeq(channel, seq) {
    if (this.subscriptions.has(channel) && seq > this.subscriptions.get(channel)) this.subscriptions.set(channel, seq);
  }

  sendMessage(channel, body, clientMsgId) {
    const frame = { type: "send", channel, body, client_msg_id: clientMsgId };
    this.unacked.set(clientMsgId, frame);
    this.raw(frame);
  }

  typing(channel) {
    this.raw({ type: "typing", channel });
  }
}
