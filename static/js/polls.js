// Polls (투표) in the chat: a form to ask one, and the poll's card in its message with the counts
// and who chose what, changed live by `poll` frames. Members vote (again to change it), the
// creator or the owner closes it, and from a closed poll the treasurer asks dues of those who
// chose one option.

import { post } from "./api.js";
import { actionForm, field, guarded, h, toast } from "./dom.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { loadChannelWallets } from "./wallet_feed.js";

export const hasPoll = (message) => Boolean(message.poll);

// The form above the composer that asks a new poll; it closes once the poll is posted.
export function pollForm(view, done) {
  return actionForm({
    title: gettext("New poll"), label: gettext("Post the poll"), testid: "poll-form",
    fields: [
      field(gettext("Question"), h("input", { name: "question", maxlength: 300, required: true })),
      field(gettext("Options, one a line"), h("textarea", { name: "options", rows: 3, required: true, "data-testid": "poll-options" })),
      h("label", { class: "check" }, h("input", { type: "checkbox", name: "multiple", value: 1 }), " ", gettext("Several choices allowed")),
      field(gettext("Closes at (optional)"), h("input", { name: "closes_at", type: "datetime-local" })),
    ],
    submit: async (values) => {
      const options = values.options.split("\n").map((text) => text.trim()).filter(Boolean);
      const closesAt = values.closes_at ? new Date(values.closes_at).toISOString() : null;
      await post(`/api/channels/${view.channel.id}/polls`, { question: values.question, options, multiple: values.multiple.length > 0, closes_at: closesAt });
      done();
    },
  });
}

// The card of a poll message: built once; update(poll) redraws the counts and keeps forms as typed. My
// vote's answer goes to the store like a poll frame (view.pollChanged), which brings it back here.
export class PollCard {
  constructor(view, poll) {
    this.view = view;
    this.poll = poll;
    this.results = h("div", { class: "poll-results" });
    this.footer = h("div", { class: "poll-footer" });
    this.duesArea = h("div", { class: "poll-dues" });
    this.element = h("div", { class: "poll-card", "data-testid": "poll-card", dataset: { pollId: poll.id } },
      h("p", { class: "poll-question" }, "📊 ", poll.question), this.results, this.footer, this.duesArea);
    this.render();
  }

  get me() {
    return this.view.app.me.id;
  }

  myChoice() {
    return this.poll.voters.find((voter) => voter.user.id === this.me)?.options ?? [];
  }

  update(poll) {
    this.poll = poll;
    this.render(); // a poll that closed offers the treasurer its dues form, once
  }

  render() {
    const poll = this.poll;
    const mine = new Set(this.myChoice());
    const most = Math.max(1, ...poll.options.map((option) => option.votes));
    this.results.replaceChildren(...poll.options.map((option) => {
      const names = poll.voters.filter((voter) => voter.options.includes(option.id)).map((voter) => voter.user.username);
      const bar = h("span", { class: "poll-bar" });
      bar.style.width = `${Math.round((100 * option.votes) / most)}%`; // a CSSOM property: the CSP refuses style attributes
      return h("button", {
        type: "button", class: ["poll-option", mine.has(option.id) && "chosen"].filter(Boolean).join(" "), disabled: poll.closed,
        "aria-pressed": String(mine.has(option.id)), "data-testid": "poll-option", dataset: { optionId: option.id },
        onclick: guarded(() => this.choose(option.id)),
      },
      bar,
      h("span", { class: "poll-text" }, option.text),
      h("span", { class: "poll-count", "data-testid": "poll-count" }, String(option.votes)),
      names.length ? h("span", { class: "poll-voters muted" }, names.join(", ")) : null);
    }));
    const people = poll.voters.length;
    const state = poll.closed
      ? gettext("Closed")
      : poll.closes_at ? interpolate(gettext("Closes %(when)s"), { when: new Date(poll.closes_at).toLocaleString() }) : "";
    const canClose = !poll.closed && (poll.created_by.id === this.me || this.view.channel.owner.id === this.me);
    this.footer.replaceChildren(
      h("span", { class: "muted", "data-testid": "poll-state" },
        [interpolate(ngettext("%(count)s person voted", "%(count)s people voted", people), { count: people }), poll.multiple ? gettext("several choices") : "", state].filter(Boolean).join(" · ")),
      canClose ? h("button", { type: "button", class: "small", onclick: guarded(() => this.close()), "data-testid": "poll-close" }, gettext("Close the poll")) : "");
    if (poll.closed && !this.duesOffered) this.offerDues();
  }

  async choose(optionId) {
    const mine = this.myChoice();
    let chosen;
    if (this.poll.multiple) chosen = mine.includes(optionId) ? mine.filter((id) => id !== optionId) : [...mine, optionId];
    else chosen = mine.includes(optionId) ? [] : [optionId];
    this.view.pollChanged(await post(`/api/polls/${this.poll.id}/vote`, { options: chosen }));
  }

  async close() {
    this.view.pollChanged(await post(`/api/polls/${this.poll.id}/close`));
  }

  // The treasurer of one of the channel's group wallets may turn the result into dues.
  async offerDues() {
    this.duesOffered = true;
    const { store } = this.view.app;
    await loadChannelWallets(store, this.view.channel.id); // through the store: the panel beside the chat follows
    const wallets = store.channelWallets.get(this.view.channel.id).map((id) => store.wallets.get(id)).filter((wallet) => wallet.owner.id === this.me);
    if (!wallets.length) return;
    const form = actionForm({
      title: gettext("Ask dues of those who chose"), label: gettext("Request dues"), testid: "poll-dues-form",
      fields: [
        field(gettext("Option"), h("select", { name: "option" }, this.poll.options.map((option) => h("option", { value: option.id }, `${option.text} (${option.votes})`)))),
        field(gettext("Group wallet"), h("select", { name: "wallet" }, wallets.map((wallet) => h("option", { value: wallet.id }, wallet.name)))),
        field(gettext("Amount each"), h("input", { name: "amount", type: "number", min: 1, step: 1, required: true })),
      ],
      submit: async (values) => {
        await post(`/api/polls/${this.poll.id}/dues`, { option: Number(values.option), wallet: Number(values.wallet), amount: values.amount });
        toast(gettext("Dues requested."));
      },
    });
    const details = h("details", { "data-testid": "poll-dues" }, h("summary", {}, gettext("Turn into dues")), form);
    form.addEventListener("done", () => { details.open = false; }); // asked: folded, so a second tap does not ask again
    this.duesArea.replaceChildren(details);
  }
}
