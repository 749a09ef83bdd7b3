// A filter box above each long list of structures (select[data-filter-label]): typing narrows
// the options to those whose name contains the text (accents and case ignored). Without
// JavaScript the list works as a plain select; the count of matches is announced politely.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.querySelectorAll("select[data-filter-label]").forEach(function (select) {
    var id = select.id + "_filter";
    var wrapper = document.createElement("div");
    wrapper.className = "field";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = select.dataset.filterLabel;
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.setAttribute("aria-controls", select.id);
    input.autocomplete = "off";
    var status = document.createElement("p");
    status.className = "help";
    status.setAttribute("role", "status");
    wrapper.append(label, input, status);
    select.parentNode.insertBefore(wrapper, select);
    var options = Array.prototype.slice.call(select.options);
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      var shown = 0;
      options.forEach(function (option) {
        var match = !wanted || option.value === "" || fold(option.text).indexOf(wanted) !== -1;
        option.hidden = !match;
        option.disabled = !match && !option.selected;
        if (match && option.value !== "") { shown += 1; }
      });
      status.textContent = wanted ? shown + " / " + (options.length) : "";
    });
  });
})();
