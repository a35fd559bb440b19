// The member form (members/member_form.html): suggest the branch from the district (the user can still
// choose another).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("member-form");
  var district = document.getElementById("id_district"), branch = document.getElementById("id_branch");
  if (!form || !district || !branch || branch.disabled) return;
  var map = JSON.parse(form.dataset.districtBranches || "{}");
  district.addEventListener("change", function () {
    var b = map[district.value];
    if (b) { branch.value = String(b); }
  });
});
