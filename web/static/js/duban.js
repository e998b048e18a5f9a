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
