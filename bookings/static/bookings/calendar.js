// Calendar of a space, of a site, or of the requester's bookings (templates/bookings/calendar_*.html).
// Events come from the JSON feed named in data-events-url; the table of the next 14 days below
// the calendar carries the same information without JavaScript.
// Week and day views open on the opening hours given in data-slot-min-time / data-slot-max-time
// (the whole day when a space is always open; the page scrolls). Below 640 px the
// calendar is a list (listWeek): seven columns do not fit on a phone.
(function () {
  "use strict";

  var PHONE = "(max-width: 639.98px)";

  function isPhone() {
    return window.matchMedia(PHONE).matches;
  }

  function toolbars(phone) {
    if (phone) {
      // Title on its own line, then the buttons, each at least 44 px (calendars.css).
      return {
        headerToolbar: { start: "title", end: "" },
        footerToolbar: { start: "prev,next today", end: "listWeek,timeGridDay" },
      };
    }
    return {
      headerToolbar: {
        left: "prev,next today",
        center: "title",
        right: "dayGridMonth,timeGridWeek,timeGridDay,listWeek",
      },
      footerToolbar: false,
    };
  }

  function start() {
    var container = document.getElementById("calendar");
    if (!container || typeof FullCalendar === "undefined") {
      return;
    }
    var data = container.dataset;
    var status = document.getElementById("calendar-status");
    var hourMinute = { hour: "2-digit", minute: "2-digit", hour12: false };
    var phone = isPhone();
    var options = {
      locale: data.locale,
      // Times are the building's wall-clock times, wherever the browser is. Without a time-zone
      // plugin FullCalendar shows the wall-clock part of each ISO time and sends start/end
      // without an offset, which the feed reads as Europe/Paris.
      timeZone: data.timeZone,
      firstDay: 1,
      initialView: phone ? "listWeek" : "timeGridWeek",
      initialDate: data.initialDate || undefined,
      // Words rather than FullCalendar's chevron icons, which have role="img" and no text.
      buttonIcons: false,
      buttonText: { prev: data.previousText, next: data.nextText },
      // Spaces with opening hours: only those hours. Always open: the whole day, so that
      // nothing booked at night is hidden.
      slotMinTime: data.slotMinTime || "08:00:00",
      slotMaxTime: data.slotMaxTime || "20:00:00",
      // The page scrolls, never a region inside the grid: a scroller inside FullCalendar's
      // role="grid" can be neither focusable nor left unreachable (axe, RGAA 7.3).
      height: "auto",
      businessHours: data.businessHours ? JSON.parse(data.businessHours) : false,
      slotDuration: "01:00:00",
      // Agreements and whole-day closures are bands in this row, not 24-hour blocks.
      allDaySlot: true,
      nowIndicator: false,
      eventDisplay: "block",
      eventTimeFormat: hourMinute,
      slotLabelFormat: hourMinute,
      views: {
        // "lun. 7/12" with a space, never "07/1208/12" run together.
        timeGridWeek: { dayHeaderFormat: { weekday: "short", day: "numeric", month: "numeric" } },
        timeGridDay: { dayHeaderFormat: { weekday: "long", day: "numeric", month: "long" } },
        dayGridMonth: { dayHeaderFormat: { weekday: "short" } },
        listWeek: {
          listDayFormat: { weekday: "long", day: "numeric", month: "long" },
          listDaySideFormat: false,
        },
      },
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
      windowResize: function () {
        var nowPhone = isPhone();
        if (nowPhone === phone) {
          return;
        }
        phone = nowPhone;
        var bars = toolbars(phone);
        calendar.setOption("headerToolbar", bars.headerToolbar);
        calendar.setOption("footerToolbar", bars.footerToolbar);
        calendar.changeView(phone ? "listWeek" : "timeGridWeek");
      },
    };
    var bars = toolbars(phone);
    options.headerToolbar = bars.headerToolbar;
    options.footerToolbar = bars.footerToolbar;
    var calendar = new FullCalendar.Calendar(container, options);
    calendar.render();
    container.setAttribute("data-ready", "true");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
