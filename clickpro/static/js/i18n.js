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
