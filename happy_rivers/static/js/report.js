// The report's 「打印」 button. A click handler here rather than onclick="…" in the page: the
// Content-Security-Policy (views/headers.py) runs no inline script.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
