// An invite link (/join/<id>) or a channel I am not in: what it is, and a join form that asks for
// the password when it is private.

import { get } from "./api.js";
import { h, lockIcon } from "./dom.js";
import { gettext, interpolate, ngettext } from "./i18n.js";

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
