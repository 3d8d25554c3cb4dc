// The editor's "OCPP" sidebar tab (served at resources/@ocpp-rs/node-red-ocpp/sidebar.js,
// loaded by nodes/ocpp-server.html): every CS server's connected OCPP-J stations, live;
// per station its last frames both ways (newest first, pretty-printed, filtered by
// action and direction, copied as JSON) and a form to send it a CALL. Everything
// comes from the admin API in nodes/lib/admin.js; the engine keeps the data.
(function () {
  if (window.OcppSidebar || !window.RED || !RED.sidebar) return;

  const POLL_FRAMES_MS = 1000;
  const RESYNC_MS = 30000;
  // Rows drawn at most; the filter finds the others.
  const MAX_ROWS = 500;

  const state = {
    stations: new Map(), // id -> entry from GET /ocpp/stations
    selected: null, // id
    frames: [], // newest first
    lastSeq: null,
    limit: 200,
    info: null, // the last frames view (recording, bytes, limits)
    actions: {}, // version -> {toStation, fromStation}
    timers: { frames: null, resync: null },
  };

  const css = `
  .ocpp-sb { display:flex; flex-direction:column; height:100%; font-size:12px; }
  .ocpp-sb-bar { padding:6px 8px; border-bottom:1px solid var(--red-ui-secondary-border-color, #ddd); display:flex; gap:6px; align-items:center; flex-wrap:wrap; }
  .ocpp-sb-bar input[type=text] { width:140px; margin:0; }
  .ocpp-sb-bar label { margin:0; font-size:12px; }
  .ocpp-sb-count { color:var(--red-ui-secondary-text-color, #888); margin-left:auto; }
  .ocpp-sb-list { flex:0 0 auto; max-height:35%; overflow:auto; }
  .ocpp-sb-table { width:100%; border-collapse:collapse; }
  .ocpp-sb-table th, .ocpp-sb-table td { padding:2px 6px; text-align:left; white-space:nowrap; border-bottom:1px solid var(--red-ui-secondary-border-color, #eee); }
  .ocpp-sb-table td.ocpp-sb-server { max-width:140px; overflow:hidden; text-overflow:ellipsis; }
  .ocpp-sb-table th { position:sticky; top:0; background:var(--red-ui-secondary-background, #f3f3f3); font-weight:normal; color:var(--red-ui-secondary-text-color, #666); }
  .ocpp-sb-table tbody tr { cursor:pointer; }
  .ocpp-sb-table tbody tr:hover { background:var(--red-ui-list-item-background-hover, #eee); }
  .ocpp-sb-table tbody tr.selected { background:var(--red-ui-list-item-background-selected, #ddeeff); }
  .ocpp-sb-num { text-align:right !important; }
  .ocpp-sb-err { color:#c00; }
  .ocpp-sb-empty { padding:10px; color:var(--red-ui-secondary-text-color, #888); }
  .ocpp-sb-detail { flex:1 1 auto; overflow:auto; border-top:2px solid var(--red-ui-secondary-border-color, #ccc); }
  .ocpp-sb-detail h4 { margin:6px 8px; font-size:13px; display:flex; align-items:center; gap:6px; }
  .ocpp-sb-detail h4 .ocpp-sb-sub { font-weight:normal; color:var(--red-ui-secondary-text-color, #888); }
  .ocpp-sb-detail h4 button { margin-left:auto; }
  .ocpp-sb-section { padding:4px 8px; }
  .ocpp-sb-section > .ocpp-sb-head { display:flex; gap:6px; align-items:center; flex-wrap:wrap; margin-bottom:4px; }
  .ocpp-sb-section select { width:auto; max-width:160px; margin:0; font-size:12px; height:24px; padding:0 4px; }
  .ocpp-sb-frame { border:1px solid var(--red-ui-secondary-border-color, #ddd); border-radius:2px; margin-bottom:4px; }
  .ocpp-sb-frame-head { padding:2px 6px; background:var(--red-ui-secondary-background, #f6f6f6); display:flex; gap:6px; }
  .ocpp-sb-frame-head .ocpp-sb-size { margin-left:auto; color:var(--red-ui-secondary-text-color, #888); }
  .ocpp-sb-frame.in .ocpp-sb-dir { color:#2a7ab0; }
  .ocpp-sb-frame.out .ocpp-sb-dir { color:#5a8a2a; }
  .ocpp-sb-frame.error .ocpp-sb-kind { color:#c00; }
  .ocpp-sb-frame pre, .ocpp-sb-answer { margin:0; padding:4px 6px; font-size:11px; white-space:pre-wrap; word-break:break-all; max-height:240px; overflow:auto; border:none; background:transparent; }
  .ocpp-sb-editor { height:70px; margin:4px 0; }
  .ocpp-sb-answer { border:1px solid var(--red-ui-secondary-border-color, #ddd); min-height:20px; }
  .ocpp-sb-note { color:var(--red-ui-secondary-text-color, #888); }
  `;

  const esc = (s) => $('<div>').text(s === undefined || s === null ? '' : String(s)).html();
  const time = (ms) => (ms ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '');
  const stamp = (ms) => {
    const d = new Date(ms);
    return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
  };
  const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);
  const arrow = (dir) => (dir === 'in' ? 'station → CS' : 'CS → station');
  const KIND_SHORT = { CALL: '', SEND: 'SEND', CALLRESULT: 'result', CALLERROR: 'error', CALLRESULTERROR: 'result error', unreadable: 'unreadable' };
  const serverName = (nodeId) => {
    const n = RED.nodes.node(nodeId);
    return n ? n.name || n.type : nodeId || '';
  };
  const canWrite = () => !RED.user || !RED.user.hasPermission || RED.user.hasPermission('ocpp.write');
  const apiError = (xhr) => (xhr.responseJSON && xhr.responseJSON.error) || `${xhr.status} ${xhr.statusText}`;

  // --- the DOM ---
  const content = $('<div class="ocpp-sb">');
  $('<style>').text(css).appendTo(content);
  const bar = $('<div class="ocpp-sb-bar">').appendTo(content);
  const filter = $('<input type="text" placeholder="filter stations">').appendTo(bar);
  const allLabel = $('<label title="Record the frames of every station (the inspector records a station while it is open)">').appendTo(bar);
  const allBox = $('<input type="checkbox" style="margin:0 4px 0 0; width:auto;">').appendTo(allLabel);
  allLabel.append('record all');
  const count = $('<span class="ocpp-sb-count">').appendTo(bar);
  const list = $('<div class="ocpp-sb-list">').appendTo(content);
  const table = $(
    '<table class="ocpp-sb-table"><thead><tr><th>station</th><th>version</th><th>server</th><th class="ocpp-sb-instance" title="The cluster instance holding the station">instance</th><th>since</th><th>last message</th>' +
      '<th class="ocpp-sb-num" title="CALLs from the station / to it">in / out</th><th class="ocpp-sb-num">errors</th>' +
      '<th class="ocpp-sb-num" title="The charge limit SetChargeLimit set and read back on this connection (#n: EVSE n; else the whole station)">limit</th></tr></thead><tbody></tbody></table>'
  ).appendTo(list);
  const empty = $('<div class="ocpp-sb-empty">No OCPP-J station is connected to a CS server.</div>').appendTo(list);
  const detail = $('<div class="ocpp-sb-detail">').hide().appendTo(content);

  function visible() {
    return content.is(':visible');
  }

  // --- the stations ---
  function lastText(s) {
    if (!s.last) return '';
    const what = `${s.last.action || ''} ${KIND_SHORT[s.last.kind] === undefined ? s.last.kind : KIND_SHORT[s.last.kind]}`.trim() || s.last.kind;
    return `${what} ${s.last.dir} · ${time(s.last.at)}`;
  }

  // The effective charge limits of an entry: "16 A", "#1 10 A", "? A" when the station gave no schedule.
  function limitText(s) {
    return (s.chargeLimits || []).map((l) => `${l.evseId ? `#${l.evseId} ` : ''}${l.limit === null ? '?' : l.limit} ${l.unit}`).join(', ');
  }

  function drawStations() {
    const words = filter.val().trim().toLowerCase();
    const all = Array.from(state.stations.values()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const shown = words ? all.filter((s) => `${s.id} ${s.version} ${serverName(s.node)} ${s.instance || ''}`.toLowerCase().includes(words)) : all;
    const body = table.find('tbody').empty();
    // With a cluster each entry names the instance holding the station; alone there is none.
    const clustered = all.some((s) => s.instance !== undefined);
    table.find('th.ocpp-sb-instance').toggle(clustered);
    for (const s of shown.slice(0, MAX_ROWS)) {
      if (s.remote) {
        // Held by another instance of the cluster: its counters and frames are there.
        $('<tr class="ocpp-sb-remote">')
          .attr('data-station', s.id)
          .attr('title', `held by instance ${s.instance}: open that instance's editor to inspect its frames; a CALL sent from here reaches it`)
          .toggleClass('selected', s.id === state.selected)
          .append($('<td>').text(s.id))
          .append($('<td>').text(s.version || ''))
          .append($('<td class="ocpp-sb-server">').text(s.node ? serverName(s.node) : ''))
          .append($('<td>').text(s.instance))
          .append($('<td>').text(s.since ? time(s.since) : ''))
          .append($('<td colspan="4">').text('on another instance'))
          .appendTo(body);
        continue;
      }
      $('<tr>')
        .attr('data-station', s.id)
        .toggleClass('selected', s.id === state.selected)
        .append($('<td>').text(s.id))
        .append($('<td>').text(s.version))
        .append($('<td class="ocpp-sb-server">').text(serverName(s.node)).attr('title', `${serverName(s.node)} (${s.node})`))
        .append(clustered ? $('<td>').text(s.instance || '') : null)
        .append($('<td>').text(time(s.since)).attr('title', new Date(s.since).toString()))
        .append($('<td>').text(lastText(s)).attr('title', s.last ? `${s.last.kind} ${arrow(s.last.dir)}` : ''))
        .append($('<td class="ocpp-sb-num">').text(`${s.callsIn} / ${s.callsOut}`))
        .append($('<td class="ocpp-sb-num">').text(s.errors).toggleClass('ocpp-sb-err', s.errors > 0))
        .append($('<td class="ocpp-sb-num ocpp-sb-limit">').text(limitText(s)))
        .appendTo(body);
    }
    table.toggle(all.length > 0);
    empty.toggle(all.length === 0);
    count.text(`${all.length} station${all.length === 1 ? '' : 's'}${shown.length > MAX_ROWS ? `, first ${MAX_ROWS} shown` : ''}`);
    if (state.selected) drawHeader();
  }

  function loadStations() {
    $.getJSON('ocpp/stations')
      .done((entries) => {
        state.stations = new Map(entries.map((s) => [s.id, s]));
        drawStations();
      })
      .fail((xhr) => count.text(`cannot read the stations: ${apiError(xhr)}`));
    $.getJSON('ocpp/inspector').done((s) => allBox.prop('checked', s.all));
  }

  // Live updates from nodes/lib/admin.js: {changed, gone, more, resync}.
  RED.comms.subscribe('ocpp/stations', (topic, update) => {
    if (update.resync) return loadStations();
    for (const id of update.gone || []) state.stations.delete(id);
    for (const s of update.changed || []) state.stations.set(s.id, s);
    if (visible()) drawStations();
  });

  filter.on('input', drawStations);
  allBox.on('change', () => {
    $.ajax({ url: 'ocpp/inspector', method: 'PUT', contentType: 'application/json', data: JSON.stringify({ all: allBox.prop('checked') }) }).fail((xhr) => {
      allBox.prop('checked', !allBox.prop('checked'));
      RED.notify(`OCPP: ${apiError(xhr)}`, 'error');
    });
  });
  table.on('click', 'tbody tr', function () {
    open($(this).attr('data-station'));
  });

  // --- one station: its frames and the CALL form ---
  const head = $('<h4>').appendTo(detail);
  // SetChargeLimit / ClearChargeLimit (docs/SMART-CHARGING.md), through the call endpoint; the
  // answer shows under the CALL form, the limit read back here and in the list.
  const limitSection = $('<div class="ocpp-sb-section ocpp-sb-charge-limit">').appendTo(detail);
  const limitBar = $('<div class="ocpp-sb-head">').appendTo(limitSection);
  $('<b>Charge limit</b>').appendTo(limitBar);
  const limitValue = $('<input type="number" min="0" step="0.1" placeholder="16" style="width:70px">').appendTo(limitBar);
  const limitUnit = $('<select style="width:auto"><option value="A">A</option><option value="W">W</option></select>').appendTo(limitBar);
  $('<span> EVSE </span>').attr('title', '0: the whole station').appendTo(limitBar);
  const limitEvse = $('<input type="number" min="0" step="1" value="0" style="width:50px">').appendTo(limitBar);
  const limitSet = $('<button type="button" class="red-ui-button red-ui-button-small">set</button>').appendTo(limitBar);
  const limitClear = $('<button type="button" class="red-ui-button red-ui-button-small">clear</button>').appendTo(limitBar);
  const limitNow = $('<div class="ocpp-sb-note">').appendTo(limitSection);
  const callSection = $('<div class="ocpp-sb-section">').appendTo(detail);
  const callBar = $('<div class="ocpp-sb-head">').appendTo(callSection);
  $('<b>Send a CALL</b>').appendTo(callBar);
  const callAction = $('<select class="ocpp-sb-call-action">').appendTo(callBar);
  const sendButton = $('<button type="button" class="red-ui-button red-ui-button-small"><i class="fa fa-paper-plane"></i> send</button>').appendTo(callBar);
  const editorId = `ocpp-sb-call-editor-${Math.random().toString(36).slice(2)}`;
  $('<div class="ocpp-sb-editor">').attr('id', editorId).appendTo(callSection);
  // The template's enum values and optional fields; the schema error that stopped a send.
  const callHint = $('<div class="ocpp-sb-call-hint ocpp-sb-note">').appendTo(callSection);
  const callError = $('<div class="ocpp-sb-call-error">').css({ color: 'var(--red-ui-text-color-error, #c00)', 'white-space': 'pre-wrap' }).hide().appendTo(callSection);
  const answer = $('<pre class="ocpp-sb-answer">').text('The answer shows here.').appendTo(callSection);
  const framesSection = $('<div class="ocpp-sb-section">').appendTo(detail);
  const framesBar = $('<div class="ocpp-sb-head">').appendTo(framesSection);
  $('<b>Frames</b>').appendTo(framesBar);
  const actionFilter = $('<select class="ocpp-sb-action-filter"><option value="">all actions</option></select>').appendTo(framesBar);
  const dirFilter = $(
    '<select class="ocpp-sb-dir-filter"><option value="">both ways</option><option value="in">station → CS</option><option value="out">CS → station</option></select>'
  ).appendTo(framesBar);
  const copyButton = $('<button type="button" class="red-ui-button red-ui-button-small"><i class="fa fa-clipboard"></i> copy as JSON</button>').appendTo(framesBar);
  const framesNote = $('<div class="ocpp-sb-note">').appendTo(framesSection);
  const framesList = $('<div class="ocpp-sb-frames">').appendTo(framesSection);

  let payloadEditor = null;

  function drawHeader() {
    const s = state.stations.get(state.selected);
    head.empty();
    $('<span>').text(state.selected).appendTo(head);
    $('<span class="ocpp-sb-sub">')
      .text(s ? `${s.version} · ${serverName(s.node)} · since ${time(s.since)}` : 'disconnected')
      .appendTo(head);
    $('<button type="button" class="red-ui-button red-ui-button-small" title="Close and stop recording"><i class="fa fa-times"></i></button>')
      .on('click', close)
      .appendTo(head);
    if (s && s.remote) {
      head.find('.ocpp-sb-sub').text(`on instance ${s.instance}: its frames and CALL form are in that instance's editor`);
      callAction.prop('disabled', true);
      sendButton.prop('disabled', true);
      limitSet.prop('disabled', true);
      limitClear.prop('disabled', true);
      limitNow.text('');
      return;
    }
    const write = canWrite();
    callAction.prop('disabled', !write || !s);
    sendButton.prop('disabled', !write || !s);
    limitSet.prop('disabled', !write || !s);
    limitClear.prop('disabled', !write || !s);
    const limits = s ? limitText(s) : '';
    limitNow.text(limits ? `Read back: ${limits}` : 'No limit set through SetChargeLimit on this connection.');
    if (!write) answer.text('Sending a CALL needs the ocpp.write permission.');
    if (s) fillActions(s.version);
  }

  function fillActions(version) {
    if (callAction.attr('data-version') === version) return;
    const put = (actions) => {
      const keep = callAction.val();
      callAction.empty().attr('data-version', version);
      actions.toStation.forEach((a) => callAction.append($('<option>').val(a).text(a)));
      // Commands in the other version's words, translated for the station by the engine.
      const other = actions.otherWords || [];
      if (other.length) {
        const group = $('<optgroup>').attr('label', `in ${/^2/.test(version) ? 'OCPP 1.6' : 'OCPP 2.0.1'} words`).appendTo(callAction);
        other.forEach((a) => group.append($('<option>').val(a).text(a)));
      }
      if (keep && (actions.toStation.includes(keep) || other.includes(keep))) callAction.val(keep);
      loadTemplate();
    };
    if (state.actions[version]) return put(state.actions[version]);
    $.getJSON(`ocpp/actions/${encodeURIComponent(version)}`).done((actions) => {
      state.actions[version] = actions;
      put(actions);
    });
  }

  // The payload editor, made again when the editor's models were disposed
  // (Node-RED disposes every Monaco model when an edit dialog closes).
  function editor() {
    const model = payloadEditor && typeof payloadEditor.getModel === 'function' ? payloadEditor.getModel() : undefined;
    if (!payloadEditor || model === null || (model && model.isDisposed && model.isDisposed())) {
      const text = payloadEditor && model && !model.isDisposed() ? payloadEditor.getValue() : '{}';
      if (payloadEditor && payloadEditor.destroy) {
        try {
          payloadEditor.destroy();
        } catch (e) {
          // disposed already
        }
      }
      $(`#${editorId}`).empty();
      payloadEditor = RED.editor.createEditor({ id: editorId, mode: 'ace/mode/json', value: text });
    }
    return payloadEditor;
  }

  // The CALL form starts from the action's template in the station's version
  // (required fields, enum values offered: GET ocpp/actions/:version/:action/template).
  const templates = {};
  // The version whose words an action of the CALL form is in: the station's own, or for an action listed
  // "in the other version's words", that version (the engine translates it for the station).
  function wordsOf(version, action) {
    const known = state.actions[version];
    if (!known || known.toStation.includes(action) || !(known.otherWords || []).includes(action)) return version;
    return /^2/.test(version) ? '1.6j' : '2.0.1';
  }

  function loadTemplate() {
    const s = state.stations.get(state.selected);
    const action = callAction.val();
    callError.hide();
    if (!s || !action || !payloadEditor) return;
    // An action no version lists (typed by hand): the payload is left as it is; sending it says why.
    const known = state.actions[s.version];
    if (known && !known.toStation.includes(action) && !(known.otherWords || []).includes(action)) {
      callHint.text('');
      return;
    }
    // An action in the other version's words: its template comes from that version's schemas.
    const words = wordsOf(s.version, action);
    const key = `${words} ${action}`;
    const show = (t) => {
      if (callAction.val() !== action) return;
      editor().setValue(JSON.stringify(t.payload, null, 2), -1);
      const offers = Object.entries(t.enums).map(([at, values]) => `${at.slice(1)}: ${values.join(' | ')}`);
      if (t.optional.length) offers.push(`optional: ${t.optional.join(', ')}`);
      callHint.text(offers.join('\n'));
    };
    if (templates[key]) return show(templates[key]);
    $.getJSON(`ocpp/actions/${encodeURIComponent(words)}/${encodeURIComponent(action)}/template`)
      .done((t) => {
        templates[key] = t;
        show(t);
      })
      .fail(() => callHint.text(''));
  }
  callAction.on('change', loadTemplate);

  function pretty(f) {
    if (f.truncated) return `${f.text}\n… (the first ${bytes(f.text.length)} of ${bytes(f.size)})`;
    try {
      return JSON.stringify(JSON.parse(f.text), null, 2);
    } catch (e) {
      return f.text;
    }
  }

  function filteredFrames() {
    const action = actionFilter.val();
    const dir = dirFilter.val();
    return state.frames.filter((f) => (!action || f.action === action) && (!dir || f.dir === dir));
  }

  function drawFrames() {
    const actions = Array.from(new Set(state.frames.map((f) => f.action).filter(Boolean))).sort();
    const chosen = actionFilter.val();
    actionFilter.find('option:not(:first)').remove();
    actions.forEach((a) => actionFilter.append($('<option>').val(a).text(a)));
    actionFilter.val(actions.includes(chosen) ? chosen : '');
    const shown = filteredFrames();
    framesList.empty();
    for (const f of shown) {
      const error = /ERROR|unreadable/.test(f.kind);
      const box = $('<div class="ocpp-sb-frame">').addClass(f.dir).toggleClass('error', error).attr('data-seq', f.seq);
      $('<div class="ocpp-sb-frame-head">')
        .append($('<span>').text(stamp(f.at)))
        .append($('<span class="ocpp-sb-dir">').text(arrow(f.dir)))
        .append($('<span class="ocpp-sb-kind">').text(f.kind))
        .append($('<b class="ocpp-sb-frame-action">').text(f.action || ''))
        .append($('<span class="ocpp-sb-size">').text(bytes(f.size)))
        .appendTo(box);
      $('<pre>').text(pretty(f)).appendTo(box);
      box.appendTo(framesList);
    }
    const info = state.info;
    const rec = info && info.recording ? (info.until ? 'recording while this is open' : 'recording (record all)') : `not recording${canWrite() ? '' : ' (starting one needs the ocpp.write permission)'}`;
    framesNote.text(
      `${state.frames.length} of the last ${state.limit} frames kept${shown.length !== state.frames.length ? `, ${shown.length} shown` : ''}; ${rec}` +
        (info ? `; ${bytes(info.ringBytes)} here, ${bytes(info.totalBytes)} all stations` : '') +
        (state.frames.length === 0 ? '. Frames show here as the station and the Central System exchange them.' : '')
    );
  }

  function pollFrames() {
    const id = state.selected;
    if (!id || !visible()) return;
    const after = state.lastSeq === null ? '' : `?after=${state.lastSeq}`;
    // A writer's look starts (or renews) the station's recording: PUT. A reader only reads what is recorded: GET.
    $.ajax({ url: `ocpp/stations/${encodeURIComponent(id)}/frames${after}`, method: canWrite() ? 'PUT' : 'GET', dataType: 'json' })
      .done((view) => {
        if (state.selected !== id) return;
        state.info = view;
        state.limit = view.limits.frames;
        if (view.frames.length) {
          // A ring that started again (recording stopped and resumed) numbers from 0.
          if (state.lastSeq !== null && view.frames[view.frames.length - 1].seq <= state.lastSeq) state.frames = [];
          state.frames = view.frames.concat(state.frames).slice(0, state.limit);
          state.lastSeq = view.frames[0].seq;
        }
        drawFrames();
      })
      .fail((xhr) => {
        if (state.selected === id) framesNote.text(xhr.status === 404 ? `${id} is not connected.` : `cannot read the frames: ${apiError(xhr)}`);
      });
  }

  function open(id) {
    if (state.selected && state.selected !== id) stopRecording(state.selected);
    state.selected = id;
    state.frames = [];
    state.lastSeq = null;
    state.info = null;
    detail.show();
    editor();
    loadTemplate();
    answer.text(canWrite() ? 'The answer shows here.' : 'Sending a CALL needs the ocpp.write permission.');
    drawStations();
    drawFrames();
    pollFrames();
    clearInterval(state.timers.frames);
    state.timers.frames = setInterval(pollFrames, POLL_FRAMES_MS);
  }

  function stopRecording(id) {
    $.ajax({ url: `ocpp/stations/${encodeURIComponent(id)}/frames`, method: 'DELETE' });
  }

  function close() {
    if (state.selected) stopRecording(state.selected);
    state.selected = null;
    clearInterval(state.timers.frames);
    detail.hide();
    drawStations();
  }

  actionFilter.on('change', drawFrames);
  dirFilter.on('change', drawFrames);
  copyButton.on('click', () => {
    const frames = filteredFrames().map((f) => {
      let frame = f.text;
      if (!f.truncated) {
        try {
          frame = JSON.parse(f.text);
        } catch (e) {
          // kept as text: a frame the station sent malformed
        }
      }
      return { station: state.selected, at: new Date(f.at).toISOString(), direction: f.dir, kind: f.kind, action: f.action, size: f.size, frame };
    });
    const text = JSON.stringify(frames, null, 2);
    content.attr('data-copied', text.length);
    RED.clipboard.copyText(text, copyButton, `${frames.length} frames copied`);
  });

  // Checked against the station's version's schema before it is sent: an
  // error shows under the editor and nothing goes out.
  function checked(version, action, payload) {
    return $.ajax({
      url: `ocpp/actions/${encodeURIComponent(version)}/${encodeURIComponent(action)}/check`,
      method: 'POST',
      contentType: 'application/json',
      data: JSON.stringify({ payload }),
    }).then(
      (r) => r.error,
      // An action the version has no schema for (another version's words): the engine decides.
      () => null
    );
  }

  sendButton.on('click', () => {
    const id = state.selected;
    callError.hide();
    let payload;
    try {
      payload = JSON.parse(editor().getValue() || '{}');
    } catch (e) {
      callError.text(`The payload is not JSON: ${e.message}`).show();
      return;
    }
    const action = callAction.val();
    const s = state.stations.get(id);
    sendButton.prop('disabled', true);
    checked(s ? wordsOf(s.version, action) : '1.6j', action, payload).then((error) => {
      if (error) {
        callError.text(`Not sent: ${error}`).show();
        sendButton.prop('disabled', !state.stations.has(id));
        return;
      }
      send(id, action, payload);
    });
  });

  // The charge-limit form's EVSE: a whole number of 0 or more, else null.
  function evseOf() {
    const evse = Number(limitEvse.val() || 0);
    return Number.isInteger(evse) && evse >= 0 ? evse : null;
  }
  limitSet.on('click', () => {
    callError.hide();
    const limit = Number(limitValue.val());
    const evseId = evseOf();
    if (limitValue.val() === '' || !Number.isFinite(limit) || limit < 0 || evseId === null) {
      callError.text('Not sent: the limit is a number of at least 0, the EVSE a whole number (0: the whole station)').show();
      return;
    }
    send(state.selected, 'SetChargeLimit', { limit, unit: limitUnit.val(), evseId });
  });
  limitClear.on('click', () => {
    callError.hide();
    const evseId = evseOf();
    if (evseId === null) {
      callError.text('Not sent: the EVSE is a whole number (0: the whole station)').show();
      return;
    }
    send(state.selected, 'ClearChargeLimit', { evseId });
  });

  function send(id, action, payload) {
    answer.text(`${action} sent to ${id}, waiting for the answer…`);
    $.ajax({ url: `ocpp/stations/${encodeURIComponent(id)}/call`, method: 'POST', contentType: 'application/json', data: JSON.stringify({ action, payload }) })
      .done((outcome) => {
        if (outcome.result !== undefined) answer.text(`CALLRESULT\n${JSON.stringify(outcome.result, null, 2)}`);
        else if (outcome.callError) answer.text(`CALLERROR ${outcome.callError.code}: ${outcome.callError.description}\n${JSON.stringify(outcome.callError.details, null, 2)}`);
        else answer.text(`${outcome.failure}: ${outcome.message}`);
        pollFrames();
      })
      .fail((xhr) => {
        answer.text('Not sent.');
        callError.text(`Not sent: ${apiError(xhr)}`).show();
      })
      .always(() => sendButton.prop('disabled', !state.stations.has(id)));
  }

  RED.sidebar.addTab({
    id: 'ocpp',
    label: 'OCPP',
    name: 'OCPP stations',
    iconClass: 'fa fa-plug',
    content,
    enableOnEdit: true,
    onchange: () => {
      loadStations();
      if (state.selected) pollFrames();
    },
  });

  // While shown, the whole list is read again now and then: updates missed
  // (a reconnect) are made good, and the server keeps publishing them.
  state.timers.resync = setInterval(() => {
    if (visible()) loadStations();
  }, RESYNC_MS);

  // `payload(text)`: the CALL form's payload (set, then read), for the editor check.
  const payload = (text) => {
    if (!payloadEditor) return null;
    if (typeof text === 'string') editor().setValue(text, -1);
    return editor().getValue();
  };
  window.OcppSidebar = { open, close, state, payload };
})();
