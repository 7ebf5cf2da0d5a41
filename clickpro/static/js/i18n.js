// The page's translated strings and locale. The layout renders every JS string once,
// from gettext, into <script type="application/json" id="i18n"> (clickpro/js_catalog.py);
// the page's language is <html lang>. No user-facing text is written in JS itself.
const node = document.getElementById("i18n");
const CATALOG = node ? JSON.parse(node.textContent) : {};

/** The user's locale as a BCP 47 tag ("pt-BR", "en"), for Intl formatters. */
export const locale = document.documentElement.lang || "pt-BR";

/** The translated text for `key`; "%(name)s" placeholders are filled from `params`.
 *  An unknown key comes back as the key itself (visible, so it gets noticed). */
export function t(key, params) {
  const text = Object.prototype.hasOwnProperty.call(CATALOG, key) ? CATALOG[key] : key;
  if (!params) return text;
  return text.replace(/%\((\w+)\)s/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : match);
}

const numberFmt = new Intl.NumberFormat(locale);

/** A number written the user's way (1.234,5 in pt-BR, 1,234.5 in English). */
export function formatNumber(value) {
  return numberFmt.format(value);
}

/** The client's time zone (IANA name, from <meta name="client-timezone">), for Intl. */
export const zone = (function () {
  const meta = document.querySelector('meta[name="client-timezone"]');
  const wanted = (meta && meta.content) || "America/Sao_Paulo";
  try {
    new Intl.DateTimeFormat(locale, { timeZone: wanted });
    return wanted;
  } catch {
    return "America/Sao_Paulo";
  }
})();

function known(key) {
  return Object.prototype.hasOwnProperty.call(CATALOG, key);
}

/** A stored code ("RUNNING", "SENDING") as the user reads it; unknown codes stay visible. */
export function label(kind, code) {
  if (code === null || code === undefined || code === "") return "";
  const key = "label." + kind + "." + code;
  return known(key) ? CATALOG[key] : String(code);
}

/** Meta error `code` explained (what happened + what to do), Meta's own `detail` after it. */
export function metaError(code, detail) {
  const has = code !== null && code !== undefined && known("metaError." + code);
  if (!has) return detail ? String(detail) : "";
  const text = CATALOG["metaError." + code] + " " + CATALOG["metaStep." + code];
  return detail ? text + " " + t("inbox.metaDetail", { detail: detail }) : text;
}

/** An E.164 number as people read it: "+55 11 95555-0001", "+55 11 3333-4444"; other
 *  countries keep the E.164 text (the server formats those with libphonenumber). */
export function formatPhone(e164) {
  const text = String(e164 || "");
  const m = /^\+55(\d{2})(9?\d{4})(\d{4})$/.exec(text);
  return m ? "+55 " + m[1] + " " + m[2] + "-" + m[3] : text;
}
