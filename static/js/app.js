// The messenger shell: my channels with unread counts and mention marks, search and create, the
// router (#/channel/<id>, #/join/<id>, #/wallet, #/wallet/to/<user id>, #/wallet/<id>, #/approvals),
// the settings (language, time zone) and the one socket every view shares. What it keeps per channel
// beyond the open view (read markers, who is online, mentions not yet seen) is in the store; what
// each frame does, in frames.js.

import { get, patch, post } from "./api.js";
import { channelSettings, ownerActions } from "./channel_admin.js";
import { ChannelView } from "./chat.js";
import { actionForm, failureWords, formValues, guarded, h, lockIcon, money, toast } from "./dom.js";
import { FRAME_HANDLERS } from "./frames.js";
import { gettext, interpolate, ngettext, pgettext, timeZones, when } from "./i18n.js";
import { JoinView } from "./join.js";
import { Store } from "./store.js";
import {
  ApprovalsView, channelWalletsPanel, drawDuesFromStore, GroupWalletView, PersonalWalletView, refreshAllDues, refreshDues,
} from "./wallets.js";
import { refreshSplit } from "./splits.js";
import { notificationsButton, notifyMention } from "./notify.js";
import { Socket } from "./socket.js";

const STATUS_WORDS = {
  connecting: gettext("Connecting…"), online: gettext("Connected"), reconnecting: gettext("Reconnecting…"), offline: pgettext("connection", "Offline"), "signed-out": gettext("Signed out"),
};

// The link that brings someone to the channel's join page (signing them in first if need be).
function inviteSection(channel) {
  const link = `${location.origin}/join/${channel.id}`;
  const input = h("input", { readonly: true, value: link, "aria-label": gettext("Invite link"), "data-testid": "invite-link", onfocus: (event) => event.target.select() });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      toast(gettext("Invite link copied."));
    } catch {
      input.focus(); // no clipboard access (plain http): the link is selected for copying by hand
    }
  };
  return h("section", {}, h("h3", {}, gettext("Invite")),
    h("div", { class: "invite" }, input, h("button", { type: "button", onclick: copy }, gettext("Copy"))),
    channel.is_private ? h("p", { class: "muted small" }, gettext("Send the channel password separately.")) : null);
}

class App {
  constructor() {
    this.me = JSON.parse(document.getElementById("me").textContent);
    this.store = new Store(this.me);
    this.store.subscribe("channels", () => this.renderChannelList());
    drawDuesFromStore(this);
    this.view = null;
    this.channelList = document.getElementById("channel-list");
    this.main = document.getElementById("main");
    this.panel = document.getElementById("panel");
    this.status = document.getElementById("connection-status");
  }

  async start() {
    this.socket = new Socket({ onFrame: (frame) => this.onFrame(frame), onStatus: (status) => this.showStatus(status) });
    this.setUpSidebar();
    this.setUpPreferences();
    await this.loadChannels();
    guarded(() => this.refreshApprovals())();
    window.addEventListener("hashchange", () => this.route());
    document.addEventListener("visibilitychange", () => this.onVisible());
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
      if (!this.socket.subscriptions.has(channel.id)) this.socket.subscribe(channel.id, channel.last_seq);
    }
    this.store.addChannels(mine);
  }

  // Two channels may share a name: the lock and the owner (on hover) tell them apart.
  renderChannelList() {
    const { channels, mentions } = this.store;
    const current = this.view instanceof ChannelView ? this.view.channel.id : null;
    this.channelList.replaceChildren(...[...channels.values()].map((c) => {
      const owner = interpolate(gettext("owner: %(name)s"), { name: c.owner.username });
      const mentioned = mentions.get(c.id);
      return h("li", { class: c.id === current ? "active" : "" },
        h("a", { href: `#/channel/${c.id}`, title: c.is_private ? `${gettext("Private channel")} · ${owner}` : owner, "data-testid": `channel-${c.name}` },
          h("span", { class: "channel-name" }, c.is_private ? lockIcon() : "", `# ${c.name}`),
          mentioned ? h("span", { class: "badge mention", "aria-label": interpolate(ngettext("%(count)s mention", "%(count)s mentions", mentioned), { count: mentioned }), "data-testid": "mention-badge" }, "@") : null,
          c.unread_count ? h("span", { class: "badge", "aria-label": interpolate(gettext("%(count)s unread"), { count: c.unread_count }) }, String(c.unread_count)) : null,
          lastMessageLine(c.last_message)));
    }));
    if (!channels.size) this.channelList.append(h("li", { class: "muted" }, gettext("No channels yet: create one or search.")));
    const unread = [...channels.values()].reduce((sum, c) => sum + c.unread_count, 0);
    document.title = `${unread ? `(${unread}) ` : ""}${gettext("Messenger")} · ${gettext("Group wallet messenger")}`;
  }

  setUpSidebar() {
    const ask = notificationsButton();
    if (ask) this.channelList.after(ask);
    const results = document.getElementById("search-results");
    document.getElementById("search-form").addEventListener("submit", guarded(async (event) => {
      event.preventDefault();
      const query = formValues(event.target).search;
      const page = await get(`/api/channels?search=${encodeURIComponent(query)}`);
      results.replaceChildren(...page.results.map((c) => this.searchResult(c)));
      if (!page.results.length) results.append(h("li", { class: "muted" }, gettext("No public channel matches.")));
    }));
    document.getElementById("create-channel").append(actionForm({
      label: gettext("Create channel"), testid: "create-channel-form",
      fields: [
        h("label", { class: "field" }, h("span", {}, gettext("Name")), h("input", { name: "name", maxlength: 100, required: true })),
        h("label", { class: "field" }, h("span", {}, gettext("Description")), h("input", { name: "description", maxlength: 1000 })),
        h("label", { class: "field" }, h("span", {}, gettext("Password (makes it private)")), h("input", { name: "password", type: "password", autocomplete: "new-password" })),
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
    const joined = this.store.channels.has(channel.id);
    return h("li", { class: "search-result" },
      h("div", {}, channel.is_private ? lockIcon() : "", h("strong", {}, channel.name),
        h("small", { class: "muted" }, ` ${interpolate(ngettext("%(count)s member", "%(count)s members", channel.member_count), { count: channel.member_count })}`)),
      joined ? h("a", { href: `#/channel/${channel.id}` }, gettext("Open")) : this.joinForm(channel));
  }

  // Join, with the password field when the channel is private; a wrong password shows its error.
  joinForm(channel) {
    const password = channel.is_private
      ? h("input", { name: "password", type: "password", required: true, autocomplete: "off", placeholder: gettext("Channel password"), "aria-label": interpolate(gettext("Password for %(channel)s"), { channel: channel.name }) })
      : null;
    const error = h("p", { class: "form-error", role: "alert", hidden: true, "data-testid": `join-${channel.name}-error` });
    const form = h("form", { class: "join-form" }, password, h("button", { type: "submit", class: "primary", "data-testid": `join-${channel.name}` }, gettext("Join")), error);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      try {
        await post(`/api/channels/${channel.id}/join`, password ? { password: password.value } : {});
        await this.loadChannels();
        this.closeSidebarForms();
        location.hash = `#/channel/${channel.id}`;
      } catch (failure) {
        error.textContent = failureWords(failure, form);
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
    const mine = this.store.channels.has(Number(id));
    if (kind === "join" && mine) return location.replace(`#/channel/${id}`);
    if (kind === "channel" && mine) return this.openChannel(Number(id));
    if (kind === "channel" || kind === "join") return this.show(new JoinView(this, Number(id)));
    if (kind === "wallet" && id === "to") return this.show(new PersonalWalletView(this, { to: Number(location.hash.split("/")[3]) }));
    if (kind === "wallet") return this.show(id ? new GroupWalletView(this, Number(id)) : new PersonalWalletView(this));
    if (kind === "approvals") return this.show(new ApprovalsView(this));
    this.show(null);
  }

  async show(view) {
    this.view?.stop?.();
    this.view = view;
    document.body.classList.toggle("showing-detail", Boolean(view));
    document.body.classList.toggle("without-panel", !(view instanceof ChannelView));
    this.main.replaceChildren(view ? view.element : h("div", { class: "empty muted" }, gettext("Pick a channel, or open your wallet."), " ", h("a", { href: "#/wallet" }, gettext("My wallet"))));
    this.panel.replaceChildren();
    this.renderChannelList();
    if (view) {
      try {
        await view.start();
      } catch (failure) {
        view.element.append(h("p", { class: "form-error", role: "alert" }, failureWords(failure)));
      }
    }
  }

  async openChannel(channelId) {
    const { last_seq: lastSeq, unread_count: unread } = this.store.channels.get(channelId);
    const channel = this.store.openedChannel(channelId);
    const lastRead = lastSeq - unread;
    const view = new ChannelView(this, channel, { lastRead });
    await this.show(view);
    await channelWalletsPanel(this, channelId); // becomes this.walletsPanel
    if (this.view === view) this.renderPanel(view);
  }

  renderPanel(view) {
    const channel = view.channel;
    this.panel.replaceChildren(
      h("div", { class: "panel-head" }, h("h2", {}, `#${channel.name}`),
        h("button", { type: "button", class: "panel-close", "aria-label": gettext("Close details"), onclick: () => this.togglePanel(false) }, "×")),
      h("section", {}, h("h3", {}, gettext("Members")), view.members.element),
      channel.owner.id === this.me.id ? channelSettings(channel, (changed) => this.channelChanged(changed)) : "",
      inviteSection(channel),
      this.walletsPanel,
      h("button", { type: "button", class: "leave", onclick: guarded(() => this.leaveChannel(channel.id)), "data-testid": "leave-channel" }, gettext("Leave channel")));
  }

  // The owner renamed the channel, changed its password or handed it over: shown everywhere.
  // saved: my own change (the others hear of it through the channel_updated event).
  channelChanged(changed, { saved = true } = {}) {
    const channel = this.store.updateChannel(changed.id, changed);
    if (!channel) return;
    if (this.view instanceof ChannelView && this.view.channel === channel) {
      this.view.channelChanged();
      this.renderPanel(this.view);
    }
    if (saved) toast(gettext("Channel saved."));
  }

  ownerActions(channel, member) {
    return ownerActions(channel, member, (changed) => this.channelChanged(changed));
  }

  // I left, or the owner removed me: the channel goes from my list (and from the screen).
  channelGone(channelId) {
    const channel = this.store.channels.get(channelId);
    if (!channel) return;
    if (this.view instanceof ChannelView && this.view.channel.id === channelId) {
      toast(interpolate(gettext("You are no longer a member of #%(channel)s."), { channel: channel.name }));
      location.hash = "#/";
    }
    this.store.removeChannel(channelId);
  }

  async leaveChannel(channelId) {
    // The owner leaves only once the channel is handed over (the server refuses with 409 too):
    // offer the hand-over, the "Make owner" buttons beside the other members.
    const handOvers = this.view instanceof ChannelView ? this.view.members.element.querySelectorAll("[data-testid^=make-owner-]") : [];
    if (handOvers.length) {
      if (confirm(gettext("You own this channel: hand it over to another member before you leave. Choose the new owner now?"))) {
        this.togglePanel(true);
        handOvers[0].scrollIntoView({ block: "center" });
        handOvers[0].focus();
      }
      return;
    }
    if (!confirm(gettext("Leave this channel? You can join it again later."))) return;
    await post(`/api/channels/${channelId}/leave`);
    this.store.removeChannel(channelId);
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
    FRAME_HANDLERS[frame.type]?.(this, frame, view);
  }

  onEvent({ event, channel, data }, view) {
    // Views refresh their data, never their forms: what someone is typing stays.
    const refreshWallet = (walletId) => {
      if (this.view?.showsWallet?.(walletId)) guarded(() => this.view.refresh())();
    };
    // Money moved: the wallet's page reads it again, and so does the open channel's panel if it lists
    // the wallet (its balance there); each through the store, so every view showing it follows.
    const moneyMoved = (walletId) => {
      refreshWallet(walletId);
      if (this.view instanceof ChannelView && this.walletsPanel?.channelId === this.view.channel.id && this.walletsPanel.lists(walletId)) {
        guarded(() => this.walletsPanel.reload())();
      }
    };
    if (event === "member_joined") {
      this.store.memberJoined(channel, data.user.id);
      if (view) guarded(refreshAllDues)(this);
    }
    if (event === "channel_updated") this.channelChanged(data.channel, { saved: false });
    if (event === "member_left") this.store.memberLeft(channel, data.user.id);
    if (event === "mentioned") {
      this.onMentioned(data.message, view);
    } else if (event === "member_joined" || event === "member_left") {
      if (view && data.user.id !== this.me.id) {
        view.notice(interpolate(event === "member_joined" ? gettext("%(name)s joined the channel") : gettext("%(name)s left the channel"), { name: data.user.username }));
        view.members.refresh();
      }
    } else if (event === "dues_paid") {
      guarded(refreshDues)(this, data.dues_id);
      moneyMoved(data.wallet);
    } else if (event === "split_paid") {
      guarded(refreshSplit)(data.split.id);
    } else if (event === "dues_requested") {
      refreshWallet(data.dues.wallet);
    } else if (event === "dues_reminder") {
      toast(interpolate(gettext("%(name)s reminds you: “%(title)s”, %(amount)s, is not paid yet."), { name: data.from.username, title: data.dues.title, amount: money(data.dues.amount, data.dues.currency) }));
    } else if (event === "transfer_received") {
      toast(receivedWords(data));
      moneyMoved(data.wallet);
    } else if (event === "group_wallet_created" || event === "treasurer_changed" || event === "approval_policy_changed") {
      if (this.walletsPanel?.channelId === channel) guarded(() => this.walletsPanel.reload())();
      refreshWallet(data.wallet.id ?? data.wallet);
      if (event === "treasurer_changed" && data.wallet.owner.id === this.me.id) {
        toast(interpolate(gettext("%(name)s handed you the group wallet %(wallet)s: you are its treasurer now."), { name: data.previous.username, wallet: data.wallet.name }));
      }
    } else if (event === "approval_requested" || event === "approval_changed") {
      guarded(() => this.refreshApprovals())();
      (event === "approval_changed" ? moneyMoved : refreshWallet)(data.approval.transfer.from_wallet.id); // an approval may move it
      if (this.view instanceof ApprovalsView) guarded(() => this.view.refresh())();
    }
  }

  // My own reading counts at once on my page; the server tells the others (read_receipts).
  readUpTo(channelId, seq) {
    this.socket.read(channelId, seq);
    this.store.noteReads(channelId, [{ user: this.me.id, seq }]);
  }

  // Back to the page: the open channel's mentions are seen now.
  onVisible() {
    if (document.visibilityState === "visible" && this.view instanceof ChannelView) this.store.mentionsSeen(this.view.channel.id);
  }

  // A mark on the channel unless I am reading it; a notification if the page is hidden.
  onMentioned(message, view) {
    const channel = this.store.channels.get(message.channel);
    if (!channel) return;
    if (!(view && document.visibilityState === "visible")) this.store.mentioned(channel.id);
    notifyMention(message, channel.name, () => { location.hash = `#/channel/${channel.id}`; });
  }

  // The number of transfers waiting for my approval, in the top bar.
  async refreshApprovals() {
    const pending = await get("/api/approvals");
    const mine = pending.filter((item) => item.approvers.some((a) => a.id === this.me.id) && !item.approvals.includes(this.me.id));
    const badge = document.getElementById("approvals-badge");
    badge.textContent = String(mine.length);
    badge.hidden = !mine.length;
  }

  // Language and time zone: saved on the account (PATCH /api/auth/me), then the page reloads in them.
  setUpPreferences() {
    const form = document.getElementById("preferences-form");
    const zones = form.elements.time_zone;
    const { common, rest } = timeZones();
    zones.append(h("optgroup", { label: gettext("Common time zones") }, common.map((zone) => h("option", { value: zone }, zone))),
      h("optgroup", { label: gettext("Every time zone") }, rest.map((zone) => h("option", { value: zone }, zone))));
    zones.value = zones.dataset.current;
    form.addEventListener("submit", guarded(async (event) => {
      event.preventDefault();
      await patch("/api/auth/me", formValues(form));
      location.reload();
    }));
  }
}

new App().start();

// A channel's newest message under its name in the list, as KakaoTalk shows it: a line of it (or "Photo"
// for photos alone) and when it came.
function lastMessageLine(message) {
  if (!message) return null;
  const photoOnly = (message.photos || message.attachments?.length) && (!message.body || message.body === "📷");
  const text = message.deleted ? gettext("This message was deleted.") : photoOnly ? gettext("Photo") : message.body;
  return h("span", { class: "last-message", "data-testid": "last-message" },
    h("span", { class: "preview" }, text), h("time", { datetime: message.created_at }, when(message.created_at)));
}

// Money that reached me, or (a group wallet's members) the club's wallet: said as what it is.
function receivedWords({ from, transfer, wallet_name: wallet, wallet_kind: kind }) {
  const values = { name: from.username, amount: money(transfer.amount), wallet, title: transfer.memo, memo: transfer.memo ? ` (${transfer.memo})` : "" };
  if (transfer.kind === "dues") return interpolate(gettext("%(name)s paid %(amount)s into %(wallet)s for “%(title)s”."), values);
  if (kind === "group") return interpolate(gettext("%(name)s put %(amount)s into %(wallet)s%(memo)s."), values);
  return interpolate(gettext("%(name)s sent %(amount)s%(memo)s."), values);
}
