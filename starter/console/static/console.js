// Live parts of the console, in plain JavaScript (no build step):
// - an element with data-poll="URL" reloads its content from URL every second until the
//   content it receives says data-poll-done="true";
// - the Create Summary Invoice form says "Invoices are being created. Please wait." at once,
//   sends the request, then follows the request's status live, without reloading the page;
// - checkboxes of the same invoice on several billing lines stay in step.
"use strict";

function poll(region, url) {
  const tick = async () => {
    const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (response.ok) {
      region.innerHTML = await response.text();
      if (region.querySelector('[data-poll-done="true"]')) return;
    }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}

function createSummaries(form) {
  const region = document.getElementById("summary-progress");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    region.innerHTML = "";
    const working = document.createElement("p");
    working.className = "working";
    working.dataset.testid = "summary-message";
    working.textContent = form.dataset.inProgress;
    region.appendChild(working);
    const response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    if (!response.ok || !response.redirected) {
      // A problem page: show it as it is, it says what to do.
      document.open(); document.write(await response.text()); document.close();
      return;
    }
    poll(region, response.url + "/status");
  });
}

function linkInvoiceCheckboxes() {
  document.querySelectorAll('input[type=checkbox][name=invoice_id]').forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(`input[type=checkbox][name=invoice_id][value="${box.value}"]`)
        .forEach((other) => { other.checked = box.checked; });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll]").forEach((region) => poll(region, region.dataset.poll));
  const form = document.getElementById("summary-create");
  if (form) createSummaries(form);
  linkInvoiceCheckboxes();
});
