// Search in the open channel: words in any order (the server's rule), newest first; a result
// shows the message in the chat (older pages are loaded until it is there).

import { get } from "./api.js";
import { dateTime, guarded, h } from "./dom.js";
import { gettext } from "./i18n.js";
import { snippet } from "./messages.js";

export class MessageSearch {
  constructor(view) {
    this.view = view;
    this.input = h("input", { type: "search", name: "q", maxlength: 200, required: true, placeholder: gettext("Search messages"), "aria-label": gettext("Search messages"), "data-testid": "message-search-input" });
    this.results = h("ol", { class: "search-hits", "data-testid": "message-search-results" });
    this.element = h("form", { class: "message-search", role: "search", hidden: true, onsubmit: guarded((event) => this.run(event)) },
      h("div", { class: "message-search-row" }, this.input, h("button", { type: "submit", "data-testid": "message-search-button" }, gettext("Search"))),
      this.results);
  }

  toggle() {
    this.element.hidden = !this.element.hidden;
    if (!this.element.hidden) this.input.focus();
  }

  async run(event) {
    event.preventDefault();
    const page = await get(`/api/channels/${this.view.channel.id}/messages/search?q=${encodeURIComponent(this.input.value)}`);
    this.results.replaceChildren(...page.results.map((message) => h("li", {},
      h("button", { type: "button", class: "search-hit", "data-testid": "message-search-hit", onclick: () => this.open(message) },
        h("span", { class: "meta" }, h("strong", {}, message.sender.username), " ", h("time", { datetime: message.created_at }, dateTime(message.created_at))),
        h("span", { class: "hit-body" }, snippet(message.body))))));
    if (!page.results.length) this.results.append(h("li", { class: "muted" }, gettext("No message matches.")));
  }

  open(message) {
    this.element.hidden = true;
    this.view.jumpToSeq(message.seq);
  }
}
