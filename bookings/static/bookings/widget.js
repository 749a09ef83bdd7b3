/* Inside the availability widget's frame: tell the embedding page how tall the content is, so
   that its copy of widget-embed.js sizes the frame without a scroll bar. Only a height leaves
   the frame, so any parent may read it ("*"). */
(function () {
  "use strict";
  if (window.parent === window) return;
  var main = document.querySelector("main");
  var sent = 0;
  function send() {
    var height = Math.ceil(main.getBoundingClientRect().bottom + window.scrollY);
    if (height === sent) return;
    sent = height;
    window.parent.postMessage({ type: "locaux-communs:widget-height", height: height }, "*");
  }
  if ("ResizeObserver" in window) new ResizeObserver(send).observe(main);
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  send();
})();
