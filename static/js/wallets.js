// Wallet screens: my personal wallet, a channel's group wallets, transfers, schedules and dues.

import { del, get, post } from "./api.js";
import { count, dateTime, formValues, guarded, h, money, toast } from "./dom.js";

const field = (label, input) => h("label", { class: "field" }, h("span", {}, label), input);
const pinInput = () => h("input", { name: "pin", type: "password", inputmode: "numeric", pattern: "[0-9]{4,6}", minlength: 4, maxlength: 6, required: true, autocomplete: "off", "aria-label": "PIN" });
const amountInput = () => h("input", { name: "amount", type: "number", min: 1, step: 1, required: true, inputmode: "numeric" });
const walletIdInput = (name = "to_wallet") => h("input", { name, type: "number", min: 1, step: 1, required: true });

// A form whose submit calls the API; shows the API's error in words next to it. A money form keeps
// its Idempotency-Key until the server has answered, so a retry after a network failure cannot pay twice.
export function actionForm({ title, fields, label, testid, submit }) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true, "data-testid": `${testid}-error` });
  const button = h("button", { type: "submit", class: "primary" }, label);
  let idempotencyKey = crypto.randomUUID();
  const form = h("form", { class: "action-form", "data-testid": testid }, title ? h("h3", {}, title) : null, ...fields, button, error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    try {
      await submit(formValues(form), idempotencyKey);
      idempotencyKey = crypto.randomUUID();
      form.reset();
    } catch (failure) {
      if (failure.status !== 0) idempotencyKey = crypto.randomUUID();
      error.textContent = failure.words || String(failure);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function historyList(walletId) {
  const list = h("ol", { class: "entries", "data-testid": "history" });
  const more = h("button", { type: "button", hidden: true }, "Load more");
  let next = `/api/wallets/${walletId}/transactions`;
  async function load() {
    const page = await get(next);
    for (const entry of page.results) {
      const other = entry.counterparty ? `${entry.counterparty.name}` : entry.kind === "deposit" ? "Top-up" : "Withdrawal";
      list.append(h("li", { class: entry.amount < 0 ? "out" : "in" },
        h("span", { class: "what" }, other, entry.memo ? h("small", { class: "muted" }, ` · ${entry.memo}`) : null),
        h("span", { class: "amount" }, (entry.amount > 0 ? "+" : "") + money(entry.amount)),
        h("small", { class: "muted" }, `${dateTime(entry.created_at)} · balance ${money(entry.balance_after)}`)));
    }
    if (!page.results.length && !list.children.length) list.append(h("li", { class: "muted" }, "No money has moved yet."));
    next = page.next;
    more.hidden = !next;
  }
  more.addEventListener("click", guarded(load));
  guarded(load)();
  return h("section", {}, h("h3", {}, "History"), list, more);
}

function scheduledList(app, walletId) {
  const list = h("ul", { class: "scheduled", "data-testid": "scheduled" });
  async function load() {
    const schedules = await get(`/api/wallets/${walletId}/scheduled-transfers`);
    // A schedule into this wallet is someone else's: it names them and only they can cancel it.
    list.replaceChildren(...schedules.map((s) => h("li", { class: s.direction, "data-testid": `scheduled-${s.direction}` },
      h("span", {}, s.direction === "incoming"
        ? `${money(s.amount)} from ${s.sender.username} (wallet #${s.from_wallet})`
        : `${money(s.amount)} to wallet #${s.to_wallet}`, ` · ${s.repeat === "none" ? "once" : s.repeat} · ${s.status}`),
      s.next_run_at ? h("small", { class: "muted" }, ` next ${dateTime(s.next_run_at)}`) : null,
      s.last_error ? h("small", { class: "field-error" }, ` last run failed: ${s.last_error}`) : null,
      s.status === "active" && s.direction === "outgoing" ? h("button", { type: "button", onclick: guarded(async () => { await del(`/api/scheduled-transfers/${s.id}`); load(); }) }, "Cancel") : null)));
    if (!schedules.length) list.append(h("li", { class: "muted" }, "Nothing scheduled."));
  }
  guarded(load)();
  return Object.assign(h("section", {}, h("h3", {}, "Scheduled transfers"), list), { reload: load });
}

function scheduleForm(app, fromWallet, onDone) {
  return actionForm({
    title: "Schedule a transfer", label: "Schedule", testid: "schedule-form",
    fields: [
      field("To wallet number", walletIdInput()), field("Amount", amountInput()),
      field("First run", h("input", { name: "execute_at", type: "datetime-local", required: true })),
      field("Repeat", h("select", { name: "repeat" }, ...["none", "daily", "weekly", "monthly"].map((r) => h("option", { value: r }, r === "none" ? "once" : r)))),
      field("Memo", h("input", { name: "memo", maxlength: 200 })), field("PIN", pinInput()),
    ],
    submit: async (values) => {
      await post("/api/scheduled-transfers", { ...values, from_wallet: fromWallet, execute_at: new Date(values.execute_at).toISOString() });
      toast("Transfer scheduled.");
      onDone();
    },
  });
}

function transferForm(fromWallet, { title, toWallet, onDone }) {
  const fields = [toWallet ? null : field("To wallet number", walletIdInput()), field("Amount", amountInput()), field("Memo", h("input", { name: "memo", maxlength: 200 })), field("PIN", pinInput())];
  return actionForm({
    title, label: "Send", testid: "transfer-form", fields,
    submit: async (values, idempotencyKey) => {
      const transfer = await post("/api/transfers", { ...values, from_wallet: fromWallet, to_wallet: toWallet ?? values.to_wallet }, { idempotencyKey });
      toast(`Sent ${money(transfer.amount)}.`);
      onDone();
    },
  });
}

export class PersonalWalletView {
  constructor(app) {
    this.app = app;
    this.element = h("section", { class: "wallet-view", "aria-label": "My wallet" });
  }

  async start() {
    let wallet;
    try {
      wallet = await get("/api/wallets/me");
    } catch (failure) {
      if (failure.status !== 404) throw failure;
      this.element.replaceChildren(h("h2", {}, "My wallet"), h("p", {}, "Open your wallet with a PIN of 4 to 6 digits. You will need it to send money."),
        actionForm({ label: "Open my wallet", testid: "open-wallet-form", fields: [field("PIN", pinInput())],
          submit: async (values) => { await post("/api/wallets", values); this.start(); } }));
      return;
    }
    this.wallet = wallet;
    const scheduled = scheduledList(this.app, wallet.id);
    this.element.replaceChildren(
      h("header", { class: "wallet-header" }, h("h2", {}, "My wallet"),
        h("p", { class: "balance", "data-testid": "balance" }, money(wallet.balance, wallet.currency)),
        h("p", { class: "muted", "data-testid": "wallet-number" }, `Wallet number #${wallet.id}: share it to receive money.`)),
      h("div", { class: "forms" },
        actionForm({ title: "Top up", label: "Deposit", testid: "deposit-form", fields: [field("Amount", amountInput())],
          submit: async (values, idempotencyKey) => { await post(`/api/wallets/${wallet.id}/deposit`, values, { idempotencyKey }); this.start(); } }),
        transferForm(wallet.id, { title: "Send money", onDone: () => this.start() }),
        scheduleForm(this.app, wallet.id, () => scheduled.reload())),
      scheduled,
      historyList(wallet.id),
    );
  }

  showsWallet(walletId) {
    return this.wallet && this.wallet.id === walletId;
  }
}

export class GroupWalletView {
  constructor(app, walletId) {
    this.app = app;
    this.walletId = walletId;
    this.element = h("section", { class: "wallet-view", "aria-label": "Group wallet" });
  }

  async start() {
    const [wallet, members, dues, mine] = await Promise.all([
      get(`/api/wallets/${this.walletId}`), get(`/api/wallets/${this.walletId}/members`),
      get(`/api/wallets/${this.walletId}/dues`), get("/api/wallets/mine"),
    ]);
    const me = this.app.me;
    const isMember = members.some((m) => m.id === me.id);
    const isTreasurer = wallet.owner.id === me.id;
    const personal = mine.find((w) => w.kind === "personal");
    const reload = () => this.start();
    this.element.replaceChildren(
      h("header", { class: "wallet-header" },
        h("a", { href: `#/channel/${wallet.channel}`, class: "muted" }, "‹ back to the channel"),
        h("h2", {}, wallet.name),
        h("p", { class: "balance", "data-testid": "balance" }, money(wallet.balance, wallet.currency)),
        h("p", { class: "muted" }, `Treasurer ${wallet.owner.username} · ${count(members.length, "member")}: ${members.map((m) => m.username).join(", ")}`),
        isMember ? null : h("button", { type: "button", class: "primary", "data-testid": "join-wallet", onclick: guarded(async () => { await post(`/api/wallets/${wallet.id}/join`); reload(); }) }, "Join this wallet")),
      h("div", { class: "forms" },
        personal ? transferForm(personal.id, { title: "Pay in from my wallet", toWallet: wallet.id, onDone: reload }) : h("p", {}, h("a", { href: "#/wallet" }, "Open your wallet"), " to pay in."),
        isTreasurer ? transferForm(wallet.id, { title: "Send from this wallet (your PIN)", onDone: reload }) : null,
        isTreasurer ? actionForm({ title: "Ask members for dues", label: "Request dues", testid: "dues-form",
          fields: [field("Title", h("input", { name: "title", maxlength: 200, required: true })), field("Amount each", amountInput()), field("Due date", h("input", { name: "due_date", type: "date" }))],
          submit: async (values) => { await post(`/api/wallets/${wallet.id}/dues`, { ...values, due_date: values.due_date || null }); reload(); } }) : null,
        isTreasurer ? scheduleForm(this.app, wallet.id, reload) : null),
      h("section", {}, h("h3", {}, "Dues"), dues.length ? h("div", { class: "dues-list" }, ...dues.map((d) => duesBlock(this.app, d))) : h("p", { class: "muted" }, "No dues requested yet.")),
      scheduledList(this.app, wallet.id),
      historyList(wallet.id),
    );
  }

  showsWallet(walletId) {
    return this.walletId === walletId;
  }
}

// --- dues: a card in the chat and a block on the wallet page, both updating live ---------

export const isDuesMessage = (message) => typeof message.client_msg_id === "string" && message.client_msg_id.startsWith("dues:");

function duesBlock(app, dues) {
  const element = h("div", { class: "dues-card", "data-testid": "dues-card", dataset: { duesId: dues.id } });
  fillDues(app, element, dues);
  return element;
}

export function duesCard(app, message) {
  const duesId = Number(message.client_msg_id.slice("dues:".length));
  const element = h("div", { class: "dues-card", "data-testid": "dues-card", dataset: { duesId } }, h("p", {}, message.body));
  get(`/api/dues/${duesId}`).then((dues) => fillDues(app, element, dues)).catch(() => {});
  return element;
}

export async function refreshDues(duesId) {
  const cards = document.querySelectorAll(`.dues-card[data-dues-id="${duesId}"]`);
  if (!cards.length) return;
  const dues = await get(`/api/dues/${duesId}`);
  for (const card of cards) fillDues(card.app, card, dues);
}

function fillDues(app, element, dues) {
  element.app = app;
  const mine = dues.members.find((m) => m.user.id === app.me.id);
  const pay = mine && !mine.paid
    ? actionForm({ label: `Pay ${money(dues.amount, dues.currency)}`, testid: "dues-pay", fields: [field("PIN", pinInput())],
      submit: async (values, idempotencyKey) => { await post(`/api/dues/${dues.id}/pay`, values, { idempotencyKey }); await refreshDues(dues.id); } })
    : null;
  element.replaceChildren(
    h("p", { class: "dues-title" }, h("strong", {}, dues.title), ` · ${money(dues.amount, dues.currency)} each`, dues.due_date ? ` · due ${dues.due_date}` : ""),
    h("p", { class: "muted", "data-testid": "dues-progress" }, `${dues.paid_count} of ${dues.member_count} paid`),
    h("ul", { class: "dues-members" }, ...dues.members.map((m) =>
      h("li", { class: m.paid ? "paid" : "unpaid", "data-testid": `dues-member-${m.user.username}`, dataset: { paid: m.paid } },
        `${m.paid ? "✓" : "·"} ${m.user.username} ${m.paid ? "paid" : "not paid yet"}`))),
    ...(pay ? [pay] : []),
  );
}

// --- the channel's side panel: members and group wallets ----------------------------------

export async function channelWalletsPanel(app, channelId) {
  const list = h("ul", { class: "group-wallets", "data-testid": "group-wallets" });
  async function load() {
    const wallets = await get(`/api/channels/${channelId}/group-wallets`);
    list.replaceChildren(...wallets.map((w) => h("li", {},
      h("a", { href: `#/wallet/${w.id}` }, w.name), h("span", { class: "muted" }, ` ${money(w.balance, w.currency)} · ${count(w.member_count, "member")}`))));
    if (!wallets.length) list.append(h("li", { class: "muted" }, "No group wallet yet."));
  }
  await load();
  return h("section", {}, h("h3", {}, "Group wallets"), list,
    actionForm({ title: "New group wallet", label: "Create group wallet", testid: "group-wallet-form",
      fields: [field("Name", h("input", { name: "name", maxlength: 100, required: true })), field("Description", h("input", { name: "description", maxlength: 1000 }))],
      submit: async (values) => { const wallet = await post(`/api/channels/${channelId}/group-wallets`, values); location.hash = `#/wallet/${wallet.id}`; } }));
}
