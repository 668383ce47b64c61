/* Small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  // Elements marked .js-hide (e.g. the "Go" button beside an auto-submitting select) are hidden by CSS.
  document.documentElement.classList.add("js");

  function submitForm(form) {
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  // The main menu on a phone: one button that opens and closes the links (CSS folds them below
  // 640 px); the button names the section the page belongs to. Escape closes it again.
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".mainnav");
    var toggle = nav && nav.querySelector(".nav-toggle");
    if (!toggle) {
      return;
    }
    var active = nav.querySelector(".mainnav-links a.active");
    if (active) {
      toggle.querySelector(".nav-toggle-current").textContent = active.textContent.trim();
    }
    function setOpen(open) {
      nav.classList.toggle("is-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () {
      setOpen(!nav.classList.contains("is-open"));
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("is-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  });

  // <select data-autosubmit>: choosing an option submits its form.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      submitForm(target.form);
    }
  });

  // data-confirm="Question?" on a form or its submit button asks before the form goes out.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var question = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // htmx requests (hx-post on a form) ask the same question before they are sent.
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    var question = element && element.getAttribute && element.getAttribute("data-confirm");
    if (!question) {
      return;
    }
    event.preventDefault();
    if (window.confirm(question)) {
      event.detail.issueRequest(true);
    }
  });

  // <input data-select-on-focus>: a one-time secret is selected whole for copying.
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-select-on-focus]") && typeof target.select === "function") {
      target.select();
    }
  });

  // An htmx request the server refuses (403, 404, 500) swaps nothing; say so instead of failing silently.
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var text = (document.body.getAttribute("data-htmx-error") || "The action failed (error %s).").replace("%s", status);
    showMessage(text, "error");
  });

  // <span data-countdown="2026-11-02T09:00:00+03:00" data-in="in %s" data-over="overdue by %s"
  // data-units="d|h|min">: a live wall-clock countdown to an SLA due time, refreshed every 30 s.
  function formatSpan(ms, units) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    minutes = minutes % 60;
    if (days) {
      return days + " " + units[0] + " " + hours + " " + units[1];
    }
    if (hours) {
      return hours + " " + units[1] + " " + minutes + " " + units[2];
    }
    return minutes + " " + units[2];
  }

  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var due = Date.parse(element.getAttribute("data-countdown"));
      if (isNaN(due)) {
        return;
      }
      var units = (element.getAttribute("data-units") || "d|h|min").split("|");
      var left = due - now;
      var template = left >= 0 ? element.getAttribute("data-in") || "in %s" : element.getAttribute("data-over") || "overdue by %s";
      element.textContent = template.replace("%s", formatSpan(left, units));
      element.classList.toggle("is-overdue", left < 0);
    });
  }

  if (document.querySelector("[data-countdown]")) {
    tickCountdowns();
    window.setInterval(tickCountdowns, 30000);
  }

  function showMessage(text, level) {
    var page = document.querySelector("main.page");
    if (!page) {
      window.alert(text);
      return;
    }
    var list = page.querySelector(".messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages";
      list.setAttribute("role", "status");
      page.insertBefore(list, page.firstChild);
    }
    var item = document.createElement("li");
    item.className = "msg msg-" + level;
    item.textContent = text;
    list.appendChild(item);
    item.scrollIntoView({ block: "nearest" });
  }
  // <time datetime="…" data-local-time>: the server writes the time in the tenant's zone (named);
  // the browser rewrites it to the viewer's own zone, naming that one.
  function localiseTimes(root) {
    if (typeof Intl === "undefined" || !Intl.DateTimeFormat) {
      return;
    }
    var lang = document.documentElement.lang || undefined;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    (root || document).querySelectorAll("time[data-local-time]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (isNaN(moment.getTime())) {
        return;
      }
      var text = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(moment);
      element.textContent = text + (zone ? " (" + zone + ")" : "");
      element.setAttribute("data-zone", zone || "");
    });
  }

  localiseTimes(document);
  document.addEventListener("htmx:afterSwap", function (event) {
    localiseTimes(event.detail.target);
  });
})();

// Bulk actions (helper 2): a header checkbox ticks every row checkbox of its group.
document.addEventListener("change", function (event) {
  var all = event.target.closest && event.target.closest("[data-check-all]");
  if (!all) return;
  document.querySelectorAll('input[type="checkbox"][name="' + all.dataset.checkAll + '"]').forEach(function (box) {
    box.checked = all.checked;
  });
});
