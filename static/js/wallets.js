// Wallet screens: my personal wallet, a channel's group wallets, sending money to a person,
// withdrawals, schedules, dues (reminders, recurring, overview), approvals and the treasurer handover.
//
// A view builds its forms once and refresh() only redraws the data around them, so money arriving
// (or any live update) never wipes what someone is typing. A wallet and a dues request shown in more
// than one place (a channel's panel, the wallet's page, the dues cards) are read into the store
// (wallet_feed.js) and drawn from it by every view that shows them.

import { del, get, post } from "./api.js";
import { actionForm, dateTime, failureWords, field, guarded, h, money, pinInput, sheet, toast } from "./dom.js";
import { date, gettext, interpolate, ngettext } from "./i18n.js";
import { loadChannelWallets, loadDues, loadWallet } from "./wallet_feed.js";

const amountInput = (name = "amount") => h("input", { name, type: "number", min: 1, step: 1, required: true, inputmode: "numeric" });
const memberCount = (count) => interpolate(ngettext("%(count)s member", "%(count)s members", count), { count });
const REPEAT_WORDS = { none: gettext("once"), daily: gettext("daily"), weekly: gettext("weekly"), monthly: gettext("monthly") };
const STATUS_WORDS = { active: gettext("active"), completed: gettext("completed"), cancelled: gettext("cancelled") };

// A money-out request above the group wallet's approval threshold answers 202: it waits.
function toldOutcome(result, done) {
  if (result && result.status === "pending_approval") {
    toast(interpolate(gettext("Waiting for approvals: %(count)s of %(required)s."), { count: result.approvals.length, required: result.required }));
  } else {
    toast(done);
  }
}

// --- sending money to a person: choose them (or look a number up), confirm, then the PIN ------

function describeWallet(wallet) {
  return wallet.kind === "group"
    ? interpolate(gettext("%(name)s (group wallet kept by %(owner)s), #%(number)s"), { name: wallet.name, owner: wallet.owner.username, number: wallet.id })
    : interpolate(gettext("%(owner)s (%(name)s), #%(number)s"), { name: wallet.name, owner: wallet.owner.username, number: wallet.id });
}

// fixedTarget: a wallet already known (paying into a group wallet); otherwise the sender picks a
// person from their channels or types a wallet number, and sees whose it is before confirming.
function sendMoneyForm({ fromWallet, title, fixedTarget = null, preselect = null, onDone }) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true, "data-testid": "transfer-form-error" });
  const person = h("select", { name: "recipient", "data-testid": "send-person" }, h("option", { value: "" }, gettext("Choose a person")));
  const number = h("input", { name: "number", type: "number", min: 1, step: 1, inputmode: "numeric", "data-testid": "send-number" });
  const amount = amountInput();
  const memo = h("input", { name: "memo", maxlength: 200 });
  const pin = pinInput();
  // Required only on the confirmation step: a hidden required field would block the first step's submit.
  pin.required = false;
  const summary = h("p", { class: "confirm-summary", "data-testid": "send-summary" });
  const who = h("p", { class: "muted", "data-testid": "send-who" });
  const next = h("button", { type: "submit", class: "primary", "data-testid": "send-next" }, gettext("Next"));
  const confirmButton = h("button", { type: "button", class: "primary", "data-testid": "send-confirm" }, gettext("Send"));
  const back = h("button", { type: "button", "data-testid": "send-back" }, gettext("Back"));
  const confirmStep = h("div", { class: "confirm-step", hidden: true, "data-testid": "send-confirmation" },
    h("h4", {}, gettext("Check before you send")), summary, field(gettext("PIN"), pin), h("div", { class: "row" }, back, confirmButton));
  const chooser = fixedTarget ? [] : [
    field(gettext("To a person in my channels"), person),
    field(gettext("To wallet number"), number),
    who,
  ];
  const choose = h("div", { class: "choose-step" }, ...chooser, field(gettext("Amount"), amount), field(gettext("Memo"), memo), next);
  const form = h("form", { class: "action-form send-form", "data-testid": "transfer-form" }, h("h3", {}, title), choose, confirmStep, error);
  let target = fixedTarget;
  let idempotencyKey = crypto.randomUUID();
  let recipients = [];

  const showError = (failure) => {
    error.textContent = failureWords(failure, form);
    error.hidden = false;
  };
  person.addEventListener("change", () => {
    number.value = "";
    const chosen = recipients.find((r) => String(r.user.id) === person.value);
    who.textContent = chosen ? describeWallet({ ...chosen.wallet, owner: chosen.user }) : "";
  });
  number.addEventListener("input", () => { person.value = ""; who.textContent = ""; });

  async function resolveTarget() {
    if (fixedTarget) return fixedTarget;
    if (person.value) {
      const chosen = recipients.find((r) => String(r.user.id) === person.value);
      return { ...chosen.wallet, owner: chosen.user };
    }
    if (!number.value) throw new Error(gettext("Choose a person or type a wallet number."));
    return get(`/api/wallets/lookup?number=${encodeURIComponent(number.value)}`);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      target = await resolveTarget();
      who.textContent = describeWallet(target);
      const memoText = memo.value ? interpolate(gettext(" Memo: “%(memo)s”."), { memo: memo.value }) : "";
      summary.textContent = interpolate(gettext("Send %(amount)s to %(who)s?%(memo)s"), { amount: money(Number(amount.value)), who: describeWallet(target), memo: memoText });
      choose.hidden = true;
      confirmStep.hidden = false;
      pin.required = true;
      pin.focus();
    } catch (failure) {
      showError(failure);
    }
  });
  const backToChoose = () => { confirmStep.hidden = true; choose.hidden = false; pin.required = false; };
  back.addEventListener("click", backToChoose);
  confirmButton.addEventListener("click", async () => {
    if (!pin.reportValidity()) return;
    error.hidden = true;
    confirmButton.disabled = true;
    try {
      const body = { from_wallet: fromWallet, to_wallet: target.id, amount: Number(amount.value), memo: memo.value, pin: pin.value };
      const result = await post("/api/transfers", body, { idempotencyKey });
      idempotencyKey = crypto.randomUUID();
      const name = target.kind === "group" ? target.name : target.owner.username;
      toldOutcome(result, interpolate(gettext("Sent %(amount)s to %(name)s."), { amount: money(body.amount), name }));
      form.reset();
      who.textContent = "";
      backToChoose();
      form.dispatchEvent(new Event("done", { bubbles: true }));
      onDone();
    } catch (failure) {
      if (failure.status !== 0) idempotencyKey = crypto.randomUUID();
      showError(failure);
    } finally {
      confirmButton.disabled = false;
      pin.value = "";
    }
  });

  // New people may have joined my channels: the list is refreshed, the choice kept.
  form.refresh = async () => {
    if (fixedTarget) return;
    recipients = await get("/api/wallets/recipients");
    const chosen = person.value || (preselect ? String(preselect) : "");
    person.replaceChildren(h("option", { value: "" }, gettext("Choose a person")),
      ...recipients.map((r) => h("option", { value: r.user.id }, r.user.username)));
    person.value = recipients.some((r) => String(r.user.id) === chosen) ? chosen : "";
    preselect = null;
    if (person.value) person.dispatchEvent(new Event("change"));
  };
  return form;
}

function withdrawForm(walletId, onDone) {
  return actionForm({
    title: gettext("Withdraw"), label: gettext("Withdraw"), testid: "withdraw-form",
    fields: [field(gettext("Amount"), amountInput()), field(gettext("PIN"), pinInput())],
    submit: async (values, idempotencyKey) => {
      const result = await post(`/api/wallets/${walletId}/withdraw`, values, { idempotencyKey });
      toldOutcome(result, interpolate(gettext("Withdrew %(amount)s."), { amount: money(values.amount) }));
      onDone();
    },
  });
}

// The wallet's actions under its balance: each button opens its sheet.
function sheetButtons(sheets) {
  return sheets.length ? h("nav", { class: "sheet-buttons", "aria-label": gettext("What you can do") }, ...sheets.map((s) => s.button)) : null;
}

function statementLink(walletId) {
  return h("a", { href: `/api/wallets/${walletId}/export.csv`, download: `wallet-${walletId}.csv`, class: "statement", "data-testid": "download-statement" },
    gettext("Download statement (CSV)"));
}

function historyList(walletId) {
  const list = h("ol", { class: "entries", "data-testid": "history" });
  const more = h("button", { type: "button", hidden: true }, gettext("Load more"));
  let next = null;
  function entryItem(entry) {
    const other = entry.counterparty ? entry.counterparty.name : entry.kind === "deposit" ? gettext("Top-up") : gettext("Withdrawal");
    return h("li", { class: entry.amount < 0 ? "out" : "in" },
      h("span", { class: "what" }, other, entry.memo && entry.memo !== other ? h("small", { class: "muted" }, ` · ${entry.memo}`) : null),
      h("span", { class: "amount" }, (entry.amount > 0 ? "+" : "") + money(entry.amount)),
      h("small", { class: "muted" }, `${dateTime(entry.created_at)} · ${interpolate(gettext("balance %(amount)s"), { amount: money(entry.balance_after) })}`));
  }
  async function loadMore() {
    const page = await get(next);
    list.append(...page.results.map(entryItem));
    next = page.next;
    more.hidden = !next;
  }
  more.addEventListener("click", guarded(loadMore));
  const section = h("section", {}, h("h3", {}, gettext("History")), list, more);
  // The newest page again (what is below it does not change).
  section.refresh = async () => {
    const page = await get(`/api/wallets/${walletId}/transactions`);
    list.replaceChildren(...page.results.map(entryItem));
    if (!page.results.length) list.append(h("li", { class: "muted" }, gettext("No money has moved yet.")));
    next = page.next;
    more.hidden = !next;
  };
  return section;
}

// Cancelling asks first, in place: nothing is cancelled by one stray tap.
function confirmInPlace({ label, question, yes, no, testid, action }) {
  const holder = h("span", { class: "confirm-in-place" });
  const ask = () => holder.replaceChildren(h("span", { role: "alert" }, question),
    h("button", { type: "button", class: "danger", "data-testid": `${testid}-yes`, onclick: guarded(action) }, yes),
    h("button", { type: "button", "data-testid": `${testid}-no`, onclick: reset }, no));
  const reset = () => holder.replaceChildren(h("button", { type: "button", "data-testid": testid, onclick: ask }, label));
  reset();
  return holder;
}

function scheduledList(walletId) {
  const list = h("ul", { class: "scheduled", "data-testid": "scheduled" });
  const section = h("section", {}, h("h3", {}, gettext("Scheduled transfers")), list);
  section.refresh = async () => {
    const schedules = await get(`/api/wallets/${walletId}/scheduled-transfers`);
    // A schedule into this wallet is someone else's: it names them and only they can cancel it.
    list.replaceChildren(...schedules.map((s) => h("li", { class: s.direction, "data-testid": `scheduled-${s.direction}` },
      h("span", {}, s.direction === "incoming"
        ? interpolate(gettext("%(amount)s from %(name)s · %(repeat)s · %(status)s"), { amount: money(s.amount), name: s.sender.username, repeat: REPEAT_WORDS[s.repeat], status: STATUS_WORDS[s.status] || s.status })
        : interpolate(s.recipient.kind === "group" ? gettext("%(amount)s into %(name)s · %(repeat)s · %(status)s") : gettext("%(amount)s to %(name)s · %(repeat)s · %(status)s"),
          { amount: money(s.amount), name: s.recipient.kind === "group" ? s.recipient.name : s.recipient.owner.username, repeat: REPEAT_WORDS[s.repeat], status: STATUS_WORDS[s.status] || s.status })),
      s.next_run_at ? h("small", { class: "muted" }, ` ${interpolate(gettext("next %(when)s"), { when: dateTime(s.next_run_at) })}`) : null,
      s.last_error ? h("small", { class: "field-error" }, ` ${interpolate(gettext("last run failed: %(reason)s"), { reason: s.last_error })}`) : null,
      s.status === "active" && s.direction === "outgoing" ? confirmInPlace({
        label: gettext("Cancel"), question: gettext("Cancel this scheduled transfer?"), yes: gettext("Yes, cancel it"), no: gettext("Keep it"),
        testid: `cancel-schedule-${s.id}`,
        action: async () => { await del(`/api/scheduled-transfers/${s.id}`); toast(gettext("Scheduled transfer cancelled.")); await section.refresh(); },
      }) : null)));
    if (!schedules.length) list.append(h("li", { class: "muted" }, gettext("Nothing scheduled.")));
  };
  return section;
}

function scheduleForm(fromWallet, onDone) {
  return actionForm({
    title: gettext("Schedule a transfer"), label: gettext("Schedule"), testid: "schedule-form",
    fields: [
      field(gettext("To wallet number"), h("input", { name: "to_wallet", type: "number", min: 1, step: 1, required: true })), field(gettext("Amount"), amountInput()),
      field(gettext("First run"), h("input", { name: "execute_at", type: "datetime-local", required: true })),
      field(gettext("Repeat"), h("select", { name: "repeat" }, ...["none", "daily", "weekly", "monthly"].map((r) => h("option", { value: r }, REPEAT_WORDS[r])))),
      field(gettext("Memo"), h("input", { name: "memo", maxlength: 200 })), field(gettext("PIN"), pinInput()),
    ],
    submit: async (values) => {
      await post("/api/scheduled-transfers", { ...values, from_wallet: fromWallet, execute_at: new Date(values.execute_at).toISOString() });
      toast(gettext("Transfer scheduled."));
      onDone();
    },
  });
}

// --- my wallet ---------------------------------------------------------------------------

export class PersonalWalletView {
  constructor(app, { to = null } = {}) {
    this.app = app;
    this.preselect = to;
    this.element = h("section", { class: "wallet-view", "aria-label": gettext("My wallet") });
    this.unsubscribe = app.store.subscribe("wallets", (channelId, { ids }) => this.wallet && ids.has(this.wallet.id) && this.showBalance());
  }

  async start() {
    let wallet;
    try {
      wallet = await get("/api/wallets/me");
    } catch (failure) {
      if (failure.status !== 404) throw failure;
      this.element.replaceChildren(h("h2", {}, gettext("My wallet")), h("p", {}, gettext("Open your wallet with a PIN of 4 to 6 digits. You will need it to send money.")),
        actionForm({ label: gettext("Open my wallet"), testid: "open-wallet-form", fields: [field(gettext("PIN"), pinInput())],
          submit: async (values) => { await post("/api/wallets", values); await this.start(); } }));
      return;
    }
    this.wallet = wallet;
    const refresh = guarded(() => this.refresh());
    this.balance = h("p", { class: "balance", "data-testid": "balance" });
    const send = sendMoneyForm({ fromWallet: wallet.id, title: gettext("Send money"), preselect: this.preselect, onDone: refresh });
    this.scheduled = scheduledList(wallet.id);
    this.history = historyList(wallet.id);
    this.parts = [send, this.scheduled, this.history];
    const sheets = [
      sheet({ name: "send", label: gettext("Send"), icon: "↗", content: send }),
      sheet({ name: "deposit", label: gettext("Top up"), icon: "+", content: actionForm({
        title: gettext("Top up"), label: gettext("Deposit"), testid: "deposit-form", fields: [field(gettext("Amount"), amountInput())],
        submit: async (values, idempotencyKey) => { await post(`/api/wallets/${wallet.id}/deposit`, values, { idempotencyKey }); await this.refresh(); } }) }),
      sheet({ name: "withdraw", label: gettext("Withdraw"), icon: "↙", content: withdrawForm(wallet.id, refresh) }),
      sheet({ name: "schedule", label: gettext("Schedule"), icon: "⏱", content: scheduleForm(wallet.id, () => guarded(() => this.scheduled.refresh())()) }),
    ];
    this.element.replaceChildren(
      h("header", { class: "wallet-hero" }, h("h2", {}, gettext("My wallet")), this.balance,
        h("p", { class: "muted small", "data-testid": "wallet-number" }, interpolate(gettext("Wallet number #%(number)s: share it to receive money."), { number: wallet.id })),
        sheetButtons(sheets)),
      this.history,
      statementLink(wallet.id),
      this.scheduled,
      ...sheets.map((s) => s.dialog),
    );
    await this.refresh();
    if (this.preselect) sheets[0].open(); // "Send money" beside a member's name: straight to the send sheet
  }

  async refresh() {
    await loadWallet(this.app.store, this.wallet.id); // its balance: showBalance, from the store
    await Promise.all(this.parts.map((part) => part.refresh()));
  }

  showBalance() {
    const wallet = this.app.store.wallets.get(this.wallet.id);
    this.balance.textContent = money(wallet.balance, wallet.currency);
  }

  showsWallet(walletId) {
    return this.wallet && this.wallet.id === walletId;
  }

  stop() {
    this.unsubscribe();
  }
}

// --- a group wallet ------------------------------------------------------------------------

export class GroupWalletView {
  constructor(app, walletId) {
    this.app = app;
    this.walletId = walletId;
    this.role = null;
    this.element = h("section", { class: "wallet-view", "aria-label": gettext("Group wallet") });
    this.unsubscribe = app.store.subscribe("wallets", (channelId, { ids }) => this.balance && ids.has(walletId) && this.showWallet());
  }

  async start() {
    await this.refresh();
  }

  // Redraws the data; the forms are built again only when my role changed (a handover, a join).
  async refresh() {
    const [wallet, members, dues, mine, policy, approvals, overview, recurring] = await Promise.all([
      loadWallet(this.app.store, this.walletId), get(`/api/wallets/${this.walletId}/members`),
      get(`/api/wallets/${this.walletId}/dues`), get("/api/wallets/mine"),
      get(`/api/wallets/${this.walletId}/approval-policy`), get("/api/approvals"),
      get(`/api/wallets/${this.walletId}/dues-overview`), get(`/api/wallets/${this.walletId}/recurring-dues`),
    ]);
    const me = this.app.me;
    const isMember = members.some((m) => m.id === me.id);
    const isTreasurer = wallet.owner.id === me.id;
    const personal = mine.find((w) => w.kind === "personal");
    const role = `${isMember}:${isTreasurer}:${Boolean(personal)}`;
    if (role !== this.role) this.build({ wallet, members, isMember, isTreasurer, personal });
    this.role = role;
    this.showWallet();
    this.people.textContent = `${interpolate(gettext("Treasurer %(name)s"), { name: wallet.owner.username })} · ${memberCount(members.length)}: ${members.map((m) => m.username).join(", ")}`;
    this.duesList.replaceChildren(...(dues.length ? dues.map((d) => duesBlock(this.app, d, { isTreasurer })) : [h("p", { class: "muted" }, gettext("No dues requested yet."))]));
    this.overview.replaceChildren(overviewTable(overview));
    this.recurringList.replaceChildren(...recurring.filter((r) => r.status === "active").map((r) => recurringItem(r, { isTreasurer, onDone: () => this.refresh() })));
    this.policyText.textContent = policyWords(policy);
    this.approvals.replaceChildren(...approvalItems(this.app, approvals.filter((a) => a.transfer.from_wallet.id === this.walletId), () => this.refresh()));
    this.handoverChoices?.(members.filter((m) => m.id !== me.id));
    this.policyChoices?.(members.filter((m) => m.id !== wallet.owner.id), policy);
    await Promise.all(this.parts.map((part) => part.refresh()));
  }

  build({ wallet, isMember, isTreasurer, personal }) {
    const refresh = guarded(() => this.refresh());
    this.balance = h("p", { class: "balance", "data-testid": "balance" });
    this.title = h("h2", {});
    this.people = h("p", { class: "muted", "data-testid": "wallet-people" });
    this.duesList = h("div", { class: "dues-list" });
    this.overview = h("div", { class: "dues-overview", "data-testid": "dues-overview" });
    this.recurringList = h("ul", { class: "recurring", "data-testid": "recurring-dues" });
    this.policyText = h("p", { "data-testid": "approval-policy" });
    this.approvals = h("ul", { class: "approvals", "data-testid": "wallet-approvals" });
    this.handoverChoices = null;
    this.policyChoices = null;
    const payIn = personal
      ? sendMoneyForm({ fromWallet: personal.id, title: gettext("Pay in from my wallet"), fixedTarget: { ...wallet }, onDone: refresh })
      : null;
    const sendOut = isTreasurer ? sendMoneyForm({ fromWallet: wallet.id, title: gettext("Send from this wallet (your PIN)"), onDone: refresh }) : null;
    this.parts = [payIn, sendOut, scheduledList(wallet.id), historyList(wallet.id)].filter(Boolean);
    // What I can do here, one sheet each: members pay in; the treasurer also moves the wallet's money and runs it.
    const sheets = [
      payIn ? sheet({ name: "pay-in", label: gettext("Pay in"), icon: "+", content: payIn }) : null,
      sendOut ? sheet({ name: "send-out", label: gettext("Send"), icon: "↗", content: sendOut }) : null,
      ...(isTreasurer ? [
        sheet({ name: "dues", label: gettext("Ask for dues"), icon: "₩", content: actionForm({ title: gettext("Ask members for dues"), label: gettext("Request dues"), testid: "dues-form",
          fields: [field(gettext("Title"), h("input", { name: "title", maxlength: 200, required: true })), field(gettext("Amount each"), amountInput()), field(gettext("Due date"), h("input", { name: "due_date", type: "date" }))],
          submit: async (values) => { await post(`/api/wallets/${wallet.id}/dues`, { ...values, due_date: values.due_date || null }); await this.refresh(); } }) }),
        sheet({ name: "withdraw", label: gettext("Withdraw"), icon: "↙", content: withdrawForm(wallet.id, refresh) }),
        sheet({ name: "recurring-dues", label: gettext("Regular dues"), icon: "↻", content: actionForm({ title: gettext("Dues every week or month"), label: gettext("Repeat these dues"), testid: "recurring-dues-form",
          fields: [
            field(gettext("Title"), h("input", { name: "title", maxlength: 200, required: true })), field(gettext("Amount each"), amountInput()),
            field(gettext("Repeat"), h("select", { name: "repeat" }, h("option", { value: "monthly" }, REPEAT_WORDS.monthly), h("option", { value: "weekly" }, REPEAT_WORDS.weekly))),
            field(gettext("First due date"), h("input", { name: "first_due", type: "date", required: true })),
          ],
          submit: async (values) => { await post(`/api/wallets/${wallet.id}/recurring-dues`, values); toast(gettext("Recurring dues set: each request goes out a week before it is due.")); await this.refresh(); } }) }),
        sheet({ name: "schedule", label: gettext("Schedule"), icon: "⏱", content: scheduleForm(wallet.id, refresh) }),
        sheet({ name: "policy", label: gettext("Approval rule"), icon: "✓", content: this.policyForm(wallet) }),
        sheet({ name: "handover", label: gettext("Change treasurer"), icon: "⇄", content: this.handoverForm(wallet) }),
      ] : []),
    ].filter(Boolean);
    this.element.replaceChildren(
      h("header", { class: "wallet-hero" },
        h("a", { href: `#/channel/${wallet.channel}`, class: "muted small" }, gettext("‹ back to the channel")),
        this.title, this.balance, this.people,
        isMember ? null : h("button", { type: "button", class: "primary", "data-testid": "join-wallet", onclick: guarded(async () => { await post(`/api/wallets/${wallet.id}/join`); await this.refresh(); }) }, gettext("Join this wallet")),
        personal ? null : h("p", { class: "muted small" }, h("a", { href: "#/wallet" }, gettext("Open your wallet")), " ", gettext("to pay in.")),
        sheetButtons(sheets)),
      this.parts.at(-1), // the history: recent activity first, as a bank app shows it
      statementLink(wallet.id),
      h("section", {}, h("h3", {}, gettext("Approvals")), this.policyText, this.approvals),
      h("section", {}, h("h3", {}, gettext("Dues")), this.duesList, h("h4", {}, gettext("Every week or month")), this.recurringList,
        h("h4", {}, gettext("Who has paid")), this.overview),
      this.parts.at(-2), // the scheduled transfers
      ...sheets.map((s) => s.dialog),
    );
  }

  policyForm(wallet) {
    const choices = h("fieldset", { class: "choices", "data-testid": "policy-approvers" }, h("legend", {}, gettext("Approvers")));
    const threshold = h("input", { name: "threshold", type: "number", min: 0, step: 1, required: true, inputmode: "numeric" });
    const required = h("input", { name: "required", type: "number", min: 0, step: 1, required: true, inputmode: "numeric", value: 1 });
    const windowSelect = h("select", { name: "window", "data-testid": "policy-window" },
      ...Object.entries(WINDOWS).map(([value, words]) => h("option", { value, selected: value === "day" }, words.option)));
    // The form shows the saved rule: its values are the fields' defaults, so a reset after saving (and
    // every reopening) shows the rule as saved, while a refresh never overwrites what is being typed.
    this.policyChoices = (people, policy) => {
      const saved = new Set((policy.approvers || []).map((a) => a.id));
      const touched = new Map([...choices.querySelectorAll("input")].filter((input) => input.checked !== input.defaultChecked)
        .map((input) => [Number(input.value), input.checked]));
      threshold.defaultValue = policy.threshold ?? "";
      required.defaultValue = policy.required ? policy.required : 1;
      for (const option of windowSelect.options) option.defaultSelected = option.value === (policy.window || "day");
      choices.replaceChildren(choices.firstChild, ...people.map((p) => {
        const box = h("input", { type: "checkbox", name: "approvers", value: p.id, checked: saved.has(p.id) });
        if (touched.has(p.id)) box.checked = touched.get(p.id);
        return h("label", { class: "choice" }, box, ` ${p.username}`);
      }));
    };
    return actionForm({
      title: gettext("Approval rule"), label: gettext("Save the rule"), testid: "policy-form",
      fields: [h("p", { class: "muted small" }, gettext("Money out above the amount waits until enough approvers say yes. Everyone in the channel sees the rule change.")),
        field(gettext("Above (amount)"), threshold), field(gettext("Counted over"), windowSelect), choices, field(gettext("Approvals needed (0 removes the rule)"), required)],
      submit: async (values) => {
        await post(`/api/wallets/${wallet.id}/approval-policy`, { threshold: values.threshold, window: values.window, approvers: values.required ? values.approvers : [], required: values.required });
        toast(gettext("Approval rule saved."));
        await this.refresh();
      },
    });
  }

  // Its name and balance, from the store (read again by refresh(), or by another view).
  showWallet() {
    const wallet = this.app.store.wallets.get(this.walletId);
    this.balance.textContent = money(wallet.balance, wallet.currency);
    this.title.textContent = wallet.name;
  }

  handoverForm(wallet) {
    const select = h("select", { name: "user_id", required: true, "data-testid": "handover-member" });
    this.handoverChoices = (people) => {
      const chosen = select.value;
      select.replaceChildren(h("option", { value: "" }, gettext("Choose a member")), ...people.map((p) => h("option", { value: p.id }, p.username)));
      select.value = chosen;
    };
    return actionForm({
      title: gettext("Hand the wallet over"), label: gettext("Hand over"), testid: "handover-form",
      fields: [h("p", { class: "muted small" }, gettext("The new treasurer keeps the wallet; your scheduled transfers from it and its pending approvals end. You can leave the channel only after handing it over.")),
        field(gettext("New treasurer"), select), field(gettext("PIN"), pinInput())],
      submit: async (values) => {
        const name = select.selectedOptions[0]?.textContent;
        if (!confirm(interpolate(gettext("Hand %(wallet)s to %(name)s?"), { wallet: wallet.name, name }))) return;
        await post(`/api/wallets/${wallet.id}/treasurer`, { user_id: Number(values.user_id), pin: values.pin });
        toast(interpolate(gettext("%(name)s is now the treasurer."), { name }));
        await this.refresh();
      },
    });
  }

  showsWallet(walletId) {
    return this.walletId === walletId;
  }

  stop() {
    this.unsubscribe();
  }
}

// What the threshold counts (the policy's window): the form's choices and the rule's words.
const WINDOWS = {
  transfer: { option: gettext("Each transfer on its own"), words: gettext("Each transfer counts on its own.") },
  day: { option: gettext("Everything in 24 hours"), words: gettext("Money that left without approval in the last 24 hours counts too.") },
  week: { option: gettext("Everything in 7 days"), words: gettext("Money that left without approval in the last 7 days counts too.") },
};

function policyWords(policy) {
  if (!policy.required) return gettext("No approval rule: the treasurer moves money alone.");
  return interpolate(ngettext(
    "Money out above %(threshold)s needs %(required)s approval from %(approvers)s.",
    "Money out above %(threshold)s needs %(required)s approvals from %(approvers)s.", policy.required),
  { threshold: money(policy.threshold), required: policy.required, approvers: policy.approvers.map((a) => a.username).join(", ") })
    + ` ${(WINDOWS[policy.window] || WINDOWS.day).words}`;
}

function overviewTable(rows) {
  if (!rows.length) return h("p", { class: "muted" }, gettext("No dues requested yet."));
  const head = [gettext("Member"), gettext("On time"), gettext("Late"), gettext("Unpaid"), gettext("Owed")];
  return h("table", {}, h("thead", {}, h("tr", {}, ...head.map((text) => h("th", {}, text)))),
    h("tbody", {}, ...rows.map((row) => h("tr", { "data-testid": `overview-${row.user.username}` },
      h("td", {}, row.user.username), h("td", {}, String(row.paid_on_time)), h("td", {}, String(row.paid_late)),
      h("td", { class: row.overdue ? "overdue" : "" }, String(row.unpaid)), h("td", {}, money(row.owed))))));
}

function recurringItem(recurring, { isTreasurer, onDone }) {
  return h("li", { "data-testid": "recurring-item" },
    h("span", {}, interpolate(gettext("%(title)s · %(amount)s · %(repeat)s · next due %(date)s"), { title: recurring.title, amount: money(recurring.amount), repeat: REPEAT_WORDS[recurring.repeat], date: date(recurring.next_due) })),
    isTreasurer ? confirmInPlace({
      label: gettext("Stop"), question: gettext("Stop these recurring dues?"), yes: gettext("Yes, stop them"), no: gettext("Keep them"),
      testid: `stop-recurring-${recurring.id}`,
      action: async () => { await del(`/api/recurring-dues/${recurring.id}`); await onDone(); },
    }) : null);
}

// --- approvals ---------------------------------------------------------------------------------

function approvalItems(app, items, onDone) {
  if (!items.length) return [h("li", { class: "muted" }, gettext("Nothing waits for approval."))];
  return items.map((item) => {
    const t = item.transfer;
    const asked = t.to_wallet
      ? interpolate(gettext("%(name)s asks to send %(amount)s from %(wallet)s to %(to)s."), { name: t.requested_by.username, amount: money(t.amount, t.currency), wallet: t.from_wallet.name, to: describeWallet(t.to_wallet) })
      : interpolate(gettext("%(name)s asks to withdraw %(amount)s from %(wallet)s."), { name: t.requested_by.username, amount: money(t.amount, t.currency), wallet: t.from_wallet.name });
    const canApprove = item.approvers.some((a) => a.id === app.me.id) && !item.approvals.includes(app.me.id);
    // One PIN box for the decision: its buttons say which (Reject only, for someone who cannot approve).
    const reject = h("button", { type: "submit", class: "danger", "data-verb": "reject", "data-testid": `reject-${item.id}` }, gettext("Reject"));
    const decide = actionForm({
      label: canApprove ? gettext("Approve") : gettext("Reject"), testid: `decide-${item.id}`,
      fields: [field(gettext("PIN"), pinInput())],
      submit: async (values, idempotencyKey, submitter) => {
        const verb = submitter?.dataset.verb ?? (canApprove ? "approve" : "reject");
        const result = await post(`/api/approvals/${item.id}/${verb}`, values, { idempotencyKey });
        toast(result.status === "completed" ? gettext("Approved: the money has moved.") : result.status === "rejected" ? gettext("Rejected.") : gettext("Approved."));
        await onDone();
      },
    });
    if (canApprove) decide.querySelector("button.primary").after(reject); // after Approve: Enter in the PIN box approves
    return h("li", { class: "approval", "data-testid": `approval-${item.id}` },
      h("p", {}, asked,
        t.memo ? h("small", { class: "muted" }, ` ${interpolate(gettext("Memo: “%(memo)s”."), { memo: t.memo })}`) : null),
      h("p", { class: "muted", "data-testid": "approval-progress" }, interpolate(gettext("%(count)s of %(required)s approvals"), { count: item.approvals.length, required: item.required })),
      h("div", { class: "decisions" }, decide));
  });
}

export class ApprovalsView {
  constructor(app) {
    this.app = app;
    this.list = h("ul", { class: "approvals", "data-testid": "approvals" });
    this.element = h("section", { class: "wallet-view", "aria-label": gettext("Approvals") }, h("h2", {}, gettext("Waiting for approval")), this.list);
  }

  async start() {
    await this.refresh();
  }

  async refresh() {
    this.list.replaceChildren(...approvalItems(this.app, await get("/api/approvals"), async () => { await this.refresh(); await this.app.refreshApprovals(); }));
  }
}

// --- dues: a card in the chat and a block on the wallet page, both updating live ---------

// Only the server writes "sys:" ids (a member's "dues:7" is plain text, not a card with a Pay button).
const DUES_CARD_PREFIX = "sys:dues:";
export const isDuesMessage = (message) => typeof message.client_msg_id === "string" && message.client_msg_id.startsWith(DUES_CARD_PREFIX);

function duesBlock(app, dues, { isTreasurer = false } = {}) {
  const element = h("div", { class: "dues-card", "data-testid": "dues-card", dataset: { duesId: dues.id } });
  element.isTreasurer = isTreasurer;
  fillDues(app, element, dues);
  return element;
}

// The card of a dues request in the chat: its message's words until the dues are read (the cards on
// the screen draw them from the store then: drawDuesFromStore).
export function duesCard(app, message) {
  const duesId = Number(message.client_msg_id.slice(DUES_CARD_PREFIX.length));
  const element = h("div", { class: "dues-card", "data-testid": "dues-card", dataset: { duesId } }, h("p", {}, message.body));
  loadDues(app.store, duesId).then((dues) => element.isConnected || fillDues(app, element, dues)).catch(() => {});
  return element;
}

// Every dues card on the screen (in the chat, on the wallet's page) draws its dues again when the store reads them.
export function drawDuesFromStore(app) {
  app.store.subscribe("dues", (channelId, duesId) => {
    const dues = app.store.dues.get(duesId);
    for (const card of document.querySelectorAll(`.dues-card[data-dues-id="${duesId}"]`)) fillDues(app, card, dues);
  });
}

// Every dues card shown: someone joined the channel, so the open dues ask one more member.
export async function refreshAllDues(app) {
  const ids = new Set([...document.querySelectorAll(".dues-card[data-dues-id]")].map((card) => Number(card.dataset.duesId)));
  await Promise.all([...ids].map((id) => loadDues(app.store, id)));
}

// A dues request changed (someone paid): read once if a card shows it.
export async function refreshDues(app, duesId) {
  if (document.querySelector(`.dues-card[data-dues-id="${duesId}"]`)) await loadDues(app.store, duesId);
}

const STANDING_WORDS = {
  paid_on_time: gettext("paid"), paid_late: gettext("paid late"), unpaid: gettext("not paid yet"), overdue: gettext("overdue"),
};

function fillDues(app, element, dues) {
  const mine = dues.members.find((m) => m.user.id === app.me.id);
  const pay = mine && !mine.paid
    ? actionForm({ label: interpolate(gettext("Pay %(amount)s"), { amount: money(dues.amount, dues.currency) }), testid: "dues-pay", fields: [field(gettext("PIN"), pinInput())],
      submit: async (values, idempotencyKey) => { await post(`/api/dues/${dues.id}/pay`, values, { idempotencyKey }); await refreshDues(app, dues.id); } })
    : null;
  const unpaidOthers = dues.members.filter((m) => !m.paid && m.user.id !== app.me.id).length;
  const remind = (element.isTreasurer || dues.treasurer?.id === app.me.id) && unpaidOthers
    ? h("button", { type: "button", "data-testid": "dues-remind", onclick: guarded(async () => {
      const { reminded } = await post(`/api/dues/${dues.id}/remind`);
      toast(interpolate(ngettext("Reminded %(count)s member.", "Reminded %(count)s members.", reminded), { count: reminded }));
    }) }, gettext("Remind who has not paid"))
    : null;
  element.replaceChildren(
    h("p", { class: "dues-title" }, h("strong", {}, dues.title), ` · ${interpolate(gettext("%(amount)s each"), { amount: money(dues.amount, dues.currency) })}`,
      dues.due_date ? ` · ${interpolate(gettext("due %(date)s"), { date: date(dues.due_date) })}` : ""),
    h("p", { class: "muted", "data-testid": "dues-progress" }, interpolate(gettext("%(paid)s of %(count)s paid"), { paid: dues.paid_count, count: dues.member_count })),
    h("p", { class: "muted small", "data-testid": "dues-who" }, !dues.poll_option
      ? gettext("Everyone in the channel is asked, and so is whoever joins before it is due.")
      : gettext("Asked of those who chose this option in the poll.")),
    h("ul", { class: "dues-members" }, ...dues.members.map((m) =>
      h("li", { class: m.paid ? "paid" : "unpaid", "data-testid": `dues-member-${m.user.username}`, dataset: { paid: m.paid } },
        `${m.paid ? "✓" : "·"} ${m.user.username} ${STANDING_WORDS[m.standing]}`))),
    ...(pay ? [pay] : []),
    ...(remind ? [remind] : []),
  );
}

// --- the channel's side panel: group wallets, live --------------------------------------------

// Its wallets and their balances come from the store: reload() reads them again (a wallet created,
// money moved, the subscription back); lists(walletId) tells whether it shows that wallet.
export async function channelWalletsPanel(app, channelId) {
  const { store } = app;
  const list = h("ul", { class: "group-wallets", "data-testid": "group-wallets" });
  const shown = () => store.channelWallets.get(channelId) ?? [];
  function render() {
    const wallets = shown().map((id) => store.wallets.get(id));
    list.replaceChildren(...wallets.map((w) => h("li", {},
      h("a", { href: `#/wallet/${w.id}` }, w.name), h("span", { class: "muted" }, ` ${money(w.balance, w.currency)} · ${memberCount(w.member_count)}`))));
    if (!wallets.length) list.append(h("li", { class: "muted" }, gettext("No group wallet yet.")));
  }
  const section = h("section", {}, h("h3", {}, gettext("Group wallets")), list,
    actionForm({ title: gettext("New group wallet"), label: gettext("Create group wallet"), testid: "group-wallet-form",
      fields: [field(gettext("Name"), h("input", { name: "name", maxlength: 100, required: true })), field(gettext("Description"), h("input", { name: "description", maxlength: 1000 }))],
      submit: async (values) => { const wallet = await post(`/api/channels/${channelId}/group-wallets`, values); location.hash = `#/wallet/${wallet.id}`; } }));
  const unsubscribe = store.subscribe("wallets", (listed, { ids }) => {
    if (listed === channelId || shown().some((id) => ids.has(id))) render();
  });
  Object.assign(section, { reload: () => loadChannelWallets(store, channelId), lists: (walletId) => shown().includes(walletId), channelId, stop: unsubscribe });
  // Known to the app before the first load: a wallet created meanwhile (its event) loads the list again.
  app.walletsPanel?.stop();
  app.walletsPanel = section;
  await section.reload();
  return section;
}
