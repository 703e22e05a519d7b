// @mentions in the composer: typing "@" and the start of a name offers the channel's members;
// arrows move, Enter or Tab takes one, Escape closes. The server finds the mentions in the body.
// Korean names match as KakaoTalk matches them: by initial consonants (ㅊ or ㅊㅁ for 최민수) and
// by the syllable still being composed (초 on the way to 최).

import { composing, h } from "./dom.js";
import { gettext } from "./i18n.js";

// The same start of a word as the server's MENTION (Python's \w takes every script's letters).
const TYPED = /(?:^|[^\p{L}\p{N}_@])@([\p{L}\p{N}_.+-]*)$/u;
const TYPED_TAIL = /@[\p{L}\p{N}_.+-]*$/u;
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
    this.choices = start === null ? [] : this.members().filter((m) => startsLike(m.username.toLowerCase(), start)).slice(0, SHOWN);
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
    if (!this.open || composing(event)) return false;
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
    const before = this.input.value.slice(0, caret).replace(TYPED_TAIL, `@${member.username} `);
    this.input.value = before + this.input.value.slice(caret);
    this.input.setSelectionRange(before.length, before.length);
    this.close();
  }
}

// Hangul syllables are composed as 0xAC00 + (initial * 21 + medial) * 28 + final.
const SYLLABLES = 0xac00;
const LAST_SYLLABLE = 0xd7a3;
const INITIALS = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ";
// A medial the input method shows first, on its way to a compound one (ㅗ before ㅚ in 최).
const COMPOUND_MEDIALS = { 8: [9, 10, 11], 13: [14, 15, 16], 18: [19] };

function syllable(char) {
  const code = char.codePointAt(0) - SYLLABLES;
  if (code < 0 || code > LAST_SYLLABLE - SYLLABLES) return null;
  return { initial: Math.floor(code / 588), medial: Math.floor((code % 588) / 28), final: code % 28 };
}

// Whether a typed character stands for the name's character: the same, the name's initial
// consonant, or (the last one typed) a syllable the input method is still building towards it.
function charMatches(typed, name, last) {
  if (typed === name) return true;
  const target = syllable(name);
  if (!target) return false;
  if (INITIALS.indexOf(typed) === target.initial) return true;
  const partial = syllable(typed);
  if (!last || !partial || partial.final !== 0 || partial.initial !== target.initial) return false;
  return partial.medial === target.medial || (COMPOUND_MEDIALS[partial.medial] ?? []).includes(target.medial);
}

export function startsLike(name, typed) {
  const names = [...name];
  const typedChars = [...typed];
  return typedChars.length <= names.length && typedChars.every((char, index) => charMatches(char, names[index], index === typedChars.length - 1));
}
