// The main menu is a <details> disclosure, open in the HTML so that it works without JavaScript;
// on a narrow screen it starts closed, behind its "Menu" button (templates/base.html).
(function () {
  "use strict";
  var narrow = window.matchMedia("(max-width: 47.99rem)");
  var menus = document.querySelectorAll("details.nav-menu");
  function apply() {
    menus.forEach(function (menu) { menu.open = !narrow.matches; });
  }
  apply();
  narrow.addEventListener("change", apply);
})();
