// A machine's console page: asks the panel for a single-use ticket (POST, this session's CSRF
// token), opens the console WebSocket with it, waits for the panel's "ready" (or "error") text
// frame, then hands the socket to xterm.js (serial) or noVNC (VNC). The libraries are ES modules
// the panel serves itself; their URLs come from the page.
const root = document.querySelector('[data-console]');
if (root) void start(root);

async function start(root) {
  const kind = root.dataset.console;
  const screen = root.querySelector('[data-console-screen]');
  const statusLine = root.querySelector('[data-console-status]');
  const forceButton = root.querySelector('[data-console-force]');
  const reconnectButton = root.querySelector('[data-console-reconnect]');
  const fullscreenButton = root.querySelector('[data-console-fullscreen]');
  let attach;
  let connected = false;

  function status(text, tone) {
    statusLine.textContent = text;
    statusLine.dataset.tone = tone || '';
  }

  async function ticket(force) {
    const response = await fetch(root.dataset.ticketUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': root.dataset.csrf },
      body: JSON.stringify({ Kind: kind, Force: force }),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401 || response.redirected)
      throw new Error('Your session has ended: log in again to use the console.');
    if (!response.ok) throw new Error(answer.Error || `The panel answered ${response.status}.`);
    return answer;
  }

  async function connect(force) {
    forceButton.hidden = true;
    reconnectButton.hidden = true;
    status(force ? 'Taking over the console…' : 'Connecting…');
    let grant;
    try {
      grant = await ticket(force);
    } catch (err) {
      status(err.message, 'error');
      reconnectButton.hidden = false;
      return;
    }
    const socket = new WebSocket(grant.Url);
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => {
      // Only the first frame is the panel's; then the socket belongs to the console.
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        message = { type: 'error', message: 'The panel sent something unexpected.' };
      }
      if (message.type === 'ready') {
        connected = true;
        status(`Connected to ${message.machine}.`, 'ok');
        socket.onmessage = null;
        attach(socket);
      } else {
        status(message.message || 'The console could not be opened.', 'error');
        if (message.code === 'conflict') forceButton.hidden = false;
      }
    };
    socket.addEventListener('close', (event) => {
      if (connected) status(`Disconnected: ${event.reason || 'the connection was lost'}.`, 'error');
      else if (!forceButton.hidden) return;
      else if (statusLine.dataset.tone !== 'error') status(event.reason || 'The console could not be opened.', 'error');
      connected = false;
      reconnectButton.hidden = false;
    });
  }

  forceButton.addEventListener('click', () => void connect(true));
  reconnectButton.addEventListener('click', () => void connect(false));
  fullscreenButton.addEventListener('click', () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void screen.requestFullscreen();
  });

  try {
    attach = kind === 'vnc' ? await vncConsole(root, screen, status) : await serialConsole(root, screen);
  } catch (err) {
    status(`The console's script could not load: ${err.message}`, 'error');
    return;
  }
  void connect(false);
}

async function serialConsole(root, screen) {
  const [{ Terminal }, { FitAddon }] = await Promise.all([import(root.dataset.xterm), import(root.dataset.xtermFit)]);
  const terminal = new Terminal({
    cursorBlink: true,
    scrollback: 5000,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
    fontSize: 14,
    theme: { background: '#000000' },
  });
  const fit = new FitAddon();
  terminal.loadAddon(fit);
  terminal.open(screen);
  fit.fit();
  new ResizeObserver(() => fit.fit()).observe(screen);
  const hint = root.querySelector('.console-hint');
  const sizeHint = hint ? hint.textContent : '';
  terminal.onResize(({ cols, rows }) => {
    // A serial line carries no window size: full-screen programs need to be told.
    if (hint) hint.textContent = `${sizeHint} For full-screen programs (top, vi) run: stty rows ${rows} cols ${cols}`;
  });
  const encoder = new TextEncoder();
  let socket;
  terminal.onData((text) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(text));
  });
  terminal.onBinary((text) => {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(Uint8Array.from(text, (c) => c.charCodeAt(0)));
  });
  return (ws) => {
    socket = ws;
    ws.onmessage = (event) => terminal.write(new Uint8Array(event.data));
    terminal.focus();
  };
}

async function vncConsole(root, screen, status) {
  const [{ default: RFB }, { default: keysyms }] = await Promise.all([import(root.dataset.rfb), import(root.dataset.keysym)]);
  const cad = root.querySelector('[data-vnc-cad]');
  const scale = root.querySelector('[data-vnc-scale]');
  const typeForm = root.querySelector('[data-vnc-type]');
  const typeButton = typeForm.querySelector('button');
  let rfb;
  function enable(on) {
    cad.disabled = !on;
    scale.disabled = !on;
    typeButton.disabled = !on;
  }
  cad.addEventListener('click', () => rfb && rfb.sendCtrlAltDel());
  scale.addEventListener('click', () => {
    if (!rfb) return;
    rfb.scaleViewport = !rfb.scaleViewport;
    rfb.clipViewport = !rfb.scaleViewport;
    scale.setAttribute('aria-pressed', String(rfb.scaleViewport));
  });
  typeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!rfb) return;
    const text = typeForm.elements.text.value;
    for (const char of text) {
      if (char === '\n') rfb.sendKey(0xff0d, 'Enter');
      else if (char === '\t') rfb.sendKey(0xff09, 'Tab');
      else rfb.sendKey(keysyms.lookup(char.codePointAt(0)), null);
    }
    typeForm.elements.text.value = '';
    rfb.focus();
  });
  return (ws) => {
    rfb = new RFB(screen, ws, { shared: true });
    rfb.scaleViewport = true;
    rfb.background = '#000';
    rfb.addEventListener('connect', () => enable(true));
    rfb.addEventListener('disconnect', () => {
      enable(false);
      rfb = undefined;
    });
    rfb.addEventListener('credentialsrequired', () => {
      const password = window.prompt('The VNC display asks for a password:');
      if (password === null) rfb.disconnect();
      else rfb.sendCredentials({ password });
    });
    rfb.addEventListener('securityfailure', (event) =>
      status(`VNC refused the login: ${event.detail.reason || 'wrong password'}.`, 'error'),
    );
    rfb.focus();
  };
}
