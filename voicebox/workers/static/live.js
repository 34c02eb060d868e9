/* The live view: asks for the latest results every few seconds and puts them in place of
   the old ones. Only real news is said aloud (more people took part, new words), politely.
   The Pause button stops and starts it. Without this script the page refreshes itself. */
(() => {
  'use strict';
  const main = document.getElementById('main');
  const pause = document.getElementById('live-pause');
  const news = document.getElementById('live-news');
  if (!main || !pause || !news || !window.fetch) { return; }
  const source = main.dataset.source;
  const every = Math.max(2, Number(main.dataset.poll) || 5) * 1000;
  let paused = main.dataset.updates === 'off';
  let timer = null;
  let asking = false;

  const current = () => document.getElementById('live-results');
  const words = (region) => Array.from(region.querySelectorAll('.quote-text'))
    .map((quote) => quote.textContent.trim()).join('\n');
  const openDetails = (region) => Array.from(region.querySelectorAll('details[open]'))
    .map((details) => details.closest('.chart')?.id).filter(Boolean);

  function say(text) {
    news.textContent = text;
  }

  function whatChanged(before, after) {
    const said = [];
    const was = Number(before.dataset.people) || 0;
    const now = Number(after.dataset.people) || 0;
    if (now && !was) {
      said.push(`${now} people have taken part.`);
    } else if (now > was) {
      const more = now - was;
      said.push(`${more} more ${more === 1 ? 'person' : 'people'} took part. ${now} in all.`);
    }
    const newWords = words(after);
    if (newWords && newWords !== words(before)) {
      said.push('There are new words from young people.');
    }
    return said.join(' ');
  }

  function show(html) {
    const before = current();
    const holder = document.createElement('template');
    holder.innerHTML = html.trim();
    const after = holder.content.firstElementChild;
    if (!before || !after || after.id !== 'live-results') { return; }
    if (after.innerHTML === before.innerHTML) { return; }
    const open = openDetails(before);
    const focusedId = document.activeElement && before.contains(document.activeElement)
      ? document.activeElement.closest('.chart')?.id : null;
    const change = whatChanged(before, after);
    open.forEach((id) => {
      const details = after.querySelector(`#${CSS.escape(id)} details`);
      if (details) { details.open = true; }
    });
    before.replaceWith(after);
    if (focusedId) {
      after.querySelector(`#${CSS.escape(focusedId)} summary`)?.focus();
    }
    if (change) { say(change); }
  }

  async function ask() {
    if (paused || asking) { return; }
    asking = true;
    try {
      const response = await fetch(source, {
        credentials: 'same-origin', cache: 'no-store', headers: {Accept: 'text/html'}
      });
      if (response.redirected || !response.ok) {
        stop('The results stopped updating. Reload the page to carry on.');
        return;
      }
      show(await response.text());
    } catch (error) {
      say('The results could not be updated. Trying again soon.');
    } finally {
      asking = false;
    }
  }

  function start() {
    paused = false;
    pause.textContent = 'Pause updates';
    clearInterval(timer);
    timer = setInterval(ask, every);
  }

  function stop(message) {
    paused = true;
    clearInterval(timer);
    timer = null;
    pause.textContent = 'Start updates again';
    say(message);
  }

  pause.hidden = false;
  pause.addEventListener('click', () => {
    if (paused) {
      start();
      say('Updates are on again.');
      ask();
    } else {
      stop('Updates are paused.');
    }
  });
  if (paused) {
    pause.textContent = 'Start updates again';
  } else {
    start();
  }
})();
