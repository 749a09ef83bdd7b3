// The approval queue and "My bookings": progressive enhancements (the pages work without them).
// - [data-select-all]: ticks (or unticks) every request of the queue in place; without this
//   script it is a link that reloads the queue with every row ticked.
// - [data-copy]: copies the readonly field it names to the clipboard; without this script the
//   button stays hidden and the field is selectable by hand.
(function () {
  "use strict";

  document.querySelectorAll("[data-select-all]").forEach(function (control) {
    var form = control.closest("form");
    if (!form) return;
    var boxes = function () { return form.querySelectorAll('input[type="checkbox"][name="bookings"]'); };
    var labelAll = control.textContent;
    var labelNone = control.getAttribute("data-label-none");
    var refresh = function () {
      var all = Array.prototype.every.call(boxes(), function (box) { return box.checked; });
      control.textContent = all ? labelNone : labelAll;
    };
    control.setAttribute("role", "button");
    control.addEventListener("click", function (event) {
      event.preventDefault();
      var all = Array.prototype.every.call(boxes(), function (box) { return box.checked; });
      boxes().forEach(function (box) { box.checked = !all; });
      refresh();
    });
    control.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); control.click(); }
    });
    form.addEventListener("change", refresh);
    refresh();
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) return;
    var status = button.closest(".field") && button.closest(".field").querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      navigator.clipboard.writeText(field.value).then(function () {
        if (status) status.textContent = button.getAttribute("data-copied");
      }, function () {
        if (status) status.textContent = "";
      });
    });
  });
})();
