// Load before static/vendor/fullcalendar/index.global.min.js.
//
// FullCalendar 6 injects its CSS at load time into a <style data-fullcalendar> element through
// `element.sheet.insertRule`. Our Content-Security-Policy (style-src 'self') blocks inline
// <style> elements, so that element gets no sheet and FullCalendar stops with "sheet is null"
// (fullcalendar/fullcalendar#7353). FullCalendar has no option to turn the injection off, but it
// reuses an existing `style[data-fullcalendar]` element: this gives it an inert one, outside the
// HTML namespace (so the browser never treats it as a style element), whose sheet is a detached
// stylesheet. The real CSS comes from static/vendor/fullcalendar/fullcalendar.css, extracted
// from the same bundle by `make vendor`.
(function () {
  "use strict";
  var sink = document.createElementNS("urn:x-locaux-communs:fullcalendar", "style");
  var sheet;
  try {
    sheet = new CSSStyleSheet();
  } catch (error) {
    // Browsers without constructable stylesheets: a stand-in with the two members it uses.
    sheet = { cssRules: [], insertRule: function () { return 0; } };
  }
  sink.setAttribute("data-fullcalendar", "");
  Object.defineProperty(sink, "sheet", { value: sheet });
  document.head.appendChild(sink);
})();
