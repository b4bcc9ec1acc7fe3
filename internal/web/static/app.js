// Precis web pages: the print button and the live alerts feed. No inline script anywhere
// (the Content-Security-Policy allows scripts from this origin only); rows of the feed are
// rendered and escaped by the server, with the same template as the first paint.
(function () {
  'use strict';

  document.querySelectorAll('[data-action="print"]').forEach(function (b) {
    b.addEventListener('click', function () { window.print(); });
  });

  var feed = document.getElementById('alert-feed');
  if (!feed || !window.EventSource) { return; }
  var body = feed.tBodies[0];
  var status = document.getElementById('live-status');
  var empty = document.getElementById('alerts-empty');

  function setState(state) {
    if (!status) { return; }
    status.dataset.state = state;
    status.textContent = status.getAttribute('data-label-' + state) || state;
  }

  var source = new EventSource(feed.dataset.src);
  source.addEventListener('open', function () { setState('open'); });
  source.addEventListener('error', function () { setState('reconnecting'); });
  source.addEventListener('alert', function (ev) {
    if (ev.lastEventId && document.getElementById('alert-' + ev.lastEventId)) { return; }
    body.insertAdjacentHTML('afterbegin', ev.data);
    if (empty) { empty.hidden = true; }
  });
}());
