// A print button without an inline handler (the pages keep to a strict Content-Security-Policy).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-tz-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
