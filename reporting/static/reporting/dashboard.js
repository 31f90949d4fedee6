// The dashboard's filter form: a changed select applies at once; a date typed by hand makes the period "custom".
// A file of its own, not inline handlers: the Content-Security-Policy allows scripts from this site only.
document.addEventListener("DOMContentLoaded", () => {
  for (const field of document.querySelectorAll("[data-submit-on-change]")) {
    field.addEventListener("change", () => field.form.requestSubmit());
  }
  for (const field of document.querySelectorAll("[data-custom-period]")) {
    field.addEventListener("change", () => {
      field.form.elements.period.value = "custom";
    });
  }
});
