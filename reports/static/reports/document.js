// The page of a document being prepared: asks for the page again every few seconds and, once
// the document is ready (or failed), puts the new status into the live region, which screen
// readers read out. Without JavaScript, the "Check again" link does the same by hand.
(function () {
  "use strict";
  const region = document.getElementById("document-status");
  if (!region || region.dataset.status !== "pending") {
    return;
  }
  const url = window.location.pathname;
  let tries = 0;

  function schedule() {
    tries += 1;
    if (tries <= 200) {
      // Every 2 s at first, then slower, up to every 10 s: a long render costs few requests.
      window.setTimeout(check, Math.min(2000 + tries * 500, 10000));
    }
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        const page = new DOMParser().parseFromString(html, "text/html");
        const fresh = page.getElementById("document-status");
        if (!fresh || fresh.dataset.status === "pending") {
          schedule();
          return;
        }
        // The region stays in place and only its content changes: that is what is read out.
        region.innerHTML = fresh.innerHTML;
        region.dataset.status = fresh.dataset.status;
        const again = page.getElementById("document-again");
        if (again) {
          region.after(document.importNode(again, true));
        }
      })
      .catch(schedule);
  }

  schedule();
})();
