// Forms whose work takes a while (clone, rebuild, snapshots): on submit the button is disabled
// (after the event, so the browser still sends the form) and the form's progress note is shown.
(function () {
  document.querySelectorAll('form[data-busy]').forEach(function (form) {
    form.addEventListener('submit', function () {
      var button = form.querySelector('button[type="submit"]');
      var note = form.querySelector('[data-busy-note]');
      setTimeout(function () {
        if (button) button.disabled = true;
      }, 0);
      if (note) note.hidden = false;
    });
  });
})();
