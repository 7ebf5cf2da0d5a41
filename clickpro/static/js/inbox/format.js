// Dates in the user's locale (<html lang>) and the client's timezone.
import { locale, t } from "../i18n.js";
import { TZ } from "./state.js";

const timeFmt = new Intl.DateTimeFormat(locale, { timeZone: TZ, hour: "2-digit", minute: "2-digit" });
const dayFmt = new Intl.DateTimeFormat(locale, { timeZone: TZ, day: "2-digit", month: "2-digit", year: "numeric" });

export const fmtTime = (iso) => (iso ? timeFmt.format(new Date(iso)) : "");
export const fmtDay = (iso) => (iso ? dayFmt.format(new Date(iso)) : "");

/** "Today", "Yesterday" or the date: the separator between days in a thread. */
export function dayLabel(iso) {
  const day = fmtDay(iso);
  if (day === fmtDay(new Date().toISOString())) return t("inbox.today");
  if (day === fmtDay(new Date(Date.now() - 864e5).toISOString())) return t("inbox.yesterday");
  return day;
}

/** The time for today's conversations, the date for older ones. */
export function listTime(iso) {
  if (!iso) return "";
  return fmtDay(iso) === fmtDay(new Date().toISOString()) ? fmtTime(iso) : fmtDay(iso);
}
