// The inbox JSON error body and the composer's error line.
import { t } from "../i18n.js";
import { $ } from "./dom.js";

/** An Error for a failed answer ({"error": {code, message, details}}, as /api/v1):
 *  the message, plus status, the stable code and the details (e.g. details.message: the
 *  stored FAILED message of a refused send). */
export function responseError(res, data) {
  const body = (data && data.error) || {};
  return Object.assign(new Error(body.message || t("inbox.error")), {
    status: res.status, code: body.code || "", details: body.details || {}, data: data,
  });
}

/** Show (or clear, with null) the error under the composer. */
export function showError(err) {
  $("composer-error").textContent = err ? err.message || String(err) : "";
}
