// The page's shared state in one place: my channels (unread counts, newest message, mentions of me not
// yet seen), who has read what and who is online, the open channel's messages, and the wallets and dues
// that more than one view shows (a channel's panel, a wallet's page, the dues cards). Views draw from it
// and subscribe to the part they draw; every change goes through a method here (or of the messages
// part), which tells that part's subscribers.
//
// Parts: "channels" (the list of channels and its marks), "reads" and "presence" (per channel),
// "messages" (the open channel's, channel_messages.js: its listeners also get what changed), "wallets"
// (their listeners get {ids}: the wallets read again) and "dues" (theirs get the dues id).

import { ChannelMessages } from "./channel_messages.js";

export class Store {
  constructor(me) {
    this.me = me;
    this.channels = new Map(); // id -> channel from /api/channels/mine, with last_seq, unread_count, last_message
    this.readMarkers = new Map(); // channel id -> Map(user id -> seq read), from read_receipts
    this.online = new Map(); // channel id -> Set of member ids online, from presence
    this.mentions = new Map(); // channel id -> mentions of me not yet seen
    this.messages = null; // the open channel's messages (ChannelMessages), while it is open
    this.wallets = new Map(); // wallet id -> wallet, as last read (wallet_feed.js reads them)
    this.channelWallets = new Map(); // channel id -> ids of its group wallets, in the server's order
    this.dues = new Map(); // dues id -> dues, as last read
    this.listeners = new Map(); // part -> Set of listener(channelId, change)
  }

  // listener(channelId, change) runs after each change of `part`; the function returned unsubscribes it.
  subscribe(part, listener) {
    const listeners = this.listeners.get(part) ?? new Set();
    listeners.add(listener);
    this.listeners.set(part, listeners);
    return () => listeners.delete(listener);
  }

  changed(part, channelId = null, change = null) {
    for (const listener of this.listeners.get(part) ?? []) listener(channelId, change);
  }

  // --- channels -------------------------------------------------------------------------------

  addChannels(channels) {
    for (const channel of channels) this.channels.set(channel.id, channel);
    this.changed("channels");
  }

  // A channel's own fields changed (renamed, made private, handed over, a new notice).
  updateChannel(channelId, fields) {
    const channel = this.channels.get(channelId);
    if (!channel) return null;
    Object.assign(channel, fields);
    this.changed("channels", channelId);
    return channel;
  }

  removeChannel(channelId) {
    const removed = this.channels.delete(channelId);
    this.mentions.delete(channelId);
    if (removed) this.changed("channels", channelId);
    return removed;
  }

  // Opening a channel reads it: no unread count or mention mark on it any more.
  openedChannel(channelId) {
    const channel = this.channels.get(channelId);
    channel.unread_count = 0;
    this.mentions.delete(channelId);
    this.changed("channels", channelId);
    return channel;
  }

  // A message from the socket; true when it is new here (a resume may repeat what was counted).
  // reading: the channel is open, so the message is not counted as unread.
  messageArrived(message, { reading }) {
    const channel = this.channels.get(message.channel);
    if (!channel || message.seq <= channel.last_seq) return false;
    channel.last_seq = message.seq;
    channel.last_message = message;
    if (!reading && message.sender.id !== this.me.id) channel.unread_count += 1;
    this.changed("channels", channel.id);
    return true;
  }

  // An edit or a deletion of the channel's newest message shows in the list's preview.
  messageChanged(change) {
    const channel = this.channels.get(change.channel);
    if (change.type === "reactions" || channel?.last_message?.id !== change.id) return;
    channel.last_message = { ...channel.last_message, ...change, deleted: change.type === "message_deleted" };
    this.changed("channels", channel.id);
  }

  mentioned(channelId) {
    this.mentions.set(channelId, (this.mentions.get(channelId) ?? 0) + 1);
    this.changed("channels", channelId);
  }

  mentionsSeen(channelId) {
    if (this.mentions.delete(channelId)) this.changed("channels", channelId);
  }

  // --- the open channel's messages -----------------------------------------------------------

  // Only one channel is open at a time: opening it starts its messages afresh.
  openMessages(channelId) {
    const messages = new ChannelMessages(channelId, this.me.id, (change) => this.changed("messages", channelId, change));
    this.messages = messages;
    return messages;
  }

  // A view that closes drops its messages, unless another view has opened them since.
  closeMessages(messages) {
    if (this.messages === messages) this.messages = null;
  }

  // The messages of this channel if it is the open one (a frame of another channel changes no card).
  messagesOf(channelId) {
    return this.messages?.channelId === channelId ? this.messages : null;
  }

  // --- reads and presence -----------------------------------------------------------------

  noteReads(channelId, reads) {
    const markers = this.readMarkers.get(channelId) ?? new Map();
    for (const { user, seq } of reads) markers.set(user, Math.max(seq, markers.get(user) ?? 0)); // never back
    this.readMarkers.set(channelId, markers);
    this.changed("reads", channelId);
  }

  setOnline(channelId, userIds) {
    this.online.set(channelId, new Set(userIds));
    this.changed("presence", channelId);
  }

  // A newcomer has read nothing (the server's marker starts at 0); whether they are online, the
  // presence frame that follows a join says.
  memberJoined(channelId, userId) {
    const markers = this.readMarkers.get(channelId);
    if (markers && !markers.has(userId)) markers.set(userId, 0);
  }

  memberLeft(channelId, userId) {
    this.readMarkers.get(channelId)?.delete(userId);
    this.online.get(channelId)?.delete(userId);
  }

  // --- wallets and dues ---------------------------------------------------------------------

  // Wallets read again (one, or a channel's group wallets: channelId says which channel's list they are).
  walletsLoaded(wallets, { channelId = null } = {}) {
    for (const wallet of wallets) this.wallets.set(wallet.id, wallet);
    if (channelId !== null) this.channelWallets.set(channelId, wallets.map((wallet) => wallet.id));
    this.changed("wallets", channelId, { ids: new Set(wallets.map((wallet) => wallet.id)) });
  }

  duesLoaded(dues) {
    this.dues.set(dues.id, dues);
    this.changed("dues", null, dues.id);
  }
}
