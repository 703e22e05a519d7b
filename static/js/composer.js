// The composer of the open channel: the message box (Enter sends, Shift+Enter breaks the line, and
// neither while a Korean syllable is still being composed), @mentions, the reply or edit it is in
// (shown above it, Escape or × leaves it), the typing notice to the others, and beside it what a
// club posts besides text (a poll, a bill to split, photos). What I send goes to the store's messages
// at once, pending, and to the socket.

import { patch } from "./api.js";
import { composing, guarded, h } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";
import { MentionPicker } from "./mentions.js";
import { snippet } from "./messages.js";
import { photoButton } from "./photos.js";
import { pollForm } from "./polls.js";
import { splitForm } from "./splits.js";

const TYPING_SEND_EVERY_MS = 3000;

export class Composer {
  // view: the channel view (its app, channel, messages and members; the tools post through it).
  constructor(view) {
    const { app, channel } = view;
    this.view = view;
    this.app = app;
    this.channel = channel;
    this.messages = view.messages;
    this.replying = null; // the message the composer answers
    this.editing = null; // my message the composer edits
    this.lastTypingSent = 0;
    this.input = h("textarea", { rows: 1, maxlength: 4000, placeholder: interpolate(gettext("Message #%(channel)s"), { channel: channel.name }), "aria-label": gettext("Message"), "data-testid": "composer" });
    this.mentions = new MentionPicker(this.input, () => view.members.others());
    this.input.addEventListener("keydown", (event) => {
      if (composing(event)) return;
      if (this.mentions.onKeydown(event)) return;
      if (event.key === "Escape" && (this.replying || this.editing)) this.clearContext();
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.noteTyping());
    this.context = h("div", { class: "composer-context", hidden: true, "data-testid": "composer-context" });
    this.elements = [
      this.context,
      this.tools(),
      h("form", { class: "composer", onsubmit: (event) => { event.preventDefault(); this.submit(); } },
        this.mentions.list, this.input, h("button", { type: "submit", class: "primary", "data-testid": "send" }, gettext("Send"))),
    ];
    // The message being answered or edited was deleted: nothing is left to answer or edit.
    this.unsubscribe = app.store.subscribe("messages", (id, { kind, message, body }) => {
      if (id === channel.id && kind === "changed" && body && message.deleted && (message === this.editing || message === this.replying)) this.clearContext();
    });
  }

  // Beside the composer: what a club posts besides text (a poll, a bill to split, photos).
  tools() {
    const area = h("div", { class: "composer-tool-area", "data-testid": "composer-tool-area" });
    const toggle = (make) => () => {
      if (area.firstChild?.dataset.tool === make.name) return area.replaceChildren();
      const panel = make();
      panel.dataset.tool = make.name;
      area.replaceChildren(panel);
    };
    const poll = () => pollForm(this.view, () => area.replaceChildren());
    const split = () => splitForm(this.view, () => area.replaceChildren());
    return h("div", { class: "composer-tools" },
      h("div", { class: "composer-tool-buttons" },
        h("button", { type: "button", class: "small", onclick: toggle(poll), "data-testid": "new-poll" }, "📊 ", gettext("Poll")),
        h("button", { type: "button", class: "small", onclick: toggle(split), "data-testid": "new-split" }, "🧾 ", gettext("Split a bill")),
        photoButton(this.view)),
      area);
  }

  submit() {
    const body = this.input.value.trim();
    if (!body) return;
    if (this.editing) {
      guarded(() => this.saveEdit(this.editing, body))();
      return;
    }
    const clientMsgId = crypto.randomUUID();
    const replyTo = this.replying?.id ?? null;
    this.messages.send({ client_msg_id: clientMsgId, sender: this.app.me, body, created_at: new Date().toISOString(), reply_to: replyTo, reactions: {}, mentions: [] });
    this.input.value = "";
    this.clearContext();
    this.app.socket.sendMessage(this.channel.id, body, clientMsgId, replyTo);
    this.lastTypingSent = 0; // the others clear my typing notice on this message: the next key tells them again
  }

  replyTo(message) {
    this.editing = null;
    this.replying = message;
    this.showContext(gettext("Replying to %(name)s: %(text)s"), message);
  }

  startEdit(message) {
    this.replying = null;
    this.editing = message;
    this.input.value = message.body;
    this.showContext(gettext("Editing your message: %(text)s"), message);
  }

  showContext(format, message) {
    this.context.replaceChildren(
      h("span", { class: "context-text" }, interpolate(format, { name: message.sender.username, text: snippet(message.body) })),
      h("button", { type: "button", class: "context-cancel", "aria-label": gettext("Cancel"), onclick: () => this.clearContext(), "data-testid": "cancel-context" }, "×"));
    this.context.hidden = false;
    this.input.focus();
  }

  clearContext() {
    if (this.editing) this.input.value = "";
    this.replying = null;
    this.editing = null;
    this.context.hidden = true;
  }

  async saveEdit(message, body) {
    const saved = await patch(`/api/channels/${this.channel.id}/messages/${message.id}`, { body });
    this.messages.change({ type: "message_edited", ...saved });
    this.clearContext();
  }

  noteTyping() {
    const now = Date.now();
    if (now - this.lastTypingSent > TYPING_SEND_EVERY_MS) {
      this.lastTypingSent = now;
      this.app.socket.typing(this.channel.id);
    }
  }

  stop() {
    this.unsubscribe();
  }
}
