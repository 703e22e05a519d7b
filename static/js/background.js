// Tells the user when the server's background work (saving messages, scheduled transfers) has
// stopped, from /readyz's background check. Asked only while the page is visible: thousands of
// open tabs in the background would otherwise ask for nothing. While the warning shows, asked
// again sooner, so it goes soon after a worker is back (or has just started).
const banner = document.getElementById("background-status");
const WARNING_CHECK_SECONDS = 10;

async function check() {
  if (document.hidden) return;
  try {
    const response = await fetch("/readyz", { cache: "no-store" });
    const { checks } = await response.json();
    banner.hidden = checks.background !== false;
  } catch {
    // The server is out of reach: the connection status in the top bar says so already.
  }
}

async function keepChecking() {
  await check();
  const every = Number(banner.dataset.checkSeconds);
  setTimeout(keepChecking, (banner.hidden ? every : Math.min(every, WARNING_CHECK_SECONDS)) * 1000);
}

if (banner) {
  keepChecking();
  document.addEventListener("visibilitychange", check);
}
