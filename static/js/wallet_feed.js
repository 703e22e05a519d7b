// Wallets and dues read from the API into the store, once per change: every view that shows one (a
// channel's panel, a wallet's page, the dues cards in the chat and on the wallet's page) draws it
// from the store and hears of it there.

import { get } from "./api.js";

export async function loadWallet(store, walletId) {
  const wallet = await get(`/api/wallets/${walletId}`);
  store.walletsLoaded([wallet]);
  return wallet;
}

// A channel's group wallets (its members may see them all, also those they have not joined).
export async function loadChannelWallets(store, channelId) {
  store.walletsLoaded(await get(`/api/channels/${channelId}/group-wallets`), { channelId });
}

export async function loadDues(store, duesId) {
  const dues = await get(`/api/dues/${duesId}`);
  store.duesLoaded(dues);
  return dues;
}
