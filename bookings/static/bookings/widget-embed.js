/* On the website that shows the availability widget: give each widget frame the height its
   content asks for. Listens only to the platform that served this script, and only to the
   frames marked data-locaux-communs-widget; the height is bounded. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var platform = new URL(script.src, document.baseURI).origin;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.origin !== platform || !data || data.type !== "locaux-communs:widget-height") return;
    var height = Number(data.height);
    if (!isFinite(height)) return;
    var frames = document.querySelectorAll("iframe[data-locaux-communs-widget]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.min(Math.max(Math.round(height), 200), 5000) + "px";
      }
    }
  });
})();
