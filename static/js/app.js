// The messenger shell: my channels with unread counts, search and create, the router
// (#/channel/<id>, #/join/<id>, #/wallet, #/wallet/<id>) and the one socket every view shares.

import { ApiError, get, post } from "./api.js";
import { ChannelView, JoinView } from "./chat.js";
import { count, formValues, guarded, h, money, toast } from "./dom.js";
import { actionForm, channelWalletsPanel, GroupWalletView, PersonalWalletView, refreshDues } from "./wallets.js";
import { Socket } from "./socket.js";

const STATUS_WORDS = { connecting: "Connecting…", online: "Connected", reconnecting: "Reconnecting…", "signed-out": "Signed out" };

// The link that brings someone to the channel's join page (signing them in first if need be).
function inviteSection(channel) {
  const link = `${location.origin}/join/${channel.id}`;
  const input = h("input", { readonly: true, value: link, "aria-label": "Invite link", "data-testid": "invite-link", onfocus: (event) => event.target.select() });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      toast("Invite link copied.");
    } catch {
      input.focus(); // no clipboard access (plain http): the link is selected for copying by hand
    }
  };
  return h("section", {}, h("h3", {}, "Invite"),
    h("div", { class: "invite" }, input, h("button", { type: "button", onclick: copy }, "Copy")),
    channel.is_private ? h("p", { class: "muted small" }, "Send the channel password separately.") : null);
}

class App {
  constructor() {
    this.me = JSON.parse(document.getElementById("me").textContent);
    this.channels = new Map(); // id -> channel from /api/channels/mine, with last_seq and unread_count
    this.view = null;
    this.channelList = document.getElementById("channel-list");
    this.main = document.getElementById("main");
    this.panel = document.getElementById("panel");
    this.status = document.getElementById("connection-status");
  }

  async start() {
    this.socket = new Socket({ onFrame: (frame) => this.onFrame(frame), onStatus: (status) => this.showStatus(status) });
    this.setUpSidebar();
    await this.loadChannels();
    window.addEventListener("hashchange", () => this.route());
    document.addEventListener("keydown", (event) => event.key === "Escape" && this.togglePanel(false));
    document.getElementById("backdrop").addEventListener("click", () => this.togglePanel(false));
    this.route();
  }

  showStatus(status) {
    this.status.textContent = STATUS_WORDS[status];
    this.status.dataset.status = status;
    if (status === "signed-out") location.href = "/accounts/signin/?next=/";
  }

  async loadChannels() {
    const mine = await get("/api/channels/mine");
    for (const channel of mine) {
      this.channels.set(channel.id, channel);
      if (!this.socket.subscriptions.has(channel.id)) this.socket.subscribe(channel.id, channel.last_seq);
    }
    this.renderChannelList();
  }

  renderChannelList() {
    const current = this.view instanceof ChannelView ? this.view.channel.id : null;
    this.channelList.replaceChildren(...[...this.channels.values()].map((c) =>
      h("li", { class: c.id === current ? "active" : "" },
        h("a", { href: `#/channel/${c.id}`, "data-testid": `channel-${c.name}` }, `# ${c.name}`,
          c.unread_count ? h("span", { class: "badge", "aria-label": `${c.unread_count} unread` }, String(c.unread_count)) : null))));
    if (!this.channels.size) this.channelList.append(h("li", { class: "muted" }, "No channels yet: create one or search."));
    const unread = [...this.channels.values()].reduce((sum, c) => sum + c.unread_count, 0);
    document.title = `${unread ? `(${unread}) ` : ""}Messenger · Group wallet messenger`;
  }

  setUpSidebar() {
    const results = document.getElementById("search-results");
    document.getElementById("search-form").addEventListener("submit", guarded(async (event) => {
      event.preventDefault();
      const query = formValues(event.target).search;
      const page = await get(`/api/channels?search=${encodeURIComponent(query)}`);
      results.replaceChildren(...page.results.map((c) => this.searchResult(c)));
      if (!page.results.length) results.append(h("li", { class: "muted" }, "No public channel matches."));
    }));
    document.getElementById("create-channel").append(actionForm({
      label: "Create channel", testid: "create-channel-form",
      fields: [
        h("label", { class: "field" }, h("span", {}, "Name"), h("input", { name: "name", maxlength: 100, required: true })),
        h("label", { class: "field" }, h("span", {}, "Description"), h("input", { name: "description", maxlength: 1000 })),
        h("label", { class: "field" }, h("span", {}, "Password (makes it private)"), h("input", { name: "password", type: "password", autocomplete: "new-password" })),
      ],
      submit: async (values) => {
        const channel = await post("/api/channels", values);
        await this.loadChannels();
        this.closeSidebarForms();
        location.hash = `#/channel/${channel.id}`;
      },
    }));
  }

  searchResult(channel) {
    const joined = this.channels.has(channel.id);
    return h("li", { class: "search-result" },
      h("div", {}, h("strong", {}, channel.name), channel.is_private ? " 🔒" : "", h("small", { class: "muted" }, ` ${count(channel.member_count, "member")}`)),
      joined ? h("a", { href: `#/channel/${channel.id}` }, "Open") : this.joinForm(channel));
  }

  // Join, with the password field when the channel is private; a wrong password shows its error.
  joinForm(channel) {
    const password = channel.is_private
      ? h("input", { name: "password", type: "password", required: true, autocomplete: "off", placeholder: "Channel password", "aria-label": `Password for ${channel.name}` })
      : null;
    const error = h("p", { class: "form-error", role: "alert", hidden: true, "data-testid": `join-${channel.name}-error` });
    const form = h("form", { class: "join-form" }, password, h("button", { type: "submit", class: "primary", "data-testid": `join-${channel.name}` }, "Join"), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      try {
        await post(`/api/channels/${channel.id}/join`, password ? { password: password.value } : {});
        await this.loadChannels();
        this.closeSidebarForms();
        location.hash = `#/channel/${channel.id}`;
      } catch (failure) {
        error.textContent = failure instanceof ApiError ? failure.words : String(failure);
        error.hidden = false;
        if (password) password.select();
      }
    });
    return form;
  }

  closeSidebarForms() {
    for (const details of document.querySelectorAll(".sidebar details")) details.open = false;
    document.getElementById("search-results").replaceChildren();
  }

  async route() {
    const [, kind, id] = location.hash.split("/");
    document.body.classList.remove("panel-open");
    if (kind === "join" && this.channels.has(Number(id))) return location.replace(`#/channel/${id}`);
    if (kind === "channel" && this.channels.has(Number(id))) return this.openChannel(Number(id));
    if (kind === "channel" || kind === "join") return this.show(new JoinView(this, Number(id)));
    if (kind === "wallet") return this.show(id ? new GroupWalletView(this, Number(id)) : new PersonalWalletView(this));
    this.show(null);
  }

  async show(view) {
    this.view = view;
    document.body.classList.toggle("showing-detail", Boolean(view));
    document.body.classList.toggle("without-panel", !(view instanceof ChannelView));
    this.main.replaceChildren(view ? view.element : h("div", { class: "empty muted" }, "Pick a channel, or open ", h("a", { href: "#/wallet" }, "your wallet"), "."));
    this.panel.replaceChildren();
    this.renderChannelList();
    if (view) {
      try {
        await view.start();
      } catch (failure) {
        view.element.append(h("p", { class: "form-error", role: "alert" }, failure.words || String(failure)));
      }
    }
  }

  async openChannel(channelId) {
    const channel = this.channels.get(channelId);
    channel.unread_count = 0;
    const view = new ChannelView(this, channel);
    await this.show(view);
    const wallets = await channelWalletsPanel(this, channelId);
    this.panel.replaceChildren(
      h("div", { class: "panel-head" }, h("h2", {}, `#${channel.name}`),
        h("button", { type: "button", class: "panel-close", "aria-label": "Close details", onclick: () => this.togglePanel(false) }, "×")),
      h("section", {}, h("h3", {}, "Members"), view.members),
      inviteSection(channel),
      wallets,
      h("button", { type: "button", class: "leave", onclick: guarded(() => this.leaveChannel(channelId)), "data-testid": "leave-channel" }, "Leave channel"));
  }

  async leaveChannel(channelId) {
    if (!confirm("Leave this channel? You can join it again later.")) return;
    await post(`/api/channels/${channelId}/leave`);
    this.channels.delete(channelId);
    this.socket.unsubscribe(channelId);
    location.hash = "#/";
  }

  // The channel's details slide over the chat on a phone; Escape or × closes them.
  togglePanel(open) {
    document.body.classList.toggle("panel-open", open);
    if (open) this.panel.querySelector(".panel-close")?.focus();
  }

  onFrame(frame) {
    const view = this.view instanceof ChannelView && this.view.channel.id === frame.channel ? this.view : null;
    switch (frame.type) {
      case "message": {
        const channel = this.channels.get(frame.channel);
        const unseen = channel && frame.seq > channel.last_seq; // a resume may repeat what was counted
        if (unseen) channel.last_seq = frame.seq;
        if (view) {
          view.append(frame);
          view.markRead();
        } else if (unseen && frame.sender.id !== this.me.id) {
          channel.unread_count += 1;
          this.renderChannelList();
        }
        break;
      }
      case "ack":
        if (view) view.onAck(frame);
        break;
      case "typing":
        if (view && frame.user.id !== this.me.id) view.onTyping(frame.user);
        break;
      case "error":
        if (view) view.onError(frame);
        else if (frame.code !== "forbidden") toast(frame.detail || "Something went wrong.");
        break;
      case "event":
        this.onEvent(frame, view);
        break;
    }
  }

  onEvent({ event, data }, view) {
    if (event === "member_joined" || event === "member_left") {
      if (view && data.user.id !== this.me.id) {
        view.notice(`${data.user.username} ${event === "member_joined" ? "joined" : "left"} the channel`);
        view.refreshMembers();
      }
    } else if (event === "dues_paid") {
      guarded(refreshDues)(data.dues_id);
    } else if (event === "transfer_received") {
      toast(`${data.from.username} sent ${money(data.transfer.amount)}${data.transfer.memo ? ` (${data.transfer.memo})` : ""}.`);
      if (this.view && this.view.showsWallet && this.view.showsWallet(data.wallet)) this.view.start();
    }
  }
}

new App().start();
