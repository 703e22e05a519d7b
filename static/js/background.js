// Tells the user when the server's background work (saving messages, scheduled transfers) has
// stopped, from /readyz's background check. Asked only while the page is visible: thousands of
// open tabs in the background would otherwise ask for nothing.
const banner = document.getElementById("background-status");

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

if (banner) {
  check();
  setInterval(check, Number(banner.dataset.checkSeconds) * 1000);
  document.addEventListener("visibilitychange", check);
}
