// Progressive enhancement for the survey page: it works without this script, which only hides
// follow-up questions until they apply (the server ignores answers to questions that don't).
(function () {
  "use strict";
  var form = document.querySelector(".survey-form");
  if (!form) return;

  function currentValues(name) {
    return Array.prototype.map.call(
      form.querySelectorAll('[name="' + name + '"]:checked, textarea[name="' + name + '"]'),
      function (input) { return input.value; }
    ).filter(function (value) { return value !== ""; });
  }

  function conditionMet(fieldset) {
    var values = currentValues(fieldset.dataset.showIfField);
    if (!values.length) return false;
    var operator = fieldset.dataset.showIfOperator;
    var expected = fieldset.dataset.showIfValue;
    var first = values[0];
    var number = Number(first), target = Number(expected);
    switch (operator) {
      case "lte": return number <= target;
      case "gte": return number >= target;
      case "eq": return first === expected;
      case "ne": return first !== expected;
      case "includes": return values.indexOf(expected) !== -1;
      default: return true;
    }
  }

  var conditional = form.querySelectorAll("[data-show-if-field]");
  function refresh() {
    Array.prototype.forEach.call(conditional, function (fieldset) {
      var show = conditionMet(fieldset) || fieldset.classList.contains("has-error");
      fieldset.hidden = !show;
      Array.prototype.forEach.call(fieldset.querySelectorAll("input, textarea, select"), function (input) {
        input.disabled = !show;
      });
    });
  }
  form.addEventListener("change", refresh);
  refresh();

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
