// The activity form (activities/activity_form.html): show the audience fields of the chosen kind and filter
// the list of members that can be picked.
(function () {
  var form = document.getElementById("activity-form");
  if (!form) { return; }
  function sync() {
    var kind = (form.querySelector("input[name=audience_kind]:checked") || {}).value;
    form.querySelectorAll("[data-audience]").forEach(function (el) { el.hidden = el.dataset.audience !== kind; });
  }
  form.querySelectorAll("input[name=audience_kind]").forEach(function (r) { r.addEventListener("change", sync); });
  var box = form.querySelector("[data-filter-picked]");
  if (box) box.addEventListener("input", function () {
    var q = box.value.trim();
    form.querySelectorAll("[data-name]").forEach(function (el) { el.hidden = q && el.dataset.name.indexOf(q) < 0; });
  });
  sync();
})();
