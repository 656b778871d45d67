(function () {
  "use strict";
  var panel = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var checks = Array.prototype.slice.call(document.querySelectorAll("section.check"));
  var counter = document.getElementById("shown");
  var fields = ["severity", "status", "area", "subscription", "group"];
  var controls = {};
  fields.forEach(function (name) { controls[name] = document.getElementById("filter-" + name); });
  var text = document.getElementById("filter-text");
  var haystacks = null;  // built on the first text search, not at load

  function haystack(index) {
    if (haystacks === null) {
      haystacks = rows.map(function (row) {
        var section = row.closest("section.check");
        return (row.textContent + " " + (section ? section.id : "")).toLowerCase();
      });
    }
    return haystacks[index];
  }

  function matches(row, index, needle) {
    for (var i = 0; i < fields.length; i++) {
      var wanted = controls[fields[i]].value;
      if (wanted && row.getAttribute("data-" + fields[i]) !== wanted) { return false; }
    }
    return !needle || haystack(index).indexOf(needle) !== -1;
  }

  function apply() {
    var needle = text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row, index) {
      var ok = matches(row, index, needle);
      if (row.hidden === ok) { row.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    checks.forEach(function (section) {
      section.hidden = !section.querySelector("tr.finding:not([hidden])");
    });
    counter.textContent = shown + " of " + rows.length + " findings shown";
  }

  fields.forEach(function (name) { controls[name].addEventListener("change", apply); });
  text.addEventListener("input", apply);
  document.getElementById("filter-reset").addEventListener("click", function () {
    fields.forEach(function (name) { controls[name].value = ""; });
    text.value = "";
    apply();
  });
  panel.hidden = false;
  counter.textContent = rows.length + " of " + rows.length + " findings shown";
}());
