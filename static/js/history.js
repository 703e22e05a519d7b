// The open channel's history: the newest page when it opens, older pages as the reader scrolls up
// (or until a tall screen can scroll), and as many as it takes to reach a message asked for (a quote,
// a search hit, the notice, the first unread). Pages go into the store's messages; the line at the
// top of the list says whether there is more.

import { get } from "./api.js";
import { toast } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";

const PAGE = 50;
const FAR_PAGE = 100; // pages loaded while looking for a message far back
const FAR_PAGES = 20; // how far back a jump looks (a quote of an older message says so instead)
const NEAR_TOP_PX = 40;

export class ChannelHistory {
  // messages: the store's messages of the channel; list: the message list; onPage(): after each page is placed.
  constructor({ channel, messages, list, onPage }) {
    this.channel = channel;
    this.messages = messages;
    this.list = list;
    this.onPage = onPage;
    this.loading = false;
    list.element.addEventListener("scroll", () => {
      if (list.element.scrollTop < NEAR_TOP_PX) this.loadOlder();
    });
  }

  async loadNewest() {
    const page = await get(`/api/channels/${this.channel.id}/messages?limit=${PAGE}`);
    this.messages.history(page);
    this.onPage();
    this.showStart();
  }

  // True when a page was loaded.
  async loadOlder(limit = PAGE) {
    const { messages } = this;
    if (!messages.hasOlder || this.loading || messages.oldestSeq === null) return false;
    this.loading = true;
    try {
      const page = await get(`/api/channels/${this.channel.id}/messages?before_seq=${messages.oldestSeq}&limit=${limit}`);
      this.list.scroll.keepPlace(() => {
        messages.history(page);
        this.onPage();
      });
      this.showStart();
      return true;
    } catch {
      this.list.startLine.textContent = gettext("Could not load older messages. Scroll up to try again.");
      return false;
    } finally {
      this.loading = false;
    }
  }

  // A tall screen may show the whole first page with nothing to scroll: load older ones until it can.
  async fillScreen() {
    const list = this.list.element;
    while (this.messages.hasOlder && list.scrollHeight <= list.clientHeight) {
      if (!(await this.loadOlder())) return;
    }
  }

  // Loads older pages until found() holds or the channel's start (or FAR_PAGES) is reached.
  async reveal(found) {
    for (let pages = 0; !found() && this.messages.hasOlder && pages < FAR_PAGES; pages += 1) {
      if (!(await this.loadOlder(FAR_PAGE))) break;
    }
    return found();
  }

  // find(): the message from the store, or null while it is not loaded.
  async show(find) {
    if (await this.reveal(() => find() !== null)) this.list.highlight(find().seq);
    else toast(gettext("That message is too far back to show here."));
  }

  showStart() {
    this.list.startLine.textContent = this.messages.hasOlder
      ? gettext("Loading older messages…")
      : interpolate(gettext("This is the start of #%(channel)s."), { channel: this.channel.name });
  }
}
