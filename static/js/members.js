// The open channel's members (in the side panel): who is online, a "Send money" link beside each
// other member, the owner's controls; and the "n online" count under the channel's name. Presence
// comes from the store; the list itself is read again when someone joins or leaves.

import { get } from "./api.js";
import { h } from "./dom.js";
import { gettext, interpolate, ngettext } from "./i18n.js";

export class MemberList {
  constructor(app, channel) {
    this.app = app;
    this.channel = channel;
    this.people = []; // [{id, username}]
    this.element = h("ul", { class: "member-list", "data-testid": "members" });
    this.onlineLine = h("span", { class: "online-count", "data-testid": "online-count" });
    this.unsubscribe = app.store.subscribe("presence", (id) => id === channel.id && this.showPresence());
  }

  async refresh() {
    try {
      this.people = await get(`/api/channels/${this.channel.id}/members`);
      this.render();
    } catch {
      // Offline, or no longer a member: the list shown stays until the next change.
    }
  }

  render() {
    const online = this.app.store.online.get(this.channel.id) ?? new Set();
    const owner = this.channel.owner.id;
    const me = this.app.me.id;
    // Presence and joins redraw the list: a keyboard user keeps the button they were on.
    const focused = this.element.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    this.element.replaceChildren(...this.people.map((m) => h("li", {
      class: m.id === owner ? "owner" : "", title: m.id === owner ? gettext("Owner") : null,
      dataset: { online: String(online.has(m.id)) }, "data-testid": `member-${m.username}`,
    },
    h("span", { class: "presence", title: online.has(m.id) ? gettext("Online") : gettext("Offline") }), m.username,
    // Money to a person starts from their name: my wallet's send form, with them chosen.
    m.id === me ? null : h("a", { href: `#/wallet/to/${m.id}`, class: "send-to small", "data-testid": `send-to-${m.username}` }, ` ${gettext("Send money")}`),
    owner === me && m.id !== owner ? this.app.ownerActions(this.channel, m) : null)));
    if (focused) this.element.querySelector(`[data-testid="${focused}"]`)?.focus();
  }

  showPresence() {
    const online = this.app.store.online.get(this.channel.id);
    if (!online) return;
    this.onlineLine.textContent = ` · ${interpolate(ngettext("%(count)s online", "%(count)s online", online.size), { count: online.size })}`;
    this.render();
  }

  // The people I can name in the composer (@mentions).
  others() {
    return this.people.filter((m) => m.id !== this.app.me.id);
  }

  stop() {
    this.unsubscribe();
  }
}
