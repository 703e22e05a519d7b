// Photos in the chat: chosen from the phone (a file chooser), uploaded to the channel, then sent
// as one message; shown as a grid of thumbnails, each opening full screen. The server checks and
// cleans every image (chat/attachments.py); members alone can fetch them.

import { ApiError, post } from "./api.js";
import { guarded, h, toast } from "./dom.js";
import { gettext, interpolate } from "./i18n.js";

const ACCEPT = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif";
const MAX_PHOTOS = 10;

async function upload(channelId, file) {
  const form = new FormData();
  form.append("file", file);
  const response = await fetch(`/api/channels/${channelId}/attachments`, {
    method: "POST", body: form, credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content },
  }).catch(() => { throw new ApiError(0, { code: "offline", detail: gettext("Cannot reach the server. Check your connection.") }); });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

// The 📷 button beside the composer: choose photos, and they are sent together.
export function photoButton(view) {
  const input = h("input", { type: "file", accept: ACCEPT, multiple: true, hidden: true, "data-testid": "photo-input" });
  input.addEventListener("change", guarded(async () => {
    const files = [...input.files].slice(0, MAX_PHOTOS);
    input.value = "";
    if (!files.length) return;
    toast(interpolate(gettext("Sending %(count)s photo(s)…"), { count: files.length }));
    const ids = [];
    for (const file of files) ids.push((await upload(view.channel.id, file)).id);
    await post(`/api/channels/${view.channel.id}/messages`, { body: "📷", attachments: ids, client_msg_id: crypto.randomUUID() });
  }));
  return h("span", {}, input,
    h("button", { type: "button", class: "small", onclick: () => input.click(), "data-testid": "send-photo" }, "📷 ", gettext("Photo")));
}

export const hasPhotos = (message) => Boolean(message.attachments?.length);

// A message's photos: thumbnails in a grid (one photo shows larger, four as two by two, as
// KakaoTalk lays them out); a tap opens it full screen.
export function photoGrid(message) {
  const photos = message.attachments;
  const layout = photos.length === 4 ? 4 : Math.min(photos.length, 3);
  return h("div", { class: `photo-grid photos-${layout}`, "data-testid": "photo-grid" },
    photos.map((photo) => h("button", { type: "button", class: "photo", onclick: () => openViewer(photo), "aria-label": gettext("Open the photo") },
      h("img", { src: photo.thumbnail_url, alt: gettext("Photo"), loading: "lazy", width: photo.width, height: photo.height, "data-testid": "photo-thumbnail" }))));
}

function openViewer(photo) {
  const close = () => {
    viewer.remove();
    document.removeEventListener("keydown", onKey);
  };
  const onKey = (event) => { if (event.key === "Escape") close(); };
  const viewer = h("div", { class: "photo-viewer", role: "dialog", "aria-label": gettext("Photo"), "data-testid": "photo-viewer", onclick: (event) => { if (event.target === viewer) close(); } },
    h("img", { src: photo.url, alt: gettext("Photo"), "data-testid": "photo-full" }),
    h("button", { type: "button", class: "photo-close", "aria-label": gettext("Close"), onclick: close, "data-testid": "photo-close" }, "×"));
  document.addEventListener("keydown", onKey);
  document.body.append(viewer);
}
