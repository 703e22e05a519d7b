// The messenger shell: my channels with unread counts, search and create, the router
// (#/channel/<id>, #/wallet, #/wallet/<id>) and the one socket every view shares.

import { ApiError, get, post } from "./api.js";
import { ChannelView } from "./chat.js";
import { formValues, h, money, toast } from "./dom.js";
import { actionForm, channelWalletsPanel, GroupWalletView, PersonalWalletView, refreshDues } from "./wallets.js";
import { Socket } from "./socket.js";

const STATUS_WORDS = { connecting: "Connecting…", online: "Connected", reconnecting: "Reconnecting…", "signed-out": "Signed out" };

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
  }

  setUpSidebar() {
    const results = document.getElementById("search-results");
    document.getElementById("search-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const query = formValues(event.target).search;
      const page = await get(`/api/channels?search=${encodeURIComponent(query)}`);
      results.replaceChildren(...page.results.map((c) => this.searchResult(c)));
      if (!page.results.length) results.append(h("li", { class: "muted" }, "No public channel matches."));
    });
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
        location.hash = `#/channel/${channel.id}`;
      },
    }));
  }

  searchResult(channel) {
    const joined = this.channels.has(channel.id);
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const password = channel.is_private ? h("input", { type: "password", placeholder: "Channel password", "aria-label": `Password for ${channel.name}` }) : null;
    const join = async () => {
      try {
        await post(`/api/channels/${channel.id}/join`, password ? { password: password.value } : {});
        await this.loadChannels();
        location.hash = `#/channel/${channel.id}`;
      } catch (failure) {
        error.textContent = failure instanceof ApiError ? failure.words : String(failure);
        error.hidden = false;
      }
    };
    return h("li", { class: "search-result" },
      h("strong", {}, channel.name), channel.is_private ? " 🔒" : "", h("small", { class: "muted" }, ` ${channel.member_count} members`),
      joined ? h("a", { href: `#/channel/${channel.id}` }, " Open") : h("span", {}, password, h("button", { type: "button", onclick: join, "data-testid": `join-${channel.name}` }, "Join")),
      error);
  }

  async route() {
    const [, kind, id] = location.hash.split("/");
    document.body.classList.remove("panel-open");
    if (kind === "channel" && this.channels.has(Number(id))) return this.openChannel(Number(id));
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
    this.panel.replaceChildren(h("section", {}, h("h3", {}, "Members"), view.members), await channelWalletsPanel(this, channelId));
  }

  async leaveChannel(channelId) {
    if (!confirm("Leave this channel? You can join it again later.")) return;
    await post(`/api/channels/${channelId}/leave`);
    this.channels.delete(channelId);
    this.socket.unsubscribe(channelId);
    location.hash = "#/";
  }

  togglePanel() {
    document.body.classList.toggle("panel-open");
  }

  onFrame(frame) {
    const view = this.view instanceof ChannelView && this.view.channel.id === frame.channel ? this.view : null;
    switch (frame.type) {
      case "message": {
        const channel = this.channels.get(frame.channel);
        if (channel) channel.last_seq = Math.max(channel.last_seq, frame.seq);
        if (view) {
          view.append(frame);
          view.markRead();
        } else if (channel && frame.sender.id !== this.me.id) {
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
      if (view) {
        view.notice(`${data.user.username} ${event === "member_joined" ? "joined" : "left"} the channel`);
        view.refreshMembers();
      }
    } else if (event === "dues_paid") {
      refreshDues(data.dues_id);
    } else if (event === "transfer_received") {
      toast(`${data.from.username} sent ${money(data.transfer.amount)}${data.transfer.memo ? ` (${data.transfer.memo})` : ""}.`);
      if (this.view && this.view.showsWallet && this.view.showsWallet(data.wallet)) this.view.start();
    }
  }
}

new App().start();
