// Tika pages: small progressive enhancements; every page also works without JavaScript.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  // Search form: show only the chosen way of searching, and load districts on state change.
  var form = document.getElementById('search-form');
  if (form) {
    var setMode = function () {
      var by = form.querySelector('input[name="by"]:checked');
      var district = by && by.value === 'district';
      form.classList.toggle('district-mode', district);
      form.classList.toggle('pin-mode', !district);
    };
    Array.prototype.forEach.call(form.querySelectorAll('input[name="by"]'), function (r) {
      r.addEventListener('change', setMode);
    });
    setMode();
    var stateSelect = document.getElementById('state_id');
    var districtSelect = document.getElementById('district_id');
    if (stateSelect && districtSelect && window.fetch) {
      stateSelect.addEventListener('change', function () {
        var id = stateSelect.value;
        var first = districtSelect.options[0];
        districtSelect.innerHTML = '';
        districtSelect.appendChild(first);
        if (!id) return;
        fetch('/api/v2/admin/location/districts/' + encodeURIComponent(id), { headers: { accept: 'application/json' } })
          .then(function (r) { return r.ok ? r.json() : { districts: [] }; })
          .then(function (body) {
            (body.districts || []).forEach(function (d) {
              var o = document.createElement('option');
              o.value = String(d.district_id);
              o.textContent = d.district_name_l || d.district_name;
              districtSelect.appendChild(o);
            });
            districtSelect.dataset.loaded = id;
          })
          .catch(function () { /* the "Show districts" button still works */ });
      });
    }
  }

  // Forms that need a confirmation (cancel, remove): ask here, or the server asks on its own page.
  Array.prototype.forEach.call(document.querySelectorAll('form[data-confirm]'), function (f) {
    f.addEventListener('submit', function (e) {
      if (!window.confirm(f.getAttribute('data-confirm'))) {
        e.preventDefault();
        return;
      }
      var c = f.querySelector('input[name="confirmed"]');
      if (c) c.value = '1';
    });
  });
})();
