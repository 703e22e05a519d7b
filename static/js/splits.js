// Splitting a bill (정산) in the chat: the member who paid names who shared it and the total;
// each gets the split's card with their share and a Pay button (PIN), and the payer sees who paid
// and may remind the others. Cards are read again when someone pays (event `split_paid`).

import { get, post } from "./api.js";
import { actionForm, field, guarded, h, money, pinInput, toast } from "./dom.js";
import { gettext, interpolate, ngettext } from "./i18n.js";

export const isSplitMessage = (message) => message.client_msg_id?.startsWith("sys:split:");

// The form beside the composer: equal shares among the members ticked, paid back to my wallet.
export function splitForm(view, done) {
  const members = view.members.people.map((member) =>
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "members", value: member.id, checked: true }), " ", member.username));
  return actionForm({
    title: gettext("Split a bill"), label: gettext("Ask for the shares"), testid: "split-form",
    fields: [
      field(gettext("What for"), h("input", { name: "title", maxlength: 200, required: true })),
      field(gettext("Total (won)"), h("input", { name: "total", type: "number", min: 1, step: 1, required: true })),
      h("fieldset", { class: "split-members", "data-testid": "split-members" }, h("legend", {}, gettext("Who shared it (equal shares)")), ...members),
    ],
    submit: async (values) => {
      const wallet = await get("/api/wallets/me");
      await post(`/api/channels/${view.channel.id}/splits`, { title: values.title, total: values.total, members: values.members, to_wallet: wallet.id });
      done();
    },
  });
}

export function splitCard(app, message) {
  const splitId = Number(message.client_msg_id.slice("sys:split:".length));
  const element = h("div", { class: "dues-card split-card", "data-testid": "split-card", dataset: { splitId } }, h("p", {}, message.body));
  element.app = app;
  get(`/api/splits/${splitId}`).then((split) => fillSplit(element, split)).catch(() => {});
  return element;
}

export async function refreshSplit(splitId) {
  const cards = document.querySelectorAll(`.split-card[data-split-id="${splitId}"]`);
  if (!cards.length) return;
  const split = await get(`/api/splits/${splitId}`);
  for (const card of cards) fillSplit(card, split);
}

function fillSplit(element, split) {
  const me = element.app.me.id;
  const mine = split.members.find((m) => m.user.id === me);
  const pay = mine && !mine.paid
    ? actionForm({ label: interpolate(gettext("Pay %(amount)s"), { amount: money(mine.amount, split.currency) }), testid: "split-pay", fields: [field(gettext("PIN"), pinInput())],
      submit: async (values, idempotencyKey) => { await post(`/api/splits/${split.id}/pay`, values, { idempotencyKey }); await refreshSplit(split.id); } })
    : null;
  const unpaid = split.members.filter((m) => !m.paid).length;
  const remind = split.created_by.id === me && unpaid
    ? h("button", { type: "button", class: "small", "data-testid": "split-remind", onclick: guarded(async () => {
      const { reminded } = await post(`/api/splits/${split.id}/remind`);
      toast(interpolate(ngettext("Reminded %(count)s member.", "Reminded %(count)s members.", reminded), { count: reminded }));
    }) }, gettext("Remind who has not paid"))
    : "";
  element.replaceChildren(
    h("p", { class: "dues-title" }, "🧾 ", h("strong", {}, split.title), ` · ${interpolate(gettext("%(total)s in all"), { total: money(split.total, split.currency) })}`),
    h("p", { class: "muted", "data-testid": "split-progress" }, interpolate(gettext("%(paid)s of %(count)s paid"), { paid: split.paid_count, count: split.members.length })),
    h("ul", { class: "dues-members" }, ...split.members.map((m) =>
      h("li", { class: m.paid ? "paid" : "unpaid", "data-testid": `split-member-${m.user.username}`, dataset: { paid: m.paid } },
        `${m.paid ? "✓" : "·"} ${m.user.username} ${money(m.amount, split.currency)}`))),
    pay || "",
    remind,
  );
}
