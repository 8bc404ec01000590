// Progressive enhancement only: every page works without this file.
// A form marked data-once disables its buttons once sent, so a double click sends once
// (the server is idempotent anyway: claiming twice returns the same grant).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-once")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
// htmx requests carry the page's CSRF token (the session's, from the meta tag).
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
});
// An amount of integer fen as yuan, exactly as the server writes it (huiqi.money.format_yuan):
// grouped by thousands, always two decimals ("2,000.50", never "2,000.5"), computed in
// whole numbers so that no floating-point artefact can show.
window.huiqiYuan = function (fen) {
  var whole = Math.round(Number(fen));
  var sign = whole < 0 ? "-" : "";
  whole = Math.abs(whole);
  var cents = whole % 100;
  var yuan = String((whole - cents) / 100).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return sign + yuan + "." + (cents < 10 ? "0" : "") + cents;
};
// A refused htmx request (400, 409: an empty or wrong form) answers with the page and its
// message next to the field: show it, as a plain form post would. htmx drops 4xx answers
// by default, so the editor's "Save and check" did nothing at all. An answer without the
// part the request swaps in (the sign-in page after the session ended, a "not allowed"
// page) is never swapped in: that blanked the part, and the draft typed in it was lost.
// Its heading and first line are said above the form instead, linking to the page.
document.addEventListener("htmx:beforeSwap", function (event) {
  var xhr = event.detail.xhr;
  var source = event.detail.requestConfig && event.detail.requestConfig.elt;
  var owner = source && source.closest("[hx-select]");
  var wanted = owner && owner.getAttribute("hx-select");
  if (!wanted || xhr.status >= 500) return;
  var answer = new DOMParser().parseFromString(xhr.responseText, "text/html");
  if (answer.querySelector(wanted)) {
    if (xhr.status >= 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    return;
  }
  event.detail.shouldSwap = false;
  var said = document.createElement("p");
  said.className = "error";
  said.setAttribute("role", "alert");
  said.setAttribute("data-unswapped", "");
  var link = document.createElement("a");
  link.href = xhr.responseURL || window.location.href;
  link.target = "_blank";
  var heading = answer.querySelector("main h1");
  var first = answer.querySelector("main h1 + p, main p");
  link.textContent = [heading, first].filter(Boolean).map(function (e) {
    return e.textContent.trim();
  }).join(": ") || answer.title;
  said.appendChild(link);
  var old = owner.querySelector("[data-unswapped]");
  if (old) old.remove();
  owner.insertBefore(said, owner.firstChild);
});
// After a swap that removed the focused element (the inbox's "mark as read" button goes
// with the message it marked), the focus fell to the page's top: a keyboard or screen
// reader user lost their place. It goes to the part swapped in instead (its field marked
// invalid, if any), so that the next Tab continues from there.
document.addEventListener("htmx:afterSettle", function (event) {
  var active = document.activeElement;
  if (active && active !== document.body && document.contains(active)) return;
  var source = event.detail.requestConfig && event.detail.requestConfig.elt;
  var owner = source && source.closest("[hx-select]");
  var wanted = owner && owner.getAttribute("hx-select");
  var swapped = wanted && document.querySelector(wanted);
  if (!swapped) return;
  var invalid = swapped.querySelector("[aria-invalid=true]");
  if (invalid) { focusField(invalid); return; }
  if (!swapped.hasAttribute("tabindex")) swapped.setAttribute("tabindex", "-1");
  swapped.focus();
});
// A form refused by the server comes back with its fields kept and the wrong ones marked
// aria-invalid; the focus was at the page's top, far from the message (qa9). It goes to
// the first field marked, so that the message beside it is read and the field fixed.
document.addEventListener("DOMContentLoaded", function () {
  if (document.activeElement && document.activeElement !== document.body) return;
  var invalid = document.querySelector("main [aria-invalid=true]");
  if (invalid) focusField(invalid);
});
// A field marked invalid, or the first field of a group marked so (the stars' fieldset).
function focusField(marked) {
  var field = marked.matches("input, select, textarea, button")
    ? marked : marked.querySelector("input, select, textarea, button");
  (field || marked).focus();
}
