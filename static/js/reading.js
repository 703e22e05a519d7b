// What has been read, both ways. This reader: a `read` frame as messages scroll into view, one
// for the highest seq seen and at most one every READ_EVERY_MS (not one per message), and only
// while the page is visible. The others: their read markers give each message its number of
// members who have not read it (KakaoTalk's number), as the server counts it.

const READ_EVERY_MS = 500;
const READ_SHARE = 0.5; // half of a message in view reads it (a tall one: half of the view)

export class ReadTracker {
  // since: the seq already read; report(seq): tells the server.
  constructor({ root, since, report }) {
    this.seen = since;
    this.sent = since;
    this.report = report;
    this.timer = null;
    this.observer = new IntersectionObserver((entries) => this.onSeen(entries), { root, threshold: [0, READ_SHARE, 1] });
    this.onVisible = () => document.visibilityState === "visible" && this.flush();
    document.addEventListener("visibilitychange", this.onVisible);
  }

  watch(element) {
    if (element.dataset.seq) this.observer.observe(element);
  }

  onSeen(entries) {
    for (const entry of entries) {
      const view = entry.rootBounds?.height ?? 0;
      const read = entry.intersectionRatio >= READ_SHARE || entry.intersectionRect.height >= view * READ_SHARE;
      if (entry.isIntersecting && read) {
        this.seen = Math.max(this.seen, Number(entry.target.dataset.seq));
        this.observer.unobserve(entry.target); // read once is read
      }
    }
    if (this.seen > this.sent && !this.timer) this.timer = setTimeout(() => this.flush(), READ_EVERY_MS);
  }

  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (document.visibilityState !== "visible" || this.seen <= this.sent) return; // a hidden tab reads nothing
    this.sent = this.seen;
    this.report(this.seen);
  }

  stop() {
    clearTimeout(this.timer);
    this.observer.disconnect();
    document.removeEventListener("visibilitychange", this.onVisible);
  }
}

// Members other than the sender whose marker is below the message's seq; markers: Map user id -> seq.
export function unreadBy(markers, message) {
  let count = 0;
  for (const [user, seq] of markers) if (user !== message.sender.id && seq < message.seq) count += 1;
  return count;
}
