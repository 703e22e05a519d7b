// What each live frame from the socket does: one handler per frame type, given the app, the frame and
// the open channel's view when the frame is about that channel (else null). State changes go through
// the store: the channel list and marks, reads and presence, and the open channel's messages (whose
// cards redraw from it); what only the open view shows (who is typing, the notice bar) goes to the view.

import { guarded, toast } from "./dom.js";
import { gettext } from "./i18n.js";

const changeMessage = (app, frame) => {
  app.store.messagesOf(frame.channel)?.change(frame);
  app.store.messageChanged(frame);
};

export const FRAME_HANDLERS = {
  message(app, frame, view) {
    app.store.messageArrived(frame, { reading: Boolean(view) });
    app.store.messagesOf(frame.channel)?.receive(frame); // shown once, however often a resume repeats it
  },
  ack: (app, frame) => app.store.messagesOf(frame.channel)?.confirm(frame),
  // Events sent before this (re)subscription took hold never reached us: read the wallets again.
  subscribed(app, frame) {
    if (app.walletsPanel?.channelId === frame.channel) guarded(() => app.walletsPanel.reload())();
  },
  message_edited: changeMessage,
  message_deleted: changeMessage,
  reactions: changeMessage,
  read_receipts: (app, frame) => app.store.noteReads(frame.channel, frame.reads),
  presence: (app, frame) => app.store.setOnline(frame.channel, frame.online),
  unsubscribed(app, frame) {
    if (frame.reason === "not_a_member") app.channelGone(frame.channel);
  },
  typing(app, frame, view) {
    if (frame.user.id !== app.me.id) view?.typing.show(frame.user);
  },
  error(app, frame, view) {
    if (!view) {
      if (frame.code !== "forbidden") toast(frame.detail || gettext("Something went wrong. Try again."));
      return;
    }
    // My message refused: marked on its card, and not sent again on the next connection.
    if (app.store.messagesOf(frame.channel)?.fail(frame.client_msg_id, frame.detail)) app.socket.unacked.delete(frame.client_msg_id);
  },
  poll: (app, frame) => app.store.messagesOf(frame.channel)?.pollChanged(frame.poll),
  channel_updated(app, frame, view) {
    if ("notice" in frame) app.store.updateChannel(frame.channel, { notice: frame.notice });
    view?.noticeBar.changed(frame.notice);
  },
  event: (app, frame, view) => app.onEvent(frame, view),
};
