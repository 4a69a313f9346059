// engineroom review app: the only script (served as a static file; the CSP forbids inline script).
// Filters submit on change; "tick all"; blurred slurs show on click; keyboard shortcuts on the
// queue: j / k move, x ticks, c / r / e confirm / reject / escalate the row (or the ticked rows),
// u undoes the last action, / jumps to the filters.
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
  var all = document.getElementById("tick-all");
  if (all) {
    all.addEventListener("change", function () {
      var ticks = document.querySelectorAll("input.tick");
      for (var k = 0; k < ticks.length; k++) { ticks[k].checked = all.checked; }
    });
  }
  var slurs = document.querySelectorAll("mark.slur.blurred");
  for (var s = 0; s < slurs.length; s++) {
    slurs[s].title = "click to show";
    slurs[s].addEventListener("click", function () { this.classList.remove("blurred"); });
  }

  var rows = document.querySelectorAll("table.queue tbody tr");
  if (!rows.length || !rows[0].querySelector("input.tick")) { return; }
  var at = -1;
  function move(to) {
    if (at >= 0) { rows[at].classList.remove("cursor"); }
    at = Math.max(0, Math.min(rows.length - 1, to));
    rows[at].classList.add("cursor");
    rows[at].scrollIntoView({block: "nearest"});
  }
  function decide(kind) {
    var ticked = document.querySelectorAll("input.tick:checked");
    if (ticked.length) {
      document.getElementById("bulk-" + kind).click();
    } else if (at >= 0) {
      var b = rows[at].querySelector("form.review button." + kind);
      if (b) { b.click(); }
    }
  }
  document.addEventListener("keydown", function (ev) {
    var t = ev.target.tagName;
    if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT" || ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var key = ev.key;
    if (key === "j") { move(at + 1); }
    else if (key === "k") { move(at - 1); }
    else if (key === "x" && at >= 0) { var c = rows[at].querySelector("input.tick"); c.checked = !c.checked; }
    else if (key === "c") { decide("confirm"); }
    else if (key === "r") { decide("reject"); }
    else if (key === "e") { decide("escalate"); }
    else if (key === "u") { var u = document.getElementById("undo"); if (u) { u.click(); } }
    else if (key === "/" && filters) { var f = filters.querySelector("select"); if (f) { f.focus(); } }
    else { return; }
    ev.preventDefault();
  });
});
