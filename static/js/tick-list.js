// The tick list (activities/attendance.html): the search box hides the rows that do not match.
(function () {
  var box = document.getElementById("tick-search");
  if (!box) { return; }
  box.addEventListener("input", function () {
    var q = box.value.trim();
    document.querySelectorAll("#tick-list .tz-tick-row").forEach(function (row) {
      row.classList.toggle("d-none", !!q && row.dataset.name.indexOf(q) < 0);
    });
  });
})();
