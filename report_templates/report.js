(function () {
  "use strict";
  var panel = document.getElementById("filters");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  var checks = Array.prototype.slice.call(document.querySelectorAll("section.check"));
  var areas = Array.prototype.slice.call(document.querySelectorAll("h3.area"));
  var counter = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");
  var showAll = document.getElementById("show-all");
  var fields = ["status", "sub", "group"];
  var controls = {
    status: document.getElementById("filter-status"),
    sub: document.getElementById("filter-subscription"),
    group: document.getElementById("filter-group")
  };
  var areaControl = document.getElementById("filter-area");
  var severityControl = document.getElementById("filter-severity");
  var text = document.getElementById("filter-text");
  var actionable = { fail: true, error: true, not_assessed: true };
  var haystacks = null;  // built on the first text search, not at load
  var rowSection = null;

  function haystack(index) {
    if (haystacks === null) {
      haystacks = rows.map(function (row) {
        var section = row.closest("section.check");
        return (row.textContent + " " + (section ? section.id : "")).toLowerCase();
      });
    }
    return haystacks[index];
  }

  function section(index) {
    if (rowSection === null) {
      rowSection = rows.map(function (row) { return row.closest("section.check"); });
    }
    return rowSection[index];
  }

  function matches(row, index, needle, everything) {
    var status = row.getAttribute("data-status") || "fail";  // failures, the most rows, carry no attribute
    if (!everything && !actionable[status]) { return false; }
    for (var i = 0; i < fields.length; i++) {
      var wanted = controls[fields[i]].value;
      var got = fields[i] === "status" ? status : row.getAttribute("data-" + fields[i]);
      // Rows carry no subscription when the report has only one: every row is in it.
      if (wanted && got !== wanted && !(got === null && fields[i] === "sub")) { return false; }
    }
    if (areaControl.value && section(index).getAttribute("data-area") !== areaControl.value) { return false; }
    if (severityControl.value && section(index).getAttribute("data-severity") !== severityControl.value) {
      return false;
    }
    return !needle || haystack(index).indexOf(needle) !== -1;
  }

  function apply() {
    var needle = text.value.trim().toLowerCase();
    var status = controls.status.value;
    if (status && !actionable[status]) { showAll.checked = true; }
    var everything = showAll.checked;
    var shown = 0;
    rows.forEach(function (row, index) {
      var ok = matches(row, index, needle, everything);
      if (row.hidden === ok) { row.hidden = !ok; }
      if (ok) { shown += 1; }
    });
    var areaShown = {};
    checks.forEach(function (section) {
      var visible = section.querySelector("tr.finding:not([hidden])") !== null;
      section.hidden = !visible;
      if (visible) {
        section.classList.remove("ok");
        areaShown[section.getAttribute("data-area")] = true;
      }
    });
    areas.forEach(function (heading) {
      heading.hidden = !areaShown[heading.getAttribute("data-area")];
      if (!heading.hidden) { heading.classList.remove("ok"); }
    });
    noMatch.hidden = shown !== 0;
    counter.textContent = shown + " of " + rows.length + " findings shown" +
      (everything ? "" : " (failing, errored and not assessed; the toggle shows the rest)");
  }

  Object.keys(controls).forEach(function (name) { controls[name].addEventListener("change", apply); });
  areaControl.addEventListener("change", apply);
  severityControl.addEventListener("change", apply);
  showAll.addEventListener("change", apply);
  text.addEventListener("input", apply);
  document.getElementById("filter-reset").addEventListener("click", function () {
    Object.keys(controls).forEach(function (name) { controls[name].value = ""; });
    areaControl.value = "";
    severityControl.value = "";
    text.value = "";
    showAll.checked = false;
    apply();
  });
  // A printed report is filed, not clicked: open how to fix each failing check shown, then restore.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    checks.forEach(function (section) {
      if (section.hidden || section.offsetParent === null) { return; }
      Array.prototype.forEach.call(section.querySelectorAll("details.doc, details.fix"), function (details) {
        if (!details.open) { details.open = true; openedForPrint.push(details); }
      });
    });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (details) { details.open = false; });
    openedForPrint = [];
  });
  panel.hidden = false;
}());
