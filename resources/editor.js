// Shared by the OCPP nodes' edit dialogs (served by Node-RED at
// resources/@ocpp-rs/node-red-ocpp/editor.js, which each node's .html loads):
// validators, command lists, and the dialog rows several nodes show alike.
window.OcppEditor = window.OcppEditor || (function () {
  // A number from min to max (a whole one with `integer`), or empty for the default.
  function range(min, max, integer = false) {
    return function (v, opt) {
      if (v === '' || v === undefined) return true;
      const n = Number(v);
      const ok = Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n));
      return ok ? true : opt ? `a ${integer ? 'whole ' : ''}number from ${min} to ${max}` : false;
    };
  }
  // Empty, or JSON text (a node's Command params).
  function json(v, opt) {
    if (!v || String(v).trim() === '') return true;
    try {
      JSON.parse(v);
      return true;
    } catch (e) {
      return opt ? 'Command params must be JSON: ' + e.message : false;
    }
  }
  // Fills a <select> with "<none>", groups of actions, and the saved value if it is not among them.
  function fillCommands(select, groups, saved) {
    select.append($('<option>').val('').text('<none>'));
    const known = [];
    for (const [label, values] of Object.entries(groups)) {
      const target = label ? $('<optgroup>').attr('label', label).appendTo(select) : select;
      values.forEach((v) => {
        known.push(v);
        target.append($('<option>').val(v).text(v));
      });
    }
    if (saved && !known.includes(saved)) select.append($('<option>').val(saved).text(saved + ' (from the flow)'));
    select.val(saved || '');
  }
  const COMMANDS = {
    csToCp15: ['CancelReservation', 'ChangeAvailability', 'ChangeConfiguration', 'ClearCache', 'DataTransfer', 'GetConfiguration', 'GetDiagnostics',
      'GetLocalListVersion', 'RemoteStartTransaction', 'RemoteStopTransaction', 'ReserveNow', 'Reset', 'SendLocalList', 'UnlockConnector', 'UpdateFirmware'],
    csToCp16Only: ['ClearChargingProfile', 'GetCompositeSchedule', 'SetChargingProfile', 'TriggerMessage'],
    cpToCs: ['Authorize', 'BootNotification', 'DataTransfer', 'DiagnosticsStatusNotification', 'FirmwareStatusNotification', 'Heartbeat',
      'MeterValues', 'StartTransaction', 'StatusNotification', 'StopTransaction'],
  };
  COMMANDS.csToCp16 = COMMANDS.csToCp15.concat(COMMANDS.csToCp16Only).sort();
  // OCPP 2.0.1 (the action names of OCA's JSON schemas, by who starts them).
  COMMANDS.cpToCs201 = ['Authorize', 'BootNotification', 'ClearedChargingLimit', 'DataTransfer', 'FirmwareStatusNotification',
    'Get15118EVCertificate', 'GetCertificateStatus', 'Heartbeat', 'LogStatusNotification', 'MeterValues', 'NotifyChargingLimit',
    'NotifyCustomerInformation', 'NotifyDisplayMessages', 'NotifyEVChargingNeeds', 'NotifyEVChargingSchedule', 'NotifyEvent',
    'NotifyMonitoringReport', 'NotifyReport', 'PublishFirmwareStatusNotification', 'ReportChargingProfiles', 'ReservationStatusUpdate',
    'SecurityEventNotification', 'SignCertificate', 'StatusNotification', 'TransactionEvent'];
  COMMANDS.csToCp201 = ['CancelReservation', 'CertificateSigned', 'ChangeAvailability', 'ClearCache', 'ClearChargingProfile',
    'ClearDisplayMessage', 'ClearVariableMonitoring', 'CostUpdated', 'CustomerInformation', 'DataTransfer', 'DeleteCertificate',
    'GetBaseReport', 'GetChargingProfiles', 'GetCompositeSchedule', 'GetDisplayMessages', 'GetInstalledCertificateIds',
    'GetLocalListVersion', 'GetLog', 'GetMonitoringReport', 'GetReport', 'GetTransactionStatus', 'GetVariables', 'InstallCertificate',
    'PublishFirmware', 'RequestStartTransaction', 'RequestStopTransaction', 'ReserveNow', 'Reset', 'SendLocalList', 'SetChargingProfile',
    'SetDisplayMessage', 'SetMonitoringBase', 'SetMonitoringLevel', 'SetNetworkProfile', 'SetVariableMonitoring', 'SetVariables',
    'TriggerMessage', 'UnlockConnector', 'UnpublishFirmware', 'UpdateFirmware'];
  // OCPP 2.1 adds these to 2.0.1's.
  COMMANDS.cpToCs21Only = ['BatterySwap', 'ClosePeriodicEventStream', 'GetCertificateChainStatus', 'NotifyDERAlarm', 'NotifyDERStartStop',
    'NotifyPriorityCharging', 'NotifySettlement', 'OpenPeriodicEventStream', 'PullDynamicScheduleUpdate', 'ReportDERControl',
    'VatNumberValidation'];
  COMMANDS.csToCp21Only = ['AFRRSignal', 'AdjustPeriodicEventStream', 'ChangeTransactionTariff', 'ClearDERControl', 'ClearTariffs',
    'GetDERControl', 'GetPeriodicEventStream', 'GetTariffs', 'NotifyAllowedEnergyTransfer', 'NotifyWebPaymentStarted', 'RequestBatterySwap',
    'SetDERControl', 'SetDefaultTariff', 'UpdateDynamicSchedule', 'UsePriorityCharging'];
  COMMANDS.cpToCs21 = COMMANDS.cpToCs201.concat(COMMANDS.cpToCs21Only).sort();
  COMMANDS.csToCp21 = COMMANDS.csToCp201.concat(COMMANDS.csToCp21Only).sort();
  // 2.1's one-way SEND messages (msgType 6).
  COMMANDS.send21 = ['NotifyPeriodicEventStream'];

  // The command groups for a node, by OCPP-J version and direction ("cp" = the charge point starts it).
  function jsonCommands(version, from) {
    if (version === '2.0.1') return { ['OCPP 2.0.1']: from === 'cp' ? COMMANDS.cpToCs201 : COMMANDS.csToCp201 };
    if (version === '2.1') {
      const groups = { ['OCPP 2.1']: from === 'cp' ? COMMANDS.cpToCs21 : COMMANDS.csToCp21 };
      if (from === 'cp') groups['OCPP 2.1 SEND (msgType 6)'] = COMMANDS.send21;
      return groups;
    }
    return { ['OCPP 1.6']: from === 'cp' ? COMMANDS.cpToCs : COMMANDS.csToCp16 };
  }

  // Each role has its colour and icons, so a flow shows at a glance which side a node plays:
  // Central System nodes (CS server, server response, CS request JSON and SOAP) blue, with
  // server, reply and paper-plane icons; charge point nodes (CP client JSON, CP server SOAP,
  // CP Request SOAP) amber, with plug, bolt and share icons. Mid tones: the dark label text
  // and the white icon both stay readable, on Node-RED's light palette and on dark themes,
  // which keep node colours.
  const COLORS = { cs: '#5B9BD5', cp: '#D89A3A' };

  // Every OCPP node's label is in italics when the user named it, as Node-RED's core nodes do.
  function labelStyle() {
    return this.name ? 'node_label_italic' : '';
  }

  // The last config keys of a request node (CS request JSON and SOAP, CP Request SOAP), in
  // the original's order, which exported flows keep: its Command rows' keys, and `log` and
  // `pathlog`, which these nodes never used but the original's flows carry.
  function requestDefaults(log) {
    return {
      command: { value: '' },
      cmddata: { value: '', validate: json },
      log: { value: log },
      pathlog: { value: '' },
      timeout: { value: 60, validate: range(0.1, 86400) },
    };
  }

  // Fills a dialog's Command <select> (id node-input-command) with groups() and the saved
  // command; with `refillOn` (a selector), again whenever that field changes, keeping the
  // current choice: the list follows the OCPP version chosen there.
  function commandPicker(node, groups, refillOn) {
    const select = $('#node-input-command');
    const fill = () => {
      const current = select.val() || node.command;
      select.empty();
      fillCommands(select, groups(), current);
    };
    fill();
    if (refillOn) $(refillOn).on('change', fill);
  }

  // Command params (id node-input-cmddata) as a JSON field whose button opens Node-RED's JSON
  // editor. The config value stays the JSON text it always was, spaced as typed unless the JSON
  // editor rewrites it; empty still means {} and is not marked as an error, as it would be
  // with the built-in json type.
  function paramsEditor() {
    $('#node-input-cmddata').typedInput({
      default: 'json',
      types: [
        {
          value: 'json',
          label: 'JSON',
          icon: 'red/images/typedInput/json.svg',
          validate: (v) => json(v, true),
          expand: function () {
            const field = this;
            let value = field.value();
            try {
              value = JSON.stringify(JSON.parse(value), null, 4);
            } catch (e) {
              // not JSON (yet): edit the text as it is
            }
            RED.editor.editJSON({
              value,
              focus: true,
              complete: (v) => {
                let text = v;
                try {
                  text = JSON.stringify(JSON.parse(v));
                } catch (e) {
                  // kept as typed; the field shows it is not JSON
                }
                field.value(text);
              },
            });
          },
        },
      ],
    });
  }

  // The log file's path can be typed only while "Log every message to file" is checked.
  function wireLog() {
    const toggle = () => $('#node-input-pathlog').prop('disabled', !$('#node-input-log').is(':checked'));
    $('#node-input-log').on('change', toggle);
    toggle();
  }

  // --- Rows several dialogs share ---
  // Node-RED copies a node's template into the dialog each time it opens, then sets every field
  // whose id is `node-input-<key>` (`node-config-input-<key>` in a config node) to the saved
  // config value, and only then calls oneditprepare. So shared rows cannot be added in
  // oneditprepare: dialog() writes them into the template itself, once, when the type registers.
  // A template marks each place with an empty element, options as data- attributes:
  //   <div data-ocpp-rows="log" data-placeholder="path of the log file"></div>
  // Each row's ids name the config keys it edits, as they were before these rows were shared,
  // so saved flows (and the original node-red-contrib-ocpp's) open with their values.
  const attr = (v) => String(v).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const unattr = (v) => String(v).replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const checkbox = (id, text, style = 'width:auto', gap = '6px') =>
    `<label for="${id}" style="${style}"><input type="checkbox" id="${id}" style="width:auto; margin:0 ${gap} 0 0" />${text}</label>`;
  // One row: a label with its icon, then the field (and what follows it, such as a unit).
  const row = (id, icon, label, field) => `<div class="form-row">\n  <label for="${id}"><i class="fa fa-${icon}"></i> ${label}</label>\n  ${field}\n</div>`;
  const textRow = (p, key, icon, label, placeholder) =>
    row(`${p}-${key}`, icon, label, `<input type="text" id="${p}-${key}"${placeholder ? ` placeholder="${attr(placeholder)}"` : ''} />`);
  const VERSIONS = {
    json: '<option value="1.6j">1.6 JSON</option>\n  <option value="2.0.1">2.0.1</option>\n  <option value="2.1">2.1</option>',
    soap: '<option value="1.5s">1.5 SOAP</option>\n  <option value="1.6s">1.6 SOAP</option>',
  };
  // The rows by name; `p` is the id prefix, `o` the placeholder's data- options (camelCased).
  const ROWS = {
    // Every dialog's first row; data-placeholder for another hint than "Name".
    name: (p, o) => textRow(p, 'name', 'tag', 'Name', o.placeholder || 'Name'),
    // The station a node or config node names: its charge box id.
    'charge-box': (p, o) => textRow(p, 'cbId', 'car', 'Charge box id', o.placeholder),
    // The config node a node talks to: data-key="remotecb" (a charge point) or "remotecs" (a Central System).
    remote: (p, o) => (o.key === 'remotecb' ? textRow(p, 'remotecb', 'car', 'Charge point') : textRow(p, 'remotecs', 'globe', 'Central System')),
    // The OCPP version a station speaks: data-versions="json" (1.6, 2.0.1, 2.1) or "soap" (1.5, 1.6);
    // data-style for the <select>; data-strict adds the Strict checkbox after it.
    'ocpp-version': (p, o) => {
      const select = `<select id="${p}-ocppver"${o.style ? ` style="${attr(o.style)}"` : ''}>\n  ${VERSIONS[o.versions]}\n  </select>`;
      const strict = o.strict !== undefined ? `\n  ${checkbox(`${p}-strict`, 'Strict (check payloads against the OCA schemas)', 'width:auto; margin-left:12px', '4px')}` : '';
      return row(`${p}-ocppver`, 'code-fork', 'OCPP', select + strict);
    },
    // A tls-config node for https:// and wss://; data-client-auth adds a server's demand for client certificates.
    tls: (p, o) =>
      row(`${p}-tls`, 'lock', 'TLS', `<input type="text" id="${p}-tls" />`) +
      (o.clientAuth !== undefined ? `\n<div class="form-row">\n  ${checkbox(`${p}-tlsClientAuth`, "Require a client certificate signed by the TLS configuration's CA")}\n</div>` : ''),
    // A server's port: a number, or (portType "env") an environment variable's name; data-prot
    // adds the hidden `prot` field, the key where the original's CP server SOAP kept its port.
    port: (p, o) =>
      row(`${p}-port`, 'plug', 'Port', `<input type="text" id="${p}-port" placeholder="${attr(o.placeholder)}" />\n  <input type="hidden" id="${p}-portType" />` +
        (o.prot !== undefined ? `\n  <input type="hidden" id="${p}-prot" />` : '')),
    // A server's SOAP services, OCPP 1.6 and 1.5, each on or off at its own path (data-path16, data-path15: hints).
    'soap-paths': (p, o) =>
      ['16', '15']
        .map((v) => `<div class="form-row">\n  ${checkbox(`${p}-enabled${v}`, `OCPP ${v[0]}.${v[1]} SOAP at path`)}\n  <input type="text" id="${p}-path${v}" placeholder="${attr(o['path' + v])}" style="width:40%" />\n</div>`)
        .join('\n'),
    // The optional log file (data-placeholder: a path), rotated at logMaxMB; wire it with wireLog().
    log: (p, o) =>
      `<div class="form-row">\n  ${checkbox(`${p}-log`, 'Log every message to file')}\n  <input type="text" id="${p}-pathlog" placeholder="${attr(o.placeholder)}" style="width:40%" />\n` +
      `  <span style="white-space:nowrap">rotate at <input type="text" id="${p}-logMaxMB" style="width:50px" placeholder="10" /> MB</span>\n</div>`,
    // A request node's Command (fill it with commandPicker()) and Command params (data-placeholder;
    // make it a JSON field with paramsEditor()); data-timeout adds its Timeout (placeholder: the
    // default of requestDefaults(), 60 s).
    command: (p, o) =>
      row(`${p}-command`, 'tasks', 'Command', `<select id="${p}-command" style="width:70%"></select>`) +
      '\n' + textRow(p, 'cmddata', 'code', 'Command params', o.placeholder) +
      (o.timeout !== undefined ? '\n' + row(`${p}-timeout`, 'clock-o', 'Timeout', `<input type="text" id="${p}-timeout" style="width:80px" placeholder="60" /> s`) : ''),
  };

  // Writes the shared rows into the template of node type `type` and gives `def` back, for
  // RED.nodes.registerType(type, OcppEditor.dialog(type, {...})). Node-RED runs a node set's
  // scripts once all of that set's .html is in the page, so its templates are there by then.
  function dialog(type, def) {
    const prefix = def.category === 'config' ? 'node-config-input' : 'node-input';
    const template = $(`script[data-template-name="${type}"]`);
    const options = (attrs) => {
      const o = {};
      // data-client-auth="" and a bare data-client-auth alike give clientAuth: ''.
      for (const m of String(attrs).matchAll(/\sdata-([\w-]+)(?:=(?:"([^"]*)"|'([^']*)'))?/g)) {
        o[m[1].replace(/-(\w)/g, (x, c) => c.toUpperCase())] = unattr(m[2] !== undefined ? m[2] : m[3] !== undefined ? m[3] : '');
      }
      return o;
    };
    template.text(
      String(template.text()).replace(/<div data-ocpp-rows="([\w-]+)"([^>]*)><\/div>/g, (all, name, attrs) => {
        if (!ROWS[name]) throw new Error(`${type}: no shared rows named "${name}"`);
        return ROWS[name](prefix, options(attrs));
      })
    );
    return def;
  }

  return { range, json, COLORS, labelStyle, fillCommands, jsonCommands, requestDefaults, commandPicker, paramsEditor, wireLog, dialog, COMMANDS };
})();
