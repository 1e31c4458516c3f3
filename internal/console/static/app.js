// Confirm destructive forms, and mark large lags.
document.addEventListener("submit", (e) => {
  const msg = e.target.dataset.confirm;
  if (msg && !confirm(msg)) e.preventDefault();
});
document.addEventListener("DOMContentLoaded", () => {
  for (const td of document.querySelectorAll("td.lag")) {
    if (Number(td.dataset.lag) > 1000) td.classList.add("high");
  }
});
