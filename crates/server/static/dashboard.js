// The public dashboard's live figures: every 10 seconds, read the JSON API (cached by the
// server for 2 s, revalidated by ETag) and update today's doses, the total, the time and each
// area's today column.  Without JavaScript the page shows the figures it was served with.
(function () {
  'use strict';
  var main = document.getElementById('main');
  if (!main || !window.fetch) return;
  var lang = main.getAttribute('data-lang') || 'en';
  var state = main.getAttribute('data-state') || '';
  var url = '/api/public/v1/dashboard' + (state ? '?state=' + encodeURIComponent(state) : '');
  var hiddenText = null;

  function indian(n) {
    var s = String(Math.abs(n));
    if (s.length > 3) {
      var head = s.slice(0, -3), tail = s.slice(-3);
      head = head.replace(/\B(?=(\d{2})+(?!\d))/g, ',');
      s = head + ',' + tail;
    }
    return (n < 0 ? '-' : '') + s;
  }
  function show(el, v) {
    if (!el) return;
    if (v === null || v === undefined) {
      if (hiddenText) el.textContent = hiddenText;
      el.classList.add('hidden-count');
    } else {
      el.textContent = indian(v);
      el.classList.remove('hidden-count');
    }
  }
  function time(ms) {
    var d = new Date(ms);
    return d.toLocaleTimeString(lang === 'hi' ? 'hi-IN' : 'en-IN', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
  var hiddenCell = document.querySelector('.hidden-count');
  if (hiddenCell) hiddenText = hiddenCell.textContent;
  var asOf = document.getElementById('as-of');
  var asOfTemplate = asOf ? asOf.textContent : '';

  function refresh() {
    fetch(url, { headers: { accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        show(document.getElementById('today'), d.today);
        show(document.getElementById('total'), d.total);
        (d.areas || []).forEach(function (a) {
          show(document.querySelector('[data-today="' + a.id + '"]'), a.today);
        });
        if (asOf) {
          asOf.textContent = lang === 'hi' ? time(d.generated_at_ms) + ' तक' : 'As of ' + time(d.generated_at_ms);
          asOf.setAttribute('data-refreshed', String(d.generated_at_ms));
        }
        main.setAttribute('data-generated', String(d.generated_at_ms));
      })
      .catch(function () { if (asOf) asOf.textContent = asOfTemplate; });
  }
  setInterval(refresh, 10000);
})();
