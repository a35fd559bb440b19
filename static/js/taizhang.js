// Taizhang's own scripts. Everything is here (no inline scripts: the pages run under a strict CSP).
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
    document.querySelectorAll("[data-tz-print]").forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
    // A select that submits its form when changed (a <noscript> button covers browsers without scripts).
    document.querySelectorAll("[data-tz-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form && el.form.submit(); });
    });
    // A form that asks before it is sent: data-tz-confirm holds the (translated) question.
    document.querySelectorAll("form[data-tz-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.tzConfirm)) { event.preventDefault(); }
      });
    });
    document.querySelectorAll("[data-tz-select-on-click]").forEach(function (el) {
      el.addEventListener("click", function () { el.select(); });
    });
    // Copy a value (data-copy) to the clipboard and say so (data-done); data-tz-copy names the field to select.
    document.querySelectorAll("[data-tz-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var field = document.querySelector(button.dataset.tzCopy);
        if (field) { field.select(); }
        if (navigator.clipboard) {
          navigator.clipboard.writeText(button.dataset.copy).then(function () {
            var label = button.querySelector("span");
            if (label) { label.textContent = button.dataset.done; }
          });
        }
      });
    });
  });
})();
