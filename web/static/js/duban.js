// The console's only script besides htmx: show the message of a refused htmx request
// (the server answers with a Chinese error page; htmx does not swap 4xx/5xx by default).
document.addEventListener("htmx:responseError", function (event) {
  var flash = document.getElementById("flash");
  if (!flash) { return; }
  var doc = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
  var message = doc.querySelector(".error-message, .field-error");
  flash.textContent = message ? message.textContent : "操作没有成功，请刷新页面后重试。";
  flash.classList.add("shown");
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
