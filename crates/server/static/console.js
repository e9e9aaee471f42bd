// Tika officials' console: small enhancements; every page also works without JavaScript.
(function () {
  'use strict';
  // Officials' area picker: show only the fields the chosen level uses, and only the districts
  // of the chosen state.
  var picker = document.getElementById('area-picker');
  if (picker) {
    var level = document.getElementById('a-level');
    var state = document.getElementById('a-state');
    var district = document.getElementById('a-district');
    var showLevel = function () {
      ['national', 'state', 'district', 'block', 'facility'].forEach(function (l) {
        picker.classList.toggle('level-' + l, level.value === l);
      });
    };
    var narrow = function () {
      if (!state || !district || !state.value) return;
      Array.prototype.forEach.call(district.querySelectorAll('optgroup'), function (g) {
        var mine = g.getAttribute('data-state') === state.value;
        g.hidden = !mine;
        g.disabled = !mine;
      });
      var chosen = district.options[district.selectedIndex];
      if (chosen && chosen.parentNode && chosen.parentNode.disabled) district.value = '';
    };
    level.addEventListener('change', showLevel);
    if (state) state.addEventListener('change', narrow);
    showLevel();
    narrow();
  }
})();
