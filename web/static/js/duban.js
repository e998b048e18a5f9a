// The console's only script besides htmx.

// Show the message of a refused htmx request (the server answers with a Chinese error page;
// htmx does not swap 4xx/5xx by default).
document.addEventListener("htmx:responseError", function (event) {
  var flash = document.getElementById("flash");
  if (!flash) { return; }
  var doc = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
  var message = doc.querySelector(".error-message, .field-error");
  flash.textContent = message ? message.textContent : "操作没有成功，请刷新页面后重试。";
  flash.classList.add("shown");
});

// A form that changes something is not sent twice in a row. On a double-click the browser
// sends both posts and shows the answer to the second: the engine applies the first and
// refuses the repeat ("当前状态为…，不能…"), so the person would read a refusal although the
// action succeeded. Its buttons are disabled once it is sent — after the submit event, so that
// the clicked button's name and value still go with the form — for RESEND_MS only: far longer
// than a double-click, short enough that a download (an export, a bulletin), after which the
// page stays, can be asked for again. The server stays the judge of a real repeat.
var RESEND_MS = 3000;
function buttonsOf(form) {
  return Array.prototype.filter.call(form.elements, function (element) {
    return element.type === "submit" && !element.disabled;
  });
}
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method !== "post") { return; }
  window.setTimeout(function () {
    if (event.defaultPrevented) { return; }  // a check refused it: nothing was sent
    var held = buttonsOf(form);
    held.forEach(function (button) { button.disabled = true; });
    window.setTimeout(function () {
      held.forEach(function (button) { button.disabled = false; });
    }, RESEND_MS);
  }, 0);
});

// A page brought back from the browser's history cache shows its buttons usable again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) { return; }
  document.querySelectorAll("form button[disabled][type=submit]").forEach(function (button) {
    button.disabled = false;
  });
});

// 督办台账: a pager link inside the results is replaced with them, and the keyboard's place would
// fall back to the top of the page; the new results take the focus instead.
var resultsHadFocus = false;
document.addEventListener("htmx:beforeRequest", function () {
  var results = document.getElementById("results");
  resultsHadFocus = !!results && results.contains(document.activeElement);
});
document.addEventListener("htmx:afterSettle", function () {
  var results = document.getElementById("results");
  if (resultsHadFocus && results) { results.focus(); }
  resultsHadFocus = false;
});
