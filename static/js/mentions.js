// @mentions in the composer: typing "@" and the start of a name offers the channel's members;
// arrows move, Enter or Tab takes one, Escape closes. The server finds the mentions in the body.

import { h } from "./dom.js";
import { gettext } from "./i18n.js";

const TYPED = /(?:^|[^\w@])@([\w.+-]*)$/; // the same start of a word as the server's MENTION
const SHOWN = 6;

export class MentionPicker {
  // members(): the people who may be named, [{id, username}].
  constructor(input, members) {
    this.input = input;
    this.members = members;
    this.choices = [];
    this.active = 0;
    this.list = h("ul", { class: "mention-picker", role: "listbox", hidden: true, "aria-label": gettext("Members to mention"), "data-testid": "mention-picker" });
    input.addEventListener("input", () => this.update());
    input.addEventListener("blur", () => this.close());
  }

  get open() {
    return !this.list.hidden;
  }

  update() {
    const typed = TYPED.exec(this.input.value.slice(0, this.input.selectionStart));
    const start = typed ? typed[1].toLowerCase() : null;
    this.choices = start === null ? [] : this.members().filter((m) => m.username.toLowerCase().startsWith(start)).slice(0, SHOWN);
    this.active = 0;
    this.show();
  }

  show() {
    this.list.replaceChildren(...this.choices.map((member, index) => h("li", {
      role: "option", "aria-selected": String(index === this.active), "data-testid": `mention-${member.username}`,
      // mousedown, not click: the input keeps its focus (and its caret) while a name is picked
      onmousedown: (event) => { event.preventDefault(); this.choose(member); },
    }, `@${member.username}`)));
    this.list.hidden = !this.choices.length;
  }

  close() {
    this.choices = [];
    this.list.hidden = true;
  }

  // True when the key was the picker's.
  onKeydown(event) {
    if (!this.open) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      this.active = (this.active + (event.key === "ArrowDown" ? 1 : -1) + this.choices.length) % this.choices.length;
      this.show();
    } else if (event.key === "Enter" || event.key === "Tab") {
      this.choose(this.choices[this.active]);
    } else if (event.key === "Escape") {
      this.close();
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  choose(member) {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret).replace(/@[\w.+-]*$/, `@${member.username} `);
    this.input.value = before + this.input.value.slice(caret);
    this.input.setSelectionRange(before.length, before.length);
    this.close();
  }
}
