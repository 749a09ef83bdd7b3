// Calendar of a space or of a site (templates/bookings/calendar_*.html).
// Events come from the JSON feed named in data-events-url; the table of the next 14 days below
// the calendar carries the same information without JavaScript.
(function () {
  "use strict";

  function start() {
    var container = document.getElementById("calendar");
    if (!container || typeof FullCalendar === "undefined") {
      return;
    }
    var data = container.dataset;
    var status = document.getElementById("calendar-status");
    var hourMinute = { hour: "2-digit", minute: "2-digit", hour12: false };
    var calendar = new FullCalendar.Calendar(container, {
      locale: data.locale,
      // Times are the building's wall-clock times, wherever the browser is. Without a time-zone
      // plugin FullCalendar shows the wall-clock part of each ISO time and sends start/end
      // without an offset, which the feed reads as Europe/Paris.
      timeZone: data.timeZone,
      firstDay: 1,
      initialView: "timeGridWeek",
      initialDate: data.initialDate || undefined,
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek",
      },
      // Words rather than FullCalendar's chevron icons, which have role="img" and no text.
      buttonIcons: false,
      buttonText: { prev: data.previousText, next: data.nextText },
      height: "auto",
      slotDuration: "01:00:00",
      allDaySlot: false,
      nowIndicator: false,
      eventDisplay: "block",
      eventTimeFormat: hourMinute,
      slotLabelFormat: hourMinute,
      events: {
        url: data.eventsUrl,
        failure: function () {
          status.textContent = data.errorText;
        },
      },
      loading: function (isLoading) {
        if (isLoading) {
          status.textContent = data.loadingText;
        } else if (status.textContent === data.loadingText) {
          status.textContent = "";
        }
      },
    });
    calendar.render();
    container.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
