// The page's language and the user's time zone, and the catalog of this script's strings: Django's
// JavaScriptCatalog (/jsi18n/, loaded by the page before the modules) in the page's language.
// Strings are written as gettext("...") / ngettext("...", "...", n) so makemessages finds them.

const catalog = globalThis.django;
const me = JSON.parse(document.getElementById("me")?.textContent || "{}");

export const language = document.documentElement.lang || "en";
export const korean = language.startsWith("ko");
const locale = korean ? "ko-KR" : "en-US";
// Blank: the device's own time zone.
const timeZone = me.time_zone || undefined;

export const gettext = (text) => catalog.gettext(text);
export const ngettext = (one, many, count) => catalog.ngettext(one, many, count);
export const pgettext = (context, text) => catalog.pgettext(context, text);
// interpolate(gettext("Sent %(amount)s."), { amount }): named placeholders, as in the server's strings.
export const interpolate = (format, values) => catalog.interpolate(format, values, true);

// Won as Koreans write it: 12,000원 in Korean, ₩12,000 in English.
export function money(amount, currency = "KRW") {
  if (currency === "KRW" && korean) return `${new Intl.NumberFormat(locale).format(amount)}원`;
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(amount);
}

// Times in the user's time zone; 24-hour in Korean.
const clock = korean ? { hourCycle: "h23" } : {};

export function time(iso) {
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone, ...clock }).format(new Date(iso));
}

export function dateTime(iso) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone, ...clock }).format(new Date(iso));
}

// The calendar day of a moment in the user's time zone ("2026-12-02"), for telling days apart.
const dayParts = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone });
export const dayKey = (iso) => dayParts.format(new Date(iso));

// A day as a heading between a chat's days: "Wednesday, December 2, 2026" / "2026년 12월 2일 수요일".
export function dayHeading(iso) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeZone }).format(new Date(iso));
}

// When a message was sent, as a list shows it: today its time ("14:05"), earlier its date ("12월 5일").
export function when(iso) {
  if (dayKey(iso) === dayKey(new Date().toISOString())) return time(iso);
  const sameYear = dayKey(iso).slice(0, 4) === dayKey(new Date().toISOString()).slice(0, 4);
  return new Intl.DateTimeFormat(locale, { month: "short", day: "numeric", year: sameYear ? undefined : "numeric", timeZone }).format(new Date(iso));
}

export function date(isoDate) {
  // A calendar date (no time of day): shown as it is written, whatever the time zone.
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`));
}

// Every time zone the browser knows, for the settings control: {common, rest}.
export function timeZones() {
  // The browser's list leaves UTC out; people set their clocks to it too. The ones a Korean club and
  // its members abroad use come first, then every other in order.
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["Asia/Seoul"];
  return { common: COMMON_ZONES, rest: known.filter((zone) => !COMMON_ZONES.includes(zone)) };
}

const COMMON_ZONES = ["Asia/Seoul", "UTC", "Asia/Tokyo", "Asia/Shanghai", "America/Los_Angeles", "America/New_York", "Europe/London", "Australia/Sydney"];
