// Taizhang's own behaviour for every page. The Content-Security-Policy allows scripts from our static files
// only: no inline <script>, no onclick= / onsubmit= / onchange= attributes. Templates ask for behaviour with
// data attributes instead, handled here by listeners on the document (so they also work in fragments that
// htmx swaps in later):
//   data-tz-print                 a button that prints the page
//   data-tz-select                a read-only input that selects its text when clicked
//   data-tz-copy="ID"             a button that copies its data-copy text (and selects input #ID); data-done
//                                 is the label it shows afterwards
//   data-tz-confirm="question"    a form that asks before it is submitted
//   data-tz-autosubmit            a select (or other field) that submits its form when changed

// CSRF for htmx requests: the token comes from <meta name="csrf-token"> in base.html.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});

document.addEventListener("click", function (event) {
  var target = event.target;
  if (!(target instanceof Element)) { return; }
  if (target.closest("[data-tz-print]")) { window.print(); return; }
  var copy = target.closest("[data-tz-copy]");
  if (copy) {
    if (navigator.clipboard) {
      navigator.clipboard.writeText(copy.dataset.copy).then(function () {
        var label = copy.querySelector("span");
        if (label && copy.dataset.done) { label.textContent = copy.dataset.done; }
      });
    }
    var field = document.getElementById(copy.dataset.tzCopy);
    if (field) { field.select(); }
    return;
  }
  var select = target.closest("[data-tz-select]");
  if (select && typeof select.select === "function") { select.select(); }
});

// Capture phase: the question comes before anything else handles the submit.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.tzConfirm !== undefined && !window.confirm(form.dataset.tzConfirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof Element && field.matches("[data-tz-autosubmit]") && field.form) {
    if (typeof field.form.requestSubmit === "function") { field.form.requestSubmit(); } else { field.form.submit(); }
  }
});

// Elderly mode (large text, high contrast) is saved on the user by a plain form in the navigation bar.

(function () {
  // Registration form: suggest the branch from the district (the user can still choose another). A district
  // of a branch this user may not register in is said so next to the district, and the branch is left alone.
  function districtBranch(form) {
    var district = form.querySelector("#id_district"), branch = form.querySelector("#id_branch");
    if (!district || !branch || branch.disabled) return;
    var map = JSON.parse(form.dataset.districtBranches || "{}");
    var foreign = JSON.parse(form.dataset.foreignDistricts || "{}");
    var note = document.createElement("div");
    note.className = "form-text text-danger";
    note.setAttribute("role", "status");
    district.insertAdjacentElement("afterend", note);
    district.addEventListener("change", function () {
      var b = map[district.value];
      note.textContent = foreign[district.value] || "";
      if (b && branch.querySelector('option[value="' + b + '"]')) { branch.value = String(b); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-district-branches]").forEach(districtBranch);
  });
})();
