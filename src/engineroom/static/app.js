// engineroom review app: the only script (served as a static file; the CSP forbids inline script).
document.addEventListener("DOMContentLoaded", function () {
  var filters = document.getElementById("filters");
  if (filters) {
    var selects = filters.querySelectorAll("select");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function () { filters.submit(); });
    }
  }
  var escalates = document.querySelectorAll("form.review button.escalate");
  for (var j = 0; j < escalates.length; j++) {
    escalates[j].title = "Send to a senior reviewer";
  }
});
