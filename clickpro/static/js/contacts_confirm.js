// Kept for pages that still load it: the confirmation lives in confirm.js (every page).
import "./confirm.js";
