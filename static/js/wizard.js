// Create-machine wizard: shows only the chosen provider's images, and shows progress while the
// machine is being created (the form posts normally; without JS every image is listed).
(function () {
  'use strict';
  var form = document.querySelector('[data-wizard]');
  if (!form) return;

  function chosenProvider() {
    var checked = form.querySelector('[data-provider-choice]:checked');
    return checked ? checked.value : '';
  }
  function showImagesOf(provider) {
    Array.prototype.forEach.call(form.querySelectorAll('[data-images-of]'), function (group) {
      var mine = group.getAttribute('data-images-of') === provider;
      group.hidden = !mine;
      var caption = group.querySelector('.choices-caption');
      if (caption) caption.hidden = true;
      if (!mine) {
        Array.prototype.forEach.call(group.querySelectorAll('input[type="radio"]'), function (input) {
          input.checked = false;
        });
      }
    });
  }
  form.addEventListener('change', function (event) {
    if (event.target.hasAttribute('data-provider-choice')) showImagesOf(event.target.value);
  });
  showImagesOf(chosenProvider());

  form.addEventListener('submit', function () {
    var button = form.querySelector('[data-submit]');
    var progress = form.querySelector('[data-progress]');
    // Disabled after this event so the browser still sends the form.
    setTimeout(function () {
      if (button) button.disabled = true;
    }, 0);
    if (progress) progress.hidden = false;
  });
})();
