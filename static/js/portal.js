/*
 * Northbridge Partnership Portal: the little the pages need beyond htmx.
 *
 * 1. A toast for each live event that arrives while a page is open.
 * 2. Focus back on the title field after an update has been posted through htmx.
 *
 * Loaded with `defer` under a strict CSP: no inline handlers, no eval, no inline styles.
 */
(function () {
  "use strict";

  var TOAST_LIFETIME_MS = 6000;
  var MAX_TOASTS = 4;

  // Event ids already toasted. Several fragments on a page listen to the same program event,
  // and each of them re-dispatches the message, so one event reaches us more than once.
  var seen = new Set();

  // Only messages that arrive while the stream is open are news: whatever the page rendered
  // is already on screen. A replay after a reconnection is covered by `seen`, and the stack
  // is capped, so a burst can never bury the page.
  var streamOpen = false;

  function toastRegion() {
    return document.getElementById("toasts");
  }

  function removeToast(toast) {
    if (!toast.isConnected || toast.classList.contains("is-leaving")) {
      return;
    }
    var reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (reduceMotion) {
      toast.remove();
      return;
    }
    // Removed by a timer matched to the CSS exit animation rather than on `animationend`,
    // which never fires when the animation does not run.
    toast.classList.add("is-leaving");
    window.setTimeout(function () {
      toast.remove();
    }, 200);
  }

  function showToast(message) {
    var region = toastRegion();
    if (!region) {
      return;
    }

    // A critical item (a critical deviation, say) is an alert that stays until dismissed.
    var critical = message.significance === "critical";
    var toast = document.createElement("div");
    toast.className = critical ? "toast toast-critical" : "toast";
    if (critical) {
      toast.setAttribute("role", "alert");
    }

    var head = document.createElement("p");
    head.className = "toast-head";
    head.textContent = critical ? "Critical" : "Live";
    if (message.program) {
      var code = document.createElement("span");
      code.className = "code";
      code.textContent = message.program;
      head.append(" · ", code);
    }

    var text = document.createElement("p");
    text.className = "toast-text";
    // textContent, never innerHTML: the summary is user-written text.
    text.textContent = message.summary;

    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss notification");
    close.textContent = "\u00d7";
    close.addEventListener("click", function () {
      removeToast(toast);
    });

    toast.append(head, text, close);
    region.append(toast);

    // Oldest first out, so the stack never covers more than a corner of the page.
    var live = region.querySelectorAll(".toast:not(.is-leaving)");
    for (var i = 0; i < live.length - MAX_TOASTS; i++) {
      removeToast(live[i]);
    }

    if (critical) {
      return;
    }
    // Hold the toast while the pointer or keyboard focus is on it, so it can be read.
    var timer = window.setTimeout(removeToast, TOAST_LIFETIME_MS, toast);
    function hold() {
      window.clearTimeout(timer);
    }
    function release() {
      window.clearTimeout(timer);
      timer = window.setTimeout(removeToast, TOAST_LIFETIME_MS / 2, toast);
    }
    toast.addEventListener("mouseenter", hold);
    toast.addEventListener("focusin", hold);
    toast.addEventListener("mouseleave", release);
    toast.addEventListener("focusout", release);
  }

  function parseMessage(data) {
    try {
      var message = JSON.parse(data);
      if (message && message.id != null && typeof message.summary === "string") {
        return message;
      }
    } catch (error) {
      // Not a portal event payload: nothing to toast.
    }
    return null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;

    body.addEventListener("htmx:sseOpen", function () {
      streamOpen = true;
    });

    body.addEventListener("htmx:sseError", function () {
      streamOpen = false;
    });

    // The SSE extension dispatches htmx:sseMessage on each listening fragment, with the
    // original MessageEvent as `detail`, so the payload is `event.detail.data`.
    body.addEventListener("htmx:sseMessage", function (event) {
      var message = event.detail && parseMessage(event.detail.data);
      if (!message) {
        return;
      }
      var id = String(message.id);
      if (seen.has(id)) {
        return;
      }
      seen.add(id);
      if (streamOpen) {
        showToast(message);
      }
    });

    // After a successful post the form comes back empty with a success message; putting focus
    // on the title lets the project manager write the next update without reaching for the mouse.
    body.addEventListener("htmx:afterSwap", function (event) {
      var target = event.target;
      if (!(target instanceof Element) || target.id !== "update-form") {
        return;
      }
      if (!target.querySelector(".flash-success")) {
        return;
      }
      var title = target.querySelector("[name='title']");
      if (title) {
        title.focus();
      }
    });
  });
})();
