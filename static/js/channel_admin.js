// What the owner of a channel can do: rename it (and its description), set, change or remove its
// password, remove a member, hand the channel to another member. Each answer from the server is
// the channel as it now is; onChange(channel) shows it everywhere.

import { del, patch, post } from "./api.js";
import { actionForm, field, guarded, h, toast } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";

export function channelSettings(channel, onChange) {
  const rename = actionForm({
    title: gettext("Name and description"), label: gettext("Save"), testid: "channel-rename-form",
    fields: [
      field(gettext("Name"), h("input", { name: "name", maxlength: 100, required: true, value: channel.name })),
      field(gettext("Description"), h("input", { name: "description", maxlength: 1000, value: channel.description })),
    ],
    submit: async (values) => onChange(await patch(`/api/channels/${channel.id}`, values)),
  });
  const password = actionForm({
    title: channel.is_private ? gettext("Change the password") : gettext("Make it private"), label: gettext("Set password"), testid: "channel-password-form",
    fields: [field(gettext("New password"), h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" }))],
    submit: async (values) => onChange(await patch(`/api/channels/${channel.id}`, values)),
  });
  const makePublic = channel.is_private
    ? h("button", { type: "button", "data-testid": "channel-make-public", onclick: guarded(async () => {
      if (confirm(gettext("Remove the password? Anyone will be able to join."))) onChange(await patch(`/api/channels/${channel.id}`, { password: "" }));
    }) }, gettext("Remove the password"))
    : null;
  return h("details", { class: "channel-settings", "data-testid": "channel-settings" },
    h("summary", {}, gettext("Channel settings")), rename, password, makePublic);
}

// Beside a member's name, for the owner: remove them, or make them the owner.
export function ownerActions(channel, member, onChange) {
  const remove = guarded(async () => {
    if (!confirm(interpolate(gettext("Remove %(name)s from the channel?"), { name: member.username }))) return;
    await del(`/api/channels/${channel.id}/members/${member.id}`);
    toast(interpolate(gettext("%(name)s was removed from the channel."), { name: member.username }));
  });
  const handOver = guarded(async () => {
    if (!confirm(interpolate(gettext("Make %(name)s the owner? You stay a member."), { name: member.username }))) return;
    onChange(await post(`/api/channels/${channel.id}/owner`, { user_id: member.id }));
  });
  return h("span", { class: "owner-actions" },
    h("button", { type: "button", class: "small", onclick: handOver, "data-testid": `make-owner-${member.username}` }, gettext("Make owner")),
    h("button", { type: "button", class: "small danger", onclick: remove, "data-testid": `remove-${member.username}` }, gettext("Remove")));
}
