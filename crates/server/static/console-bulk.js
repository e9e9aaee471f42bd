// The people-list upload's job page: polls the job's status while it runs and updates the
// progress bar and counts in place (no dependencies, no inline script: CSP-clean).
(function () {
  "use strict";
  var job = document.getElementById("import-job");
  if (!job) { return; }
  var url = job.getAttribute("data-status-url");
  function set(id, text) {
    var el = document.getElementById(id);
    if (el) { el.textContent = String(text); }
  }
  function show(s) {
    var bar = document.getElementById("import-progress");
    if (bar) { bar.max = s.total; bar.value = s.processed; bar.textContent = s.progress; }
    set("progress-text", s.progress);
    set("count-inserted", s.inserted);
    set("count-updated", s.updated);
    set("count-unchanged", s.unchanged);
    set("count-failed", s.failed);
    set("job-message", s.message);
    var status = document.getElementById("job-status");
    if (status) { status.textContent = s.status_label; status.setAttribute("data-status", s.status); }
    job.setAttribute("data-status", s.status);
    if (s.status !== "running") {
      var note = document.getElementById("job-refresh");
      if (note) { note.remove(); }
    }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error("status " + r.status); } return r.json(); })
      .then(function (s) {
        show(s);
        if (s.status === "running") { setTimeout(poll, 700); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (job.getAttribute("data-status") === "running") { setTimeout(poll, 300); }
})();
