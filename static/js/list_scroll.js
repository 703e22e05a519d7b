// Where the reader is in the message list: pinned to the newest message (what arrives or grows keeps
// them there) or reading further up (a message arriving shows the "new message" hint instead of
// pulling them down), and the place kept when older messages are put above.

import { h } from "./dom.js";
import { gettext } from "./i18n.js";

const AT_END_PX = 80; // this close to the bottom, the reader is reading the newest messages

export class ListScroll {
  // list: the message list's element (it scrolls).
  constructor(list) {
    this.list = list;
    this.pinned = true;
    this.lastTop = 0;
    this.newBelow = h("button", { type: "button", class: "new-below", hidden: true, onclick: () => this.toEnd(), "data-testid": "new-below" }, gettext("New message ↓"));
    list.addEventListener("scroll", () => {
      this.notePosition();
      if (this.pinned) this.newBelow.hidden = true;
    });
    // A card that grows after it was placed (a dues card filling in, a photo loading) or a view that
    // shrinks (the phone's keyboard opening) would push the newest message out of a pinned view.
    this.growth = new ResizeObserver(() => {
      this.notePosition();
      if (this.pinned) this.toEnd();
    });
    this.growth.observe(list);
  }

  // A card placed in the list: its growing counts too.
  observe(element) {
    this.growth.observe(element);
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

  toEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    this.pinned = true;
    this.newBelow.hidden = true;
  }

  // place() puts a live message in the list: a reader at the end (or its sender, me) follows it to
  // the end; a reader who has just scrolled up stays where they read and is told it is there.
  follow(place, { mine }) {
    this.notePosition();
    place();
    if (this.pinned || mine) this.toEnd();
    else this.newBelow.hidden = false;
  }

  // place() puts older messages above: what the reader was looking at stays where it was.
  keepPlace(place) {
    const before = this.list.scrollHeight;
    place();
    this.list.scrollTop += this.list.scrollHeight - before;
  }

  stop() {
    this.growth.disconnect();
  }
}
