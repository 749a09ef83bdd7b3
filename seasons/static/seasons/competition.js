// The wish form's live competition counts: when a choice changes, ask the server how many other
// wishes target the same place at an overlapping time, and write the count under the choice
// (a polite live region). Without this script the form works the same; the counts then appear
// on the list of wishes after sending.
(function () {
  "use strict";
  const form = document.getElementById("wish-form");
  if (!form || !window.fetch) return;
  const url = form.dataset.competitionUrl;
  let timer = null;

  function refresh() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (name.startsWith("option-")) params.append(name, value);
    }
    fetch(url + "?" + params.toString(), { credentials: "same-origin" })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (html === null) return;
        const answer = new DOMParser().parseFromString(html, "text/html");
        for (const count of answer.querySelectorAll("[data-competition]")) {
          const target = form.querySelector(
            'p[data-competition="' + count.dataset.competition + '"]'
          );
          if (target && target.textContent !== count.textContent) {
            target.textContent = count.textContent;
          }
        }
      })
      .catch(() => {});
  }

  form.addEventListener("change", (event) => {
    if (!event.target.name || !event.target.name.startsWith("option-")) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  refresh();
})();
