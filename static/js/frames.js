// What each live frame from the socket does: one handler per frame type, given the app, the frame and
// the open channel's view when the frame is about that channel (else null). Shared state changes go
// through the store (its subscribers redraw); what only the open view shows goes to the view.

import { guarded, toast } from "./dom.js";
import { gettext } from "./i18n.js";

const changeInView = (app, frame, view) => {
  view?.applyChange(frame);
  app.store.messageChanged(frame);
};

export const FRAME_HANDLERS = {
  message(app, frame, view) {
    app.store.messageArrived(frame, { reading: Boolean(view) });
    view?.append(frame); // the view never shows one twice
  },
  ack: (app, frame, view) => view?.onAck(frame),
  // Events sent before this (re)subscription took hold never reached us: read the wallets again.
  subscribed(app, frame) {
    if (app.walletsPanel?.channelId === frame.channel) guarded(() => app.walletsPanel.reload())();
  },
  message_edited: changeInView,
  message_deleted: changeInView,
  reactions: changeInView,
  read_receipts: (app, frame) => app.store.noteReads(frame.channel, frame.reads),
  presence: (app, frame) => app.store.setOnline(frame.channel, frame.online),
  unsubscribed(app, frame) {
    if (frame.reason === "not_a_member") app.channelGone(frame.channel);
  },
  typing(app, frame, view) {
    if (frame.user.id !== app.me.id) view?.onTyping(frame.user);
  },
  error(app, frame, view) {
    if (view) view.onError(frame);
    else if (frame.code !== "forbidden") toast(frame.detail || gettext("Something went wrong. Try again."));
  },
  poll: (app, frame, view) => view?.applyPoll(frame.poll),
  channel_updated(app, frame, view) {
    if ("notice" in frame) app.store.updateChannel(frame.channel, { notice: frame.notice });
    view?.noticeBar.changed(frame.notice);
  },
  event: (app, frame, view) => app.onEvent(frame, view),
};
