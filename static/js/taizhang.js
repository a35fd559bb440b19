// Large-text toggle for elderly members; remembered on this device.
(function () {
  var KEY = "tz-large-text";
  function apply(on) {
    document.body.classList.toggle("tz-large", on);
    document.querySelectorAll("[data-tz-large-text]").forEach(function (b) { b.setAttribute("aria-pressed", on ? "true" : "false"); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    apply(localStorage.getItem(KEY) === "1");
    document.querySelectorAll("[data-tz-large-text]").forEach(function (b) {
      b.addEventListener("click", function () {
        var on = !document.body.classList.contains("tz-large");
        localStorage.setItem(KEY, on ? "1" : "0");
        apply(on);
      });
    });
  });
})();
